"""What the generator refuses: IDLs that thriftpy2 loads but that no generated
package could serve, each refused with file and line.

Either every file of a package imports and round-trips, or generation stops
here with an :class:`IdlError`. The rules, and why:

- names starting with ``_`` (dunders included) are the generated modules' own
  (``_rv``, ``_set``, ``_B_Foo``...; constructors take fields as parameters
  beside them), and enum names like ``_x_`` are Python's;
- a definition may not be named like a Python builtin (a struct ``str`` would
  replace ``str`` in every module of the package), a module of the package
  itself (``types``, ``gson``...), a standard library module, or a name the
  package's ``__init__`` defines;
- an enum member may not be named like an attribute of ``int`` or ``IntEnum``;
- two names that become the same Python name, two types whose generated
  helpers would share a name (a struct ``list_i32`` and ``list<i32>``), or two
  union arms that Gson writes with the same ``setField``, cannot both be served;
- Java's limits: enum values are i32, field ids i16, enum values distinct;
- Python's parser stops at about 200 nested brackets: types and constant
  values may nest at most ``MAX_DEPTH`` levels.
"""

from __future__ import annotations

import builtins
import enum
import os
import sys
from collections.abc import Sequence

from aurorakit.runtime.identity import arm_constant
from aurorakit.runtime.scalars import SCALARS

from . import model as m
from .errors import IdlError
from .idltext import Token, tokenize
from .python import PACKAGE_MODULES, Names, attr_names, include_package, py_identifier, type_slug

MAX_DEPTH = 64
MAX_TEXT_DEPTH = 200  # any bracket; the model's readers recurse once per level
_I16, _I32 = SCALARS["i16"], SCALARS["i32"]
_INIT_NAMES = frozenset({"IDL_FILE", "IDL_SHA256"})
_BUILTINS = frozenset(dir(builtins))
_STDLIB = frozenset(sys.stdlib_module_names)
_ENUM_ATTRS = frozenset(dir(int)) | frozenset(dir(enum.IntEnum))


def check_module(module: m.Module) -> None:
    """Raise IdlError for the first thing in ``module`` (not its includes) that cannot be generated."""
    _Checker(module).run()


class _Checker:
    def __init__(self, module: m.Module) -> None:
        self.module = module

    def fail(self, message: str, line: int | None) -> IdlError:
        return IdlError(message, self.module.path, line)

    def run(self) -> None:
        module = self.module
        for inc in module.includes:
            if not inc.name.isidentifier() or inc.name.startswith("_"):
                raise self.fail(f"included file {inc.name}.thrift: generated packages name an included module "
                                "by its file name, which must be a Python identifier not starting with '_'",
                                include_line(module.path, inc.name + ".thrift"))
        taken: dict[str, tuple[str, int | None]] = {include_package(inc.name): (f"included {inc.name}.thrift", None)
                                                    for inc in module.includes}
        definitions: list[tuple[str, str, int | None]] = (
            [("enum", e.name, e.line) for e in module.enums]
            + [(s.kind, s.name, s.line) for s in module.structs]
            + [("constant", c.name, c.line) for c in module.consts]
            + [("service", s.name, s.line) for s in module.services])
        for what, name, line in sorted(definitions, key=lambda d: d[2] or 0):
            self.definition_name(what, name, line)
            python = py_identifier(name)
            if python in taken:
                first, first_line = taken[python]
                where = f" (line {first_line})" if first_line else ""
                raise self.fail(f"{what} {name} would be the Python name {python}, as {first} is{where}", line)
            taken[python] = (f"{what} {name}", line)
        for e in module.enums:
            self.enum(e)
        for s in module.structs:
            self.struct(s)
        for c in module.consts:
            self.depth(c.type, c.value, f"constant {c.name}", c.line)
        self.helper_names()
        for svc in module.services:
            for meth in svc.methods:
                self.member_name(f"method {svc.name}.{meth.name}", meth.name, meth.line)
                for a in meth.args + meth.throws:
                    self.member_name(f"argument {a.name} of {svc.name}.{meth.name}", a.name, a.line or meth.line)
                    self.field_id(a, f"{svc.name}.{meth.name}", a.line or meth.line)
                    self.depth(a.type, None, f"argument {a.name} of {svc.name}.{meth.name}", a.line or meth.line)

    # -- names -----------------------------------------------------------------
    def definition_name(self, what: str, name: str, line: int | None) -> None:
        if name.startswith("_"):
            raise self.fail(f"{what} name {name}: names starting with '_' are reserved for generated code", line)
        if name in _BUILTINS:
            raise self.fail(f"{what} name {name} would shadow Python's builtin {name} in the generated package", line)
        if name in PACKAGE_MODULES or name in _INIT_NAMES:
            raise self.fail(f"{what} name {name} is taken by the generated package's own {name}", line)
        if name in _STDLIB:
            raise self.fail(f"{what} name {name} would shadow the standard library module {name}", line)

    def member_name(self, what: str, name: str, line: int | None) -> None:
        if name.startswith("__") and name.endswith("__"):
            raise self.fail(f"{what}: dunder names like {name} are Python's own", line)
        if name.startswith("_"):  # constructors take fields as parameters, next to the module's _ts, _ct...
            raise self.fail(f"{what}: names starting with '_' are reserved for generated code", line)

    def helper_names(self) -> None:
        """Two different types must not share the name of their generated helpers
        (``_enc_list_Foo``, ``_t_map_a_b_c``): the second would silently use the first's."""
        module = self.module
        owner: dict[str, m.TypeRef] = {type_slug(m.TypeRef(kind, name)): m.TypeRef(kind, name)
                                       for kind, name in [("enum", e.name) for e in module.enums]
                                       + [("struct", s.name) for s in module.structs]}
        used = [(f.type, f.line or s.line) for s in module.structs for f in s.fields]
        used += [(c.type, c.line) for c in module.consts]
        used += [(a.type, a.line or meth.line) for svc in module.services for meth in svc.methods
                 for a in meth.args + meth.throws]
        factories: dict[str, str] = {}
        for s in module.structs:
            for f, attr in zip(s.fields, attr_names(s.fields)):
                if f.default is not None and Names.needs_factory(f.type, f.default):
                    name = f"_default_{py_identifier(s.name)}_{attr}"  # as render.py names it
                    if name in factories:
                        raise self.fail(f"the defaults of {factories[name]} and {s.name}.{f.name} would share "
                                        f"the generated name {name}; rename one", f.line or s.line)
                    factories[name] = f"{s.name}.{f.name}"
        for t, line in used:
            pending = [t]
            while pending:
                current = pending.pop()
                pending.extend(inner for inner in (current.key, current.elem) if inner is not None)
                if current.kind in m.PRIMITIVES or (current.module is None and current.kind in ("enum", "struct")):
                    continue
                slug = type_slug(current)
                first = owner.setdefault(slug, current)
                if first != current:
                    raise self.fail(f"types {first} and {current} would share the generated name "
                                    f"{slug} (from their names); rename one", line)

    # -- enums -------------------------------------------------------------------
    def enum(self, e: m.Enum) -> None:
        by_value: dict[int, str] = {}
        python_names: dict[str, str] = {}
        for v in e.values:
            line = v.line or e.line
            if v.name.startswith("_"):
                raise self.fail(f"enum {e.name} member {v.name}: names starting with '_' are Python's "
                                "or generated code's", line)
            if v.name in _ENUM_ATTRS:
                raise self.fail(f"enum {e.name} member {v.name} would hide the attribute {v.name} "
                                "every Python IntEnum member has", line)
            if not _I32.low <= v.value <= _I32.high:
                raise self.fail(f"enum {e.name} member {v.name} = {v.value} is out of range for i32 "
                                f"({_I32.low}..{_I32.high}), the type of a Java enum's Thrift value", line)
            if v.value in by_value:
                raise self.fail(f"enum {e.name} gives {v.name} the value {v.value} of {by_value[v.value]}: "
                                "a value must name one member", line)
            by_value[v.value] = v.name
            python = py_identifier(v.name)
            if python in python_names:
                raise self.fail(f"enum {e.name} members {python_names[python]} and {v.name} would both "
                                f"be the Python name {python}", line)
            python_names[python] = v.name

    # -- structs, unions, exceptions ----------------------------------------------
    def struct(self, s: m.Struct) -> None:
        arms: dict[str, str] = {}
        for f in s.fields:
            line = f.line or s.line
            self.member_name(f"field {s.name}.{f.name}", f.name, line)
            if f.name == "cachedHashCode" and s.kind != "union":
                raise self.fail(f"field {s.name}.cachedHashCode: Gson writes every object's cached hash "
                                "under that name", line)
            self.field_id(f, s.name, line)
            self.depth(f.type, f.default, f"field {s.name}.{f.name}", line)
            if s.kind == "union":
                set_field = arm_constant(f.name)
                if set_field in arms:
                    raise self.fail(f"union {s.name} arms {arms[set_field]} and {f.name} would both be "
                                    f"written with setField {set_field}", line)
                arms[set_field] = f.name

    def field_id(self, f: m.Field, owner: str, line: int | None) -> None:
        if not _I16.low <= f.id <= _I16.high:
            raise self.fail(f"field id {f.id} of {owner}.{f.name} is out of range for i16 "
                            f"({_I16.low}..{_I16.high})", line)

    # -- nesting -------------------------------------------------------------------
    def depth(self, t: m.TypeRef, value: m.Value, what: str, line: int | None) -> None:
        if type_depth(t) > MAX_DEPTH:
            raise self.fail(f"the type of {what} nests {type_depth(t)} levels deep; "
                            f"generated code can hold at most {MAX_DEPTH}", line)
        if value_depth(value) > MAX_DEPTH:
            raise self.fail(f"the value of {what} nests {value_depth(value)} levels deep; "
                            f"generated code can hold at most {MAX_DEPTH}", line)


def include_line(including: str, name: str) -> int | None:
    """The line of ``including`` whose include names the file ``name``, if there is one."""
    try:
        with open(including, encoding="utf-8") as fh:
            code = [t for t in tokenize(fh.read()) if t.kind not in ("comment", "doc")]
    except (OSError, UnicodeDecodeError):
        return None
    return next((b.line for a, b in zip(code, code[1:])
                 if a.text == "include" and b.kind == "string" and os.path.basename(b.text[1:-1]) == name), None)


def check_brackets(tokens: Sequence[Token], path: str) -> None:
    """Refuse text nesting brackets deeper than anything :func:`check_module` could accept.

    Checked on the tokens, before the model is built, whose recursive
    readers would otherwise run out of stack on such input.
    """
    depth = 0
    for tok in tokens:
        if tok.kind != "punct":
            continue
        if tok.text in "<[{(":
            depth += 1
            if depth > MAX_TEXT_DEPTH:
                raise IdlError(f"brackets nest more than {MAX_TEXT_DEPTH} levels deep here; "
                               f"generated code can hold at most {MAX_DEPTH}", path, tok.line)
        elif tok.text in ">]})":
            depth -= 1


def type_depth(t: m.TypeRef) -> int:
    """Levels of containers: ``i32`` is 0, ``list<i32>`` 1, ``map<string, list<i32>>`` 2."""
    depth = 0
    pending = [(t, 0)]
    while pending:  # iterative: an IDL may nest deeper than Python's recursion limit
        current, level = pending.pop()
        depth = max(depth, level)
        pending.extend((inner, level + 1) for inner in (current.key, current.elem) if inner is not None)
    return depth


def value_depth(value: m.Value) -> int:
    """Levels of brackets in the Python literal of a constant or default value."""
    depth = 0
    pending: list[tuple[m.Value, int]] = [(value, 0)]
    while pending:
        current, level = pending.pop()
        if isinstance(current, list):
            pending.extend((v, level + 1) for v in current)
        elif isinstance(current, tuple):
            pending.extend((v, level + 1) for pair in current for v in pair)
        elif isinstance(current, m.StructValue):
            pending.extend((v, level + 1) for _, v in current.fields)
        else:
            depth = max(depth, level)
    return depth
