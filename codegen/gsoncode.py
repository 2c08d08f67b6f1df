"""Decide stage of gson.py: how each Thrift type is written, read and hashed.

:func:`gson_view` turns a module into a :class:`GsonView`: for each type
the Python expressions (strings) the generated ``gson.py`` uses to encode a
value to Gson JSON, read it from a parsed JSON value, or compute its Java
``hashCode``. How a decoder reads a member is a :class:`MemberRead` naming
one case of the template's ``read_member`` macro: the statements are
written once, there. Containers get one helper function per distinct
container type (``_enc_list_Resource`` and so on), innermost first.
"""

from __future__ import annotations

from dataclasses import dataclass

from aurorakit.runtime.identity import arm_constant
from aurorakit.runtime.java import INT_MASK
from aurorakit.runtime.scalars import I32, INTEGERS, JAVA_FALSE_HASH, JAVA_TRUE_HASH, Scalar

from . import model as m
from .imports import ALIASES, GSON_LOCALS, Imports
from .python import Names, attr_names, holds_struct, include_package, py_identifier, type_slug


@dataclass(frozen=True)
class MemberRead:
    """How a decoder reads member ``key`` of its dict: a case of the template's ``read_member`` macro.

    ``string``, ``enum`` and ``struct`` members may be left out (read with
    ``get``, as may ``decoded`` ones); the others Gson always writes. ``convert`` reads a value that is
    not already of the expected Python type (for ``decoded`` and
    ``container``: every value).
    """

    case: str  # "string", "bool", "int", "double", "container", "enum" or "decoded"
    key: str
    convert: str
    low: int = 0  # "int": the range of the Thrift integer type
    high: int = 0
    table: str = ""  # "enum": name -> member
    type_name: str = ""  # "enum": the IDL name, for errors


@dataclass(frozen=True)
class GsonField:
    name: str
    attr: str
    nullable: bool  # None when unset: written only when set, hashed as 0
    always_written: bool
    set_field: str  # a union arm's setField constant
    local: str  # a nullable field's own local in the hash function
    encode: str  # expression writing o.<attr> (non-None)
    hash: str  # Java hashCode of the local (nullable) or of o.<attr>
    encoder: str  # one-argument function, for union arm tables
    decoder: str
    hasher: str | None  # union arms only: a field's hasher would import what nothing else uses
    read: MemberRead


@dataclass(frozen=True)
class GsonStruct:
    name: str  # the class
    idl_name: str
    kind: str
    fields: tuple[GsonField, ...]
    reads_optional: bool  # some member may be left out: the decoder binds d.get
    # Conditions under which an encoded object's JSON is final (kept for good);
    # empty: the JSON is kept for good once hashed.
    frozen_checks: tuple[str, ...]


@dataclass(frozen=True)
class GsonEnumMember:
    attr: str
    name: str


@dataclass(frozen=True)
class GsonEnum:
    name: str
    idl_name: str
    members: tuple[GsonEnumMember, ...]


@dataclass(frozen=True)
class Container:
    kind: str  # "list", "set" or "map"
    slug: str
    value_type: str
    elem_encoder: str
    elem_decoder: str
    elem_hash: str  # of element e (a map's: of value x)
    key_encoder: str = ""  # maps only
    key_decoder: str = ""
    key_hash: str = ""  # of key k


@dataclass(frozen=True)
class GsonView:
    enums: tuple[GsonEnum, ...]
    structs: tuple[GsonStruct, ...]
    containers: tuple[Container, ...]
    legend: tuple[tuple[str, str], ...]  # the module's one comment on its short names: (name, meaning)
    int32: Scalar = I32  # a Java int's range: cachedHashCode checks and the hash's wrap
    int_mask: int = INT_MASK


def gson_view(module: m.Module, imports: Imports) -> GsonView:
    g = _Gson(Names(module, imports))
    all_types: list[m.TypeRef] = []
    structs = []
    for s in module.structs:
        attrs = attr_names(s.fields)
        all_types.extend(f.type for f in s.fields)
        fields = tuple(g.field(f, attr, arm=s.kind == "union") for f, attr in zip(s.fields, attrs))
        optional = any(f.read.case in ("string", "enum", "decoded") for f in fields)
        structs.append(GsonStruct(py_identifier(s.name), s.name, s.kind, fields, optional, g.frozen_checks(s, attrs)))
    enums = tuple(GsonEnum(g.names.cls(m.TypeRef("enum", e.name)), e.name,
                           tuple(GsonEnumMember(py_identifier(v.name), v.name) for v in e.values))
                  for e in module.enums)
    for s in module.structs:
        g.names.cls(m.TypeRef("struct", s.name))
    containers = tuple(g.container(t) for t in _container_types(all_types))
    _template_imports(imports, enums, structs, containers)
    # Last: by now every name the module uses is recorded.
    legend = tuple((name, ALIASES[name].meaning) for name in sorted(ALIASES) if imports.used(name)) + GSON_LOCALS
    return GsonView(enums, tuple(structs), containers, legend)


def _template_imports(imports: Imports, enums: tuple[GsonEnum, ...], structs: list[GsonStruct],
                      containers: tuple[Container, ...]) -> None:
    """Record the names the template's own code uses (the expressions here record theirs as they are made)."""
    used = ["_typing"]  # _Ids, casts and annotations
    if enums:
        used.append("_rv")  # enum_value
    if structs:
        used += ["_st", "_PayloadError", "_EPOCH", "_WRITTEN", "_rv", "_ms", "_en"]
    if any(s.frozen_checks for s in structs):
        used.append("_Interned")
    if containers:
        used.append("_rc")
    if any(c.kind != "map" for c in containers):
        used.append("_PayloadError")
    for name in used:
        imports.alias(name)


class _Gson:
    """The Gson expressions of types, as one generated gson.py writes them (recording its imports)."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self.alias = names.alias

    def rt(self, alias: str, name: str) -> str:
        """``name`` of the runtime module imported as ``alias`` (recording the import)."""
        return f"{self.alias(alias)}.{name}"

    def ref(self, t: m.TypeRef, prefix: str) -> str:
        """The generated function ``prefix`` + type, qualified when the type lives in an include."""
        if t.module and t.kind in ("struct", "enum"):
            return f"{self.names.imports.include(include_package(t.module), 'gson')}.{prefix}{t.name}"
        return f"{prefix}{type_slug(t)}"

    def field(self, f: m.Field, attr: str, *, arm: bool) -> GsonField:
        t = f.type
        nullable = self.names.nullable(t)
        return GsonField(
            name=f.name, attr=attr, nullable=nullable,
            always_written=t.kind not in ("string", "binary", "enum", "struct"),
            set_field=arm_constant(f.name), local=f"v_{attr}", encode=self.encode_expr(t, f"o.{attr}"),
            hash=self.hash_expr(t, f"v_{attr}" if nullable else f"o.{attr}"),
            encoder=self.encoder(t), decoder=self.decoder(t), hasher=self.hasher(t) if arm else None,
            read=self.read(t, f.name))

    def frozen_checks(self, s: m.Struct, attrs: list[str]) -> tuple[str, ...]:
        """When a hashed object's JSON cannot change any more: every object inside is final too."""
        checks = []
        for f, attr in zip(s.fields, attrs):
            if f.type.kind == "struct":
                checks.append(f"(o.{attr} is None or o.{attr}._json.__class__ is str)")
            elif holds_struct(f.type):
                checks.append(f"{self.alias('_en')}.frozen(o.{attr})")
        return tuple(checks)

    # -- encoding --------------------------------------------------------------
    def encoder(self, t: m.TypeRef) -> str:
        """A one-argument function writing a value of ``t`` as JSON."""
        if t.kind in ("double", "string"):
            return self.alias("_gd" if t.kind == "double" else "_gs")
        if t.kind in INTEGERS:
            return "str"
        if t.kind in ("bool", "binary"):
            return self.rt("_en", f"enc_{t.kind}")
        if t.kind == "enum":
            return self.ref(t, "_Q_") + ".__getitem__"
        return self.ref(t, "_enc_")

    def encode_expr(self, t: m.TypeRef, value: str) -> str:
        """Expression writing ``value`` (a non-None value of ``t``) as JSON."""
        if t.kind == "bool":
            return f'("true" if {value} else "false")'
        if t.kind in INTEGERS:
            return f"str({value})"
        if t.kind == "enum":
            return f"{self.ref(t, '_Q_')}[{value}]"
        return f"{self.encoder(t)}({value})"

    def map_key_encoder(self, t: m.TypeRef) -> str:
        """A one-argument function writing a map key as Gson does: its string form, quoted."""
        if t.kind == "string":
            return self.alias("_gs")
        if t.kind in INTEGERS:
            return self.rt("_mk", "int_key")
        if t.kind in ("bool", "double"):
            return self.rt("_mk", f"{t.kind}_key")
        if t.kind == "enum":
            return self.ref(t, "_Q_") + ".__getitem__"
        return self.rt("_mk", "unwritable_key")

    # -- decoding --------------------------------------------------------------
    def decoder(self, t: m.TypeRef) -> str:
        """A one-argument function reading a JSON value (never None) as ``t``."""
        if t.kind in INTEGERS or t.kind in ("bool", "double", "string", "binary"):
            return self.rt("_rv", f"{t.kind}_value")
        return self.ref(t, "_dec_")

    def map_key_decoder(self, t: m.TypeRef) -> str:
        if t.kind == "string":
            return self.rt("_rv", "string_value")
        if t.kind in INTEGERS or t.kind in ("bool", "double"):
            return self.rt("_mk", f"{t.kind}_key_value")
        if t.kind == "enum":
            return self.ref(t, "_dec_")
        return self.rt("_mk", "unreadable_key")

    def read(self, t: m.TypeRef, key: str) -> MemberRead:
        if t.kind in INTEGERS:
            return MemberRead("int", key, self.decoder(t), low=INTEGERS[t.kind].low, high=INTEGERS[t.kind].high)
        if t.kind == "enum":
            return MemberRead("enum", key, self.rt("_rv", "bad_enum"), table=self.ref(t, "_E_"), type_name=str(t.name))
        if t.kind in ("string", "bool", "double"):
            return MemberRead(t.kind, key, self.decoder(t))
        if t.kind in ("list", "set", "map"):
            return MemberRead("container", key, self.decoder(t))
        return MemberRead("decoded", key, self.decoder(t))  # structs, and binary (base64 text as read)

    # -- Java hashCode -----------------------------------------------------------
    def hasher(self, t: m.TypeRef) -> str:
        """A two-argument function (value, identity table) giving Java's hashCode of a value of ``t``."""
        named = {"bool": "hash_bool", "byte": "hash_int", "i16": "hash_int", "i32": "hash_int",
                 "i64": "hash_i64", "double": "hash_double", "string": "hash_string", "binary": "hash_binary"}
        if t.kind in named:
            return self.rt("_hv", named[t.kind])
        return self.ref(t, "_hash_")

    def hash_expr(self, t: m.TypeRef, value: str) -> str:
        """Expression of Java's hashCode of ``value`` (non-None) of type ``t``; ``ids`` is the identity table."""
        if t.kind == "bool":
            return f"({JAVA_TRUE_HASH} if {value} else {JAVA_FALSE_HASH})"
        if t.kind in ("byte", "i16", "i32"):
            return value
        named = {"i64": "_lh", "double": "_dh", "string": "_sh"}
        if t.kind in named:
            return f"{self.alias(named[t.kind])}({value})"
        if t.kind == "enum":
            return f"ids[{self.ref(t, '_K_')}[{value}]]"
        return f"{self.hasher(t)}({value}, ids)"

    def container(self, t: m.TypeRef) -> Container:
        """What the template needs to write the helpers of one container type."""
        assert t.elem is not None
        if t.kind != "map":
            return Container(t.kind, type_slug(t), self.names.value_type(t), self.encoder(t.elem),
                             self.decoder(t.elem), self.hash_expr(t.elem, "e"))
        assert t.key is not None
        return Container(t.kind, type_slug(t), self.names.value_type(t), self.encoder(t.elem), self.decoder(t.elem),
                         self.hash_expr(t.elem, "x"), key_encoder=self.map_key_encoder(t.key),
                         key_decoder=self.map_key_decoder(t.key), key_hash=self.hash_expr(t.key, "k"))


def _container_types(types: list[m.TypeRef]) -> list[m.TypeRef]:
    """The distinct container types among ``types`` and inside them, innermost first."""
    seen: dict[str, m.TypeRef] = {}

    def visit(t: m.TypeRef) -> None:
        for inner in (t.key, t.elem):
            if inner is not None:
                visit(inner)
        if t.kind in ("list", "set", "map"):
            seen.setdefault(type_slug(t), t)

    for t in types:
        visit(t)
    return list(seen.values())
