"""Python decisions about a model: names, annotations and literals.

How generated code spells a Thrift type or value is decided here, as a
string, for the view builders (``views.py``, ``gsoncode.py``); every name
written through :class:`Names` is recorded in the module's imports.
"""

from __future__ import annotations

import keyword

from aurorakit.runtime.scalars import JAVA_PRIMITIVES, SCALARS

from . import model as m
from .imports import Imports

# Public members every generated class has; an IDL field of that name gets a "_". (Its private
# members, _jhash, _json..., need no entry: checks.py refuses IDL names starting with "_".)
RESERVED_MEMBERS = frozenset({
    "self", "set_field", "field_value", "replace", "to_thrift", "from_thrift", "to_gson", "from_gson",
})
# Module names of a generated package; an included IDL of that name gets "_thrift".
PACKAGE_MODULES = frozenset({"enums", "types", "constants", "services", "gson"})
_BUILTIN_ANNOTATIONS = frozenset({"bool", "int", "float", "str", "bytes"})

_PY_SCALARS = {kind: s.python_type for kind, s in SCALARS.items()}
_TS_PRIMITIVES = {kind: kind.upper() for kind in SCALARS}  # the TypeSpec constants of runtime/typespec.py
_DEFINED_IN = {"enum": "enums", "struct": "types", "service": "services"}  # the generated module of each kind
JAVA_DEFAULTS = {kind: repr(s.java_default) for kind, s in JAVA_PRIMITIVES.items()}  # as Python literals


def py_identifier(name: str, reserved: frozenset[str] = frozenset()) -> str:
    """``name`` made usable in Python: keywords and reserved names get a trailing ``_``.

    Dunder names are refused before this is asked (``checks.py``): no number
    of trailing ``_`` makes ``__x__`` an ordinary name.
    """
    if name.startswith("__") and name.endswith("__"):
        raise ValueError(f"{name} is a dunder name")
    while keyword.iskeyword(name) or name in reserved:
        name += "_"
    return name


def attr_names(fields: list[m.Field]) -> list[str]:
    """Attribute names for a class's fields, in order, escaped and distinct."""
    taken: set[str] = set()
    out = []
    for f in fields:
        name = py_identifier(f.name, RESERVED_MEMBERS)
        while name in taken:
            name += "_"
        taken.add(name)
        out.append(name)
    return out


def include_package(module_name: str) -> str:
    """Subpackage name of an included IDL module."""
    name = py_identifier(module_name)
    return name + "_thrift" if name in PACKAGE_MODULES else name


def type_slug(t: m.TypeRef) -> str:
    """A name-safe spelling of a type, for generated helper names: ``map_string_list_i32``."""
    if t.kind in ("list", "set"):
        assert t.elem is not None
        return f"{t.kind}_{type_slug(t.elem)}"
    if t.kind == "map":
        assert t.key is not None and t.elem is not None
        return f"map_{type_slug(t.key)}_{type_slug(t.elem)}"
    if t.kind in ("enum", "struct"):
        return f"{t.module}_{t.name}" if t.module else str(t.name)
    return t.kind


class Names:
    """How one generated module refers to Thrift definitions, recording the imports it needs.

    ``module`` is the Thrift module being generated; definitions of included
    modules are reached through the include's subpackage (``_inc_shared.Foo``).
    Inside a class whose own attributes shadow names its annotations use
    (:meth:`within`), those names are written through aliases instead.
    """

    def __init__(self, module: m.Module, imports: Imports | None = None, shadowed: frozenset[str] = frozenset(),
                 aliases: dict[str, str] | None = None) -> None:
        self.module = module
        self.imports = Imports("", is_root=True) if imports is None else imports  # None: names only, no file
        self.shadowed = shadowed
        # name -> alias, for every shadowed name written so far (the module defines each alias once)
        self.aliases: dict[str, str] = {} if aliases is None else aliases

    def within(self, attrs: list[str]) -> Names:
        """These names as written inside a class with attributes ``attrs``."""
        return Names(self.module, self.imports, frozenset(attrs), self.aliases)

    def _unshadowed(self, name: str) -> str:
        if name not in self.shadowed:
            return name
        if name in _BUILTIN_ANNOTATIONS:
            alias = f"{self.imports.alias('_builtins')}.{name}"
        else:
            alias = f"_type_{name}"  # an implicit type alias at the end of types.py
        self.aliases[name] = alias
        return alias

    def cls(self, t: m.TypeRef) -> str:
        name = py_identifier(str(t.name))
        if t.module:
            return f"{self.imports.include(include_package(t.module))}.{name}"
        return self._unshadowed(self.imports.local(_DEFINED_IN[t.kind], name))

    def alias(self, name: str) -> str:
        """A runtime alias (``_ct``, ``_ts``...), imported."""
        return self.imports.alias(name)

    # -- annotations -------------------------------------------------------
    def value_type(self, t: m.TypeRef) -> str:
        """The Python type of a stored value (never None)."""
        if t.kind in _PY_SCALARS:
            return self._unshadowed(_PY_SCALARS[t.kind])
        if t.kind == "list":
            assert t.elem is not None
            return f"tuple[{self.value_type(t.elem)}, ...]"
        if t.kind == "set":
            assert t.elem is not None
            return f"{self.alias('_ct')}.OrderedSet[{self.value_type(t.elem)}]"
        if t.kind == "map":
            assert t.key is not None and t.elem is not None
            return f"{self.alias('_ct')}.FrozenMap[{self.value_type(t.key)}, {self.value_type(t.elem)}]"
        return self.cls(t)

    def input_type(self, t: m.TypeRef) -> str:
        """What a constructor accepts for a value of this type."""
        if t.kind in ("list", "set"):
            assert t.elem is not None
            return f"{self.alias('_abc')}.Iterable[{self.input_type(t.elem)}]"
        if t.kind == "map":
            assert t.key is not None and t.elem is not None
            return f"{self.alias('_abc')}.Mapping[{self.input_type(t.key)}, {self.input_type(t.elem)}]"
        return self.value_type(t)

    @staticmethod
    def nullable(t: m.TypeRef) -> bool:
        """Unset fields of these kinds are None (and left out of the JSON)."""
        return t.kind in ("string", "binary", "enum", "struct")

    def attr_annotation(self, t: m.TypeRef) -> str:
        base = self.value_type(t)
        return f"{base} | None" if self.nullable(t) else base

    # -- run-time type descriptions ------------------------------------------
    def typespec(self, t: m.TypeRef) -> str:
        """Expression of the TypeSpec describing ``t`` (module-level constants for non-primitives)."""
        if t.kind in _TS_PRIMITIVES:
            return f"{self.alias('_ts')}.{_TS_PRIMITIVES[t.kind]}"
        return f"_t_{type_slug(t)}"

    def typespec_definition(self, t: m.TypeRef) -> str:
        """Right-hand side defining the constant named by :meth:`typespec`."""
        ts = self.alias("_ts")
        if t.kind == "enum":
            return f"{ts}.EnumType({self.cls(t)})"
        if t.kind == "struct":
            return f"{ts}.StructType({self.cls(t)})"
        if t.kind == "list":
            assert t.elem is not None
            return f"{ts}.ListOf({self.typespec(t.elem)})"
        if t.kind == "set":
            assert t.elem is not None
            return f"{ts}.SetOf({self.typespec(t.elem)})"
        assert t.kind == "map" and t.key is not None and t.elem is not None
        return f"{ts}.MapOf({self.typespec(t.key)}, {self.typespec(t.elem)})"

    # -- literals ------------------------------------------------------------
    def literal(self, t: m.TypeRef, value: m.Value) -> str:
        """A Python expression building the constant ``value`` of type ``t``."""
        if value is None:
            return "None"
        if t.kind in ("bool", "byte", "i16", "i32", "i64", "string", "binary"):
            return repr(value)
        if t.kind == "double":
            return repr(float(value))  # type: ignore[arg-type]
        if t.kind == "enum":
            assert isinstance(value, m.EnumValueRef)
            return f"{self.cls(t)}.{py_identifier(value.name)}"
        if t.kind in ("list", "set"):
            assert t.elem is not None and isinstance(value, list)
            items = ", ".join(self.literal(t.elem, v) for v in value)
            items = items + "," if len(value) == 1 else items
            return f"({items})" if t.kind == "list" else f"{self.alias('_ct')}.OrderedSet(({items}))"
        if t.kind == "map":
            assert t.key is not None and t.elem is not None and isinstance(value, tuple)
            pairs = ", ".join(f"{self.literal(t.key, k)}: {self.literal(t.elem, v)}" for k, v in value)
            return f"{self.alias('_ct')}.FrozenMap({{{pairs}}})"
        assert t.kind == "struct" and isinstance(value, m.StructValue)
        return self._struct_literal(value)

    def _struct_literal(self, value: m.StructValue) -> str:
        args = []
        target = self._struct_model(value.type)
        attrs = dict(zip((f.name for f in target.fields), attr_names(target.fields))) if target else {}
        field_types = {f.name: f.type for f in target.fields} if target else {}
        for name, fvalue in value.fields:
            args.append(f"{attrs.get(name, name)}={self.literal(field_types[name], fvalue)}")
        return f"{self.cls(value.type)}({', '.join(args)})"

    def _struct_model(self, t: m.TypeRef) -> m.Struct | None:
        owner = self.module
        if t.module:
            owner = next(mod for mod in self.module.all_modules() if mod.name == t.module)
        return next((s for s in owner.structs if s.name == t.name), None)

    @staticmethod
    def needs_factory(t: m.TypeRef, value: m.Value) -> bool:
        """Defaults holding structs are built fresh for each object (each has its own hash cache)."""
        if value is None:
            return False
        if t.kind == "struct":
            return True
        if t.kind in ("list", "set"):
            assert t.elem is not None
            return _holds_struct(t.elem)
        if t.kind == "map":
            assert t.key is not None and t.elem is not None
            return _holds_struct(t.key) or _holds_struct(t.elem)
        return False


def _holds_struct(t: m.TypeRef) -> bool:
    if t.kind == "struct":
        return True
    return any(_holds_struct(x) for x in (t.elem, t.key) if x is not None)


def holds_struct(t: m.TypeRef) -> bool:
    """True when values of ``t`` contain struct or union objects."""
    return _holds_struct(t)


def docstring(text: str | None, indent: str) -> str:
    """A triple-quoted docstring block (without leading indent on the first line)."""
    if not text:
        return ""
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = body.split("\n")
    if len(lines) == 1:
        return f'"""{body}"""'
    return '"""' + lines[0] + "\n" + "\n".join((indent + ln) if ln else "" for ln in lines[1:]) + "\n" + indent + '"""'
