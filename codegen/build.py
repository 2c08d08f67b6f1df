"""Stage 2: a thriftpy2 module -> the intermediate model (``model.py``).

thriftpy2 gives types, fields, defaults and line numbers; the IDL text
(``idltext.py``) gives what thriftpy2 drops: doc comments, ``optional``, and
the declared types of constants.
"""

from __future__ import annotations

import hashlib
import os
import types
from typing import Any

from aurorakit.runtime.scalars import INTEGERS, SCALARS
from thriftpy2.thrift import TType

from . import model as m
from .checks import check_brackets, check_module
from .errors import IdlError
from .idltext import IdlText, clean_doc

_PRIMITIVE_TTYPES = {s.ttype: kind for kind, s in SCALARS.items()}


def build_module(thrift: types.ModuleType) -> m.Module:
    """The model of a loaded IDL and of every file it includes."""
    built: dict[str, m.Module] = {}
    return _ModuleBuilder(thrift, built).build()


class _ModuleBuilder:
    def __init__(self, thrift: types.ModuleType, built: dict[str, m.Module]) -> None:
        self.thrift = thrift
        self.path = os.path.abspath(thrift.__thrift_file__)
        self.built = built
        with open(self.path, "rb") as fh:
            data = fh.read()
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.text = IdlText(data.decode("utf-8"))
        check_brackets(self.text.tokens, self.path)
        # Which module a definition lives in, by the file that declared it. Every
        # file included directly or not counts: a constant of an included struct
        # can hold values of types from that file's own includes.
        self.module_of_file: dict[str, str | None] = {self.path: None}
        self.included: dict[str, types.ModuleType] = {}
        for inc in _transitive_includes(thrift):
            inc_path = os.path.abspath(inc.__thrift_file__)
            other = self.included.get(inc.__name__)
            if other is not None and os.path.abspath(other.__thrift_file__) != inc_path:
                raise IdlError(f"two included files are both named {inc.__name__}.thrift "
                               f"({other.__thrift_file__} and {inc_path}); generated packages "
                               "name included modules by file name", self.path)
            self.included[inc.__name__] = inc
            self.module_of_file[inc_path] = inc.__name__

    def build(self) -> m.Module:
        name = os.path.basename(self.path)[: -len(".thrift")]
        if self.path in self.built:
            return self.built[self.path]
        module = m.Module(name=name, path=self.path, sha256=self.sha256,
                          namespaces=dict(sorted(getattr(self.thrift, "__thrift_namespaces__", {}).items())))
        self.built[self.path] = module
        module.includes = [_ModuleBuilder(inc, self.built).build() for inc in _includes(self.thrift)]
        meta = getattr(self.thrift, "__thrift_meta__", {})
        module.doc = self._module_doc()
        module.enums = [self._enum(e) for e in meta.get("enums", [])]
        kinds = [("struct", c) for c in meta.get("structs", [])] + [("union", c) for c in meta.get("unions", [])] \
            + [("exception", c) for c in meta.get("exceptions", [])]
        kinds.sort(key=lambda kc: kc[1].__thrift_lineno__ or 0)
        module.structs = [self._struct(kind, cls) for kind, cls in kinds]
        module.consts = [self._const(decl) for decl in self.text.consts()]
        module.services = [self._service(s) for s in meta.get("services", [])]
        self._check_unique_names(meta)
        check_module(module)
        return module

    def _check_unique_names(self, meta: dict[str, Any]) -> None:
        """One name, one definition: thriftpy2 only refuses a repeat within one kind."""
        defined = [(cls.__name__, cls.__thrift_lineno__)
                   for kind in ("enums", "structs", "unions", "exceptions", "services") for cls in meta.get(kind, [])]
        defined += [(decl.name, decl.line) for decl in self.text.consts()]
        first: dict[str, int | None] = {}
        for name, line in sorted(defined, key=lambda nl: nl[1] or 0):
            if name in first:
                raise IdlError(f"{name} is defined twice (first on line {first[name]})", self.path, line)
            first[name] = line

    # -- definitions ---------------------------------------------------------
    def _module_doc(self) -> str | None:
        code = [t for t in self.text.tokens if t.kind != "comment"]
        if len(code) > 1 and code[0].kind == "doc" and code[1].text in ("namespace", "include", "cpp_include"):
            return clean_doc(code[0].text)
        return None

    def _enum(self, cls: Any) -> m.Enum:
        scope = self.text.body("enum", cls.__name__, cls.__thrift_lineno__)
        linenos = getattr(cls, "__thrift_item_linenos__", {})
        seen: set[str] = set()
        for tok in self.text.enum_members(scope):
            if tok.text in seen:
                raise IdlError(f"enum {cls.__name__} has two members named {tok.text}", self.path, tok.line)
            seen.add(tok.text)
        values = [m.EnumValue(name, value, self.text.enum_value_doc(scope, name, linenos.get(name)), linenos.get(name))
                  for name, value in cls._NAMES_TO_VALUES.items()]
        return m.Enum(cls.__name__, values, self.text.definition_doc("enum", cls.__name__, cls.__thrift_lineno__),
                      cls.__thrift_lineno__)

    def _struct(self, kind: str, cls: Any) -> m.Struct:
        scope = self.text.body(kind, cls.__name__, cls.__thrift_lineno__)
        linenos = getattr(cls, "__thrift_field_linenos__", {})
        fields = [self._field(cls, name, default, scope, linenos.get(name)) for name, default in cls.default_spec]
        return m.Struct(kind, cls.__name__, fields, self.text.definition_doc(kind, cls.__name__, cls.__thrift_lineno__),
                        cls.__thrift_lineno__)

    def _field(self, cls: Any, name: str, default: Any, scope: tuple[int, int] | None, line: int | None) -> m.Field:
        fid, spec = next((fid, spec) for fid, spec in cls.thrift_spec.items() if spec[1] == name)
        ftype = self.type_of(spec[0], spec[2] if len(spec) > 3 else None)
        requiredness, doc = self.text.field(scope, name, line)
        if spec[-1] is True:
            requiredness = "required"
        return m.Field(fid, name, ftype, requiredness, self.value(ftype, default, line), doc, line)

    def _const(self, decl: Any) -> m.Const:
        ctype, end = self._parse_type(list(decl.type_tokens), 0, decl.line)
        if end != len(decl.type_tokens):
            raise IdlError(f"cannot read the type of constant {decl.name}", self.path, decl.line)
        return m.Const(decl.name, ctype, self.value(ctype, getattr(self.thrift, decl.name), decl.line), decl.doc,
                       decl.line)

    def _service(self, svc: Any) -> m.Service:
        inherited: set[str] = set()
        extends = None
        for base in svc.__bases__:
            if base is not object:
                inherited.update(getattr(base, "thrift_services", ()))
                extends = m.TypeRef("service", base.__name__, self._module_of(base))
        scope = self.text.body("service", svc.__name__, svc.__thrift_lineno__)
        linenos = getattr(svc, "__thrift_function_linenos__", {})
        methods = [self._method(svc, name, scope, linenos.get(name))
                   for name in svc.thrift_services if name not in inherited]
        doc = self.text.definition_doc("service", svc.__name__, svc.__thrift_lineno__)
        return m.Service(svc.__name__, extends, methods, doc, svc.__thrift_lineno__)

    def _method(self, svc: Any, name: str, scope: tuple[int, int] | None, line: int | None) -> m.Method:
        args_cls = getattr(svc, name + "_args")
        result_cls = getattr(svc, name + "_result")
        ret = result_cls.thrift_spec.get(0)
        returns = self.type_of(ret[0], ret[2] if len(ret) > 3 else None) if ret else None
        args = [self._plain_field(args_cls, name_, default) for name_, default in args_cls.default_spec]
        throws = [self._plain_field(result_cls, spec[1], None)
                  for fid, spec in sorted(result_cls.thrift_spec.items()) if fid != 0]
        return m.Method(name, bool(getattr(result_cls, "oneway", False)), returns, args, throws,
                        self.text.method_doc(scope, name, line), line)

    def _plain_field(self, cls: Any, name: str, default: Any) -> m.Field:
        fid, spec = next((fid, spec) for fid, spec in cls.thrift_spec.items() if spec[1] == name)
        ftype = self.type_of(spec[0], spec[2] if len(spec) > 3 else None)
        line = getattr(cls, "__thrift_field_linenos__", {}).get(name)
        return m.Field(fid, name, ftype, "required" if spec[-1] is True else "default", self.value(ftype, default),
                       line=line)

    # -- types ---------------------------------------------------------------
    def _module_of(self, cls: Any) -> str | None:
        path = os.path.abspath(getattr(cls, "__thrift_file__", None) or self.path)
        return self.module_of_file.get(path, os.path.basename(path)[: -len(".thrift")])

    def type_of(self, ttype: int, spec: Any) -> m.TypeRef:
        """The TypeRef of a thriftpy2 (ttype, spec) pair."""
        if ttype in (TType.LIST, TType.SET):
            elem = self.type_of(*_split(spec))
            return m.TypeRef("list" if ttype == TType.LIST else "set", elem=elem)
        if ttype == TType.MAP:
            key, value = spec
            return m.TypeRef("map", key=self.type_of(*_split(key)), elem=self.type_of(*_split(value)))
        if ttype == TType.STRUCT:
            return m.TypeRef("struct", spec.__name__, self._module_of(spec))
        if ttype == TType.I32 and spec is not None and hasattr(spec, "_VALUES_TO_NAMES"):
            return m.TypeRef("enum", spec.__name__, self._module_of(spec))
        if ttype in _PRIMITIVE_TTYPES:
            return m.TypeRef(_PRIMITIVE_TTYPES[ttype])
        raise IdlError(f"unsupported Thrift type code {ttype}", self.path)

    def _parse_type(self, tokens: list[str], pos: int, line: int) -> tuple[m.TypeRef, int]:
        """Parse a declared type such as ``map<string, set<Foo>>`` from tokens."""
        def expect(text: str, at: int) -> int:
            if at >= len(tokens) or tokens[at] != text:
                raise IdlError(f"expected {text!r} in a constant's type", self.path, line)
            return at + 1

        name = tokens[pos] if pos < len(tokens) else ""
        if name in ("list", "set"):
            elem, pos = self._parse_type(tokens, expect("<", pos + 1), line)
            return m.TypeRef(name, elem=elem), expect(">", pos)
        if name == "map":
            key, pos = self._parse_type(tokens, expect("<", pos + 1), line)
            value, pos = self._parse_type(tokens, expect(",", pos), line)
            return m.TypeRef("map", key=key, elem=value), expect(">", pos)
        if name in m.PRIMITIVES:
            return m.TypeRef(name), pos + 1
        target: Any = self.thrift
        for part in name.split("."):
            target = getattr(target, part, None)
        if target is None:
            raise IdlError(f"unknown type {name!r} in a constant", self.path, line)
        if isinstance(target, int):
            return self.type_of(target, None), pos + 1
        if isinstance(target, tuple):
            return self.type_of(*target), pos + 1
        return self.type_of(getattr(target, "_ttype", TType.STRUCT), target), pos + 1

    # -- values --------------------------------------------------------------
    def value(self, vtype: m.TypeRef, raw: Any, line: int | None = None) -> m.Value:
        """A constant or default value in model form, checked against its type.

        ``line`` is where the constant or default is written, for errors.
        """
        if raw is None:
            return None
        kind = vtype.kind
        if kind == "enum":
            enum = self._definition(vtype)
            return m.EnumValueRef(vtype, enum._VALUES_TO_NAMES[raw], int(raw))
        if kind == "struct":
            cls = self._definition(vtype)
            given = _struct_value_fields(raw)
            unknown = sorted(set(given) - {fname for fname, _ in cls.default_spec})
            if unknown:
                raise IdlError(f"{vtype} has no field {', '.join(unknown)}", self.path, line)
            fields = []
            for fname, _ in cls.default_spec:
                fvalue = given.get(fname)
                if fvalue is not None:
                    spec = next(s for s in cls.thrift_spec.values() if s[1] == fname)
                    ftype = self.type_of(spec[0], spec[2] if len(spec) > 3 else None)
                    fields.append((fname, self.value(ftype, fvalue, line)))
            return m.StructValue(vtype, tuple(fields))
        if kind == "list":
            assert vtype.elem is not None
            return [self.value(vtype.elem, x, line) for x in raw]
        if kind == "set":
            assert vtype.elem is not None
            # thriftpy2 keeps set constants as Python sets, losing the written
            # order; a sorted order keeps the generated code reproducible.
            return sorted((self.value(vtype.elem, x, line) for x in raw), key=_sort_key)
        if kind == "map":
            assert vtype.key is not None and vtype.elem is not None
            return tuple((self.value(vtype.key, k, line), self.value(vtype.elem, v, line)) for k, v in raw.items())
        if kind == "double":
            return float(raw)
        if kind == "binary":
            return raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        if kind == "bool":
            return bool(raw)
        if kind in INTEGERS:
            # thriftpy2 only checks that an integer is an int; Java's compiler
            # (and the generated constructors) refuse what does not fit.
            low, high = INTEGERS[kind].low, INTEGERS[kind].high
            if not low <= raw <= high:
                raise IdlError(f"{raw} is out of range for {kind} ({low}..{high})", self.path, line)
        return raw  # type: ignore[no-any-return]

    def _definition(self, vtype: m.TypeRef) -> Any:
        owner: Any = self.thrift if vtype.module is None else self.included[vtype.module]
        return getattr(owner, str(vtype.name))


def _includes(thrift: types.ModuleType) -> list[types.ModuleType]:
    return list(getattr(thrift, "__thrift_meta__", {}).get("includes", []))


def _transitive_includes(thrift: types.ModuleType) -> list[types.ModuleType]:
    """Every module ``thrift`` includes, directly or through other includes, each once."""
    found: dict[int, types.ModuleType] = {}
    pending = _includes(thrift)
    while pending:
        inc = pending.pop(0)
        if id(inc) not in found:
            found[id(inc)] = inc
            pending.extend(_includes(inc))
    return list(found.values())


def _struct_value_fields(raw: Any) -> dict[str, Any]:
    """The field values of a struct-typed constant or default, however thriftpy2 left it.

    thriftpy2 builds an object of the struct class when the type is already
    declared; otherwise (a default naming a struct declared further down, or a
    struct inside a container constant) it keeps the written dict, for a
    default wrapped as ``('UNKNOWN_CONST', id, dict, line)``.
    """
    if isinstance(raw, tuple) and len(raw) == 4 and raw[0] == "UNKNOWN_CONST":
        raw = raw[2]
    if isinstance(raw, dict):
        return dict(raw)
    return {name: getattr(raw, name, None) for name, _ in raw.default_spec}


def _split(spec: Any) -> tuple[int, Any]:
    return (spec[0], spec[1]) if isinstance(spec, tuple) else (spec, None)


def _sort_key(value: m.Value) -> Any:
    """Set elements share one type: numbers and strings sort as such, enums by value."""
    if isinstance(value, m.EnumValueRef):
        return value.value
    if isinstance(value, (int, float, str, bytes)):
        return value
    return repr(value)
