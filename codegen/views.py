"""Decide stage: the model -> typed views of enums.py, types.py, constants.py, services.py and __init__.py.

Each view holds every string its template prints, decided here (with the
names, annotations and literals of ``python.py``), so the templates only lay
them out. The views of gson.py are made by ``gsoncode.py``. Each builder
takes a fresh :class:`~.imports.Imports` and fills it as it writes names.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import model as m
from .imports import Imports
from .python import JAVA_DEFAULTS, Names, attr_names, docstring, include_package, py_identifier, type_slug


# -- enums.py ------------------------------------------------------------------
@dataclass(frozen=True)
class EnumMemberView:
    name: str
    value: int
    doc: str  # "" when the IDL documents none


@dataclass(frozen=True)
class EnumView:
    name: str
    doc: str
    members: tuple[EnumMemberView, ...]


def enums_view(module: m.Module, imports: Imports) -> tuple[EnumView, ...]:
    if module.enums:
        imports.alias("_enum")
    return tuple(EnumView(py_identifier(e.name), docstring(e.doc, "    "),
                          tuple(EnumMemberView(py_identifier(v.name), v.value, docstring(v.doc, "    "))
                                for v in e.values))
                 for e in module.enums)


# -- types.py ------------------------------------------------------------------
@dataclass(frozen=True)
class FieldView:
    attr: str  # the Python attribute and keyword
    name: str  # the IDL name
    id: int
    requiredness: str
    annotation: str  # of the attribute (a union's: of its arm property)
    param_annotation: str
    param_default: str
    check: str  # the expression the constructor stores: the argument, checked
    factory: str | None  # builds an IDL default holding structs afresh for each object
    typespec: str
    doc: str


@dataclass(frozen=True)
class StructView:
    name: str
    kind: str  # "struct", "union" or "exception"
    base: str
    doc: str
    slots: tuple[str, ...]
    fields: tuple[FieldView, ...]
    self_type: str  # the class's name as its own annotations write it
    encoder: str  # the Gson codec in gson.py, named in to_gson's and from_gson's docs
    decoder: str


@dataclass(frozen=True)
class FactoryView:
    name: str
    annotation: str
    where: str  # Struct.field
    literal: str


@dataclass(frozen=True)
class Definition:
    """``name = value`` at module level (a type spec, or an alias of a shadowed name)."""

    name: str
    value: str


@dataclass(frozen=True)
class TypesView:
    names: tuple[str, ...]
    structs: tuple[StructView, ...]
    factories: tuple[FactoryView, ...]
    idl_default: str  # "" when no field needs a factory
    typespecs: tuple[Definition, ...]
    type_aliases: tuple[Definition, ...]
    any_type: str  # annotations: of what from_gson reads, of a union's field_value
    codec: str  # the module from_gson reads with
    final: str


_BASES = {"struct": "ThriftStruct", "union": "ThriftUnion", "exception": "ThriftException"}
_PRIVATE_SLOTS = ("_jhash", "_json", "_pyhash")


def types_view(module: m.Module, imports: Imports) -> TypesView:
    names = Names(module, imports)
    typespecs: dict[str, m.TypeRef] = {}
    factories: list[FactoryView] = []
    structs = []
    for s in module.structs:
        attrs = attr_names(s.fields)
        inside = names.within(attrs)
        fields = []
        for f, attr in zip(s.fields, attrs):
            _collect_typespecs(f.type, typespecs)
            fields.append(_field_view(names, inside, s, f, attr, factories))
        union = s.kind == "union"
        st = imports.alias("_st")
        structs.append(StructView(
            name=py_identifier(s.name), kind=s.kind, base=f"{st}.{_BASES[s.kind]}", doc=docstring(s.doc, "    "),
            slots=tuple(["set_field", "field_value"] if union else attrs) + _PRIVATE_SLOTS, fields=tuple(fields),
            self_type=inside.cls(m.TypeRef("struct", s.name)),
            encoder=f"gson._enc_{s.name}", decoder=f"gson._dec_{s.name}"))
    specs = tuple(Definition(names.typespec(t), names.typespec_definition(t)) for t in _dependency_order(typespecs))
    aliases = tuple(Definition(alias, name) for name, alias in sorted(names.aliases.items(), key=lambda kv: kv[1])
                    if not alias.startswith("_builtins."))
    return TypesView(
        names=tuple(py_identifier(s.name) for s in module.structs), structs=tuple(structs),
        factories=tuple(factories), idl_default=f"{names.alias('_st')}.IDL_DEFAULT" if factories else "",
        typespecs=specs, type_aliases=aliases,
        any_type=f"{imports.alias('_typing')}.Any" if structs else "",
        codec=imports.alias("_codec") if structs else "",
        final=f"{imports.alias('_typing')}.Final" if factories else "")


def _field_view(names: Names, inside: Names, s: m.Struct, f: m.Field, attr: str,
                factories: list[FactoryView]) -> FieldView:
    where = f"{s.name}.{f.name}"
    param = inside.input_type(f.type)
    nullable = names.nullable(f.type)
    factory = None
    if f.default is not None and names.needs_factory(f.type, f.default):
        factory = f"_default_{py_identifier(s.name)}_{attr}"
        factories.append(FactoryView(factory, names.value_type(f.type), where, names.literal(f.type, f.default)))
        param_annotation = f"{param} | None | {names.alias('_st')}.IdlDefault"
        default = "_IDL_DEFAULT"
    else:
        param_annotation = f"{param} | None" if nullable or s.kind == "union" else param
        default = _param_default(names, f)
    if s.kind == "union":
        annotation = f"{inside.value_type(f.type)} | None"
    else:
        annotation = inside.attr_annotation(f.type)
    return FieldView(
        attr=attr, name=f.name, id=f.id, requiredness=f.requiredness, annotation=annotation,
        param_annotation=param_annotation, param_default=default, check=_check(names, f, attr, where),
        factory=factory, typespec=names.typespec(f.type),
        doc=docstring(f.doc, "    " if s.kind != "union" else "        "))


def _check(names: Names, f: m.Field, attr: str, where: str) -> str:
    """The constructor's check of argument ``attr``: what it stores (None stays None where allowed)."""
    ts = names.alias("_ts")
    if f.type.kind in ("string", "binary"):
        return f'None if {attr} is None else {ts}.check_{f.type.kind}({attr}, "{where}")'
    if names.nullable(f.type):
        return f'None if {attr} is None else {names.typespec(f.type)}.check({attr}, "{where}")'
    if f.type.kind in ("list", "set", "map"):
        return f'{names.typespec(f.type)}.check({attr}, "{where}")'
    return f'{ts}.check_{f.type.kind}({attr}, "{where}")'


def _param_default(names: Names, f: m.Field) -> str:
    if f.default is not None:
        return names.literal(f.type, f.default)
    if f.type.kind in JAVA_DEFAULTS:
        return JAVA_DEFAULTS[f.type.kind]
    if f.type.kind in ("list", "set"):
        return "()"
    if f.type.kind == "map":
        return f"{names.alias('_ct')}.EMPTY_MAP"
    return "None"


def _collect_typespecs(t: m.TypeRef, found: dict[str, m.TypeRef]) -> None:
    if t.kind in ("list", "set", "map", "enum", "struct"):
        found.setdefault(type_slug(t), t)
    for inner in (t.key, t.elem):
        if inner is not None:
            _collect_typespecs(inner, found)


def _dependency_order(found: dict[str, m.TypeRef]) -> list[m.TypeRef]:
    """Type specs ordered so that each one's parts are defined before it."""
    done: dict[str, m.TypeRef] = {}

    def visit(t: m.TypeRef) -> None:
        for inner in (t.key, t.elem):
            if inner is not None and inner.kind in ("list", "set", "map", "enum", "struct"):
                visit(inner)
        done.setdefault(type_slug(t), t)

    for slug in sorted(found):
        visit(found[slug])
    return list(done.values())


# -- constants.py --------------------------------------------------------------
@dataclass(frozen=True)
class ConstView:
    name: str
    annotation: str
    literal: str
    doc: str


@dataclass(frozen=True)
class ConstantsView:
    consts: tuple[ConstView, ...]
    final: str  # the Final annotation


def constants_view(module: m.Module, imports: Imports) -> ConstantsView:
    names = Names(module, imports)
    consts = tuple(ConstView(py_identifier(c.name), names.value_type(c.type), names.literal(c.type, c.value),
                             docstring(c.doc, "")) for c in module.consts)
    return ConstantsView(consts, f"{imports.alias('_typing')}.Final" if consts else "")


# -- services.py ---------------------------------------------------------------
@dataclass(frozen=True)
class ArgView:
    attr: str
    annotation: str


@dataclass(frozen=True)
class MethodView:
    name: str
    args: tuple[ArgView, ...]
    returns: str
    doc: str
    notes: tuple[str, ...]  # comments on what the signature cannot say: throws, oneway


@dataclass(frozen=True)
class ServiceView:
    name: str
    bases: str
    doc: str
    methods: tuple[MethodView, ...]


def services_view(module: m.Module, imports: Imports) -> tuple[ServiceView, ...]:
    names = Names(module, imports)
    out = []
    for svc in module.services:
        methods = []
        for meth in svc.methods:
            args = tuple(ArgView(attr, _arg_annotation(names, a)) for a, attr in zip(meth.args, attr_names(meth.args)))
            notes = []
            if meth.throws:
                # The IDL's names: a comment imports nothing.
                notes.append("throws " + ", ".join(str(x.type) for x in meth.throws))
            if meth.oneway:
                notes.append("oneway: the caller does not wait for an answer")
            returns = "None" if meth.returns is None else names.value_type(meth.returns)
            methods.append(MethodView(py_identifier(meth.name), args, returns, docstring(meth.doc, "        "),
                                      tuple(notes)))
        protocol = f"{imports.alias('_typing')}.Protocol"
        bases = f"{names.cls(svc.extends)}, {protocol}" if svc.extends else protocol
        out.append(ServiceView(py_identifier(svc.name), bases, docstring(svc.doc, "    "), tuple(methods)))
    return tuple(out)


def _arg_annotation(names: Names, a: m.Field) -> str:
    base = names.input_type(a.type)
    return f"{base} | None" if names.nullable(a.type) else base


# -- __init__.py ---------------------------------------------------------------
@dataclass(frozen=True)
class Reexport:
    module: str  # ".types"..., or where the packages of included files are
    names: tuple[str, ...]


@dataclass(frozen=True)
class InitView:
    doc: str
    reexports: tuple[Reexport, ...]
    all_names: tuple[str, ...]


def init_view(module: m.Module, idl_file: str, is_root: bool) -> InitView:
    """The package's names: its definitions, and the packages of the files it includes directly."""
    groups = (
        (".enums", [py_identifier(e.name) for e in module.enums]),
        (".types", [py_identifier(s.name) for s in module.structs]),
        (".constants", [py_identifier(c.name) for c in module.consts]),
        (".services", [py_identifier(s.name) for s in module.services]),
        ("." if is_root else "..", [include_package(inc.name) for inc in module.includes]),  # siblings of the root
    )
    reexports = tuple(Reexport(where, tuple(found)) for where, found in groups if found)
    doc = module.doc or f"Typed models of {idl_file}, generated by aurorakit."
    return InitView(docstring(doc, ""), reexports, tuple(n for _, found in groups for n in found))
