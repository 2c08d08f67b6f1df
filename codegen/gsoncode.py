"""Gson decisions: how each Thrift type is written, read and hashed.

For a type, these functions give the Python expression (a string) that the
generated ``gson.py`` uses to encode a value to Gson JSON, decode it from a
parsed JSON value, or compute its Java ``hashCode``. Containers get one
helper function per distinct container type (``_enc_list_Resource`` and so
on); :func:`container_types` lists them, innermost first.
"""

from __future__ import annotations

from aurorakit.runtime.scalars import INTEGERS, JAVA_FALSE_HASH, JAVA_TRUE_HASH

from . import model as m
from .python import Names, include_package, type_slug


def ref(t: m.TypeRef, prefix: str) -> str:
    """The generated function ``prefix`` + type, qualified when the type lives in an include."""
    if t.module and t.kind in ("struct", "enum"):
        return f"_gson_{include_package(t.module)}.{prefix}{t.name}"
    return f"{prefix}{type_slug(t)}"


# -- encoding ------------------------------------------------------------------
def encoder(t: m.TypeRef) -> str:
    """A one-argument function writing a value of ``t`` as JSON."""
    simple = {"bool": "_cs.enc_bool", "byte": "str", "i16": "str", "i32": "str", "i64": "str",
              "double": "_gd", "string": "_gs", "binary": "_cs.enc_binary"}
    if t.kind in simple:
        return simple[t.kind]
    if t.kind == "enum":
        return ref(t, "_Q_") + ".__getitem__"
    return ref(t, "_enc_")


def encode_expr(t: m.TypeRef, value: str) -> str:
    """Expression writing ``value`` (a non-None value of ``t``) as JSON."""
    if t.kind == "bool":
        return f'("true" if {value} else "false")'
    if t.kind in INTEGERS:
        return f"str({value})"
    if t.kind == "enum":
        return f"{ref(t, '_Q_')}[{value}]"
    return f"{encoder(t)}({value})"


def map_key_encoder(t: m.TypeRef) -> str:
    """A one-argument function writing a map key as Gson does: its string form, quoted."""
    simple = {"string": "_gs", "bool": "_cs.bool_key", "double": "_cs.double_key",
              "byte": "_cs.int_key", "i16": "_cs.int_key", "i32": "_cs.int_key", "i64": "_cs.int_key"}
    if t.kind in simple:
        return simple[t.kind]
    if t.kind == "enum":
        return ref(t, "_Q_") + ".__getitem__"
    return "_cs.unwritable_key"


# -- decoding ------------------------------------------------------------------
def decoder(t: m.TypeRef) -> str:
    """A one-argument function reading a JSON value (never None) as ``t``."""
    simple = {"bool": "_cs.bool_value", "byte": "_cs.byte_value", "i16": "_cs.i16_value",
              "i32": "_cs.i32_value", "i64": "_cs.i64_value", "double": "_cs.double_value",
              "string": "_cs.string_value", "binary": "_cs.binary_value"}
    if t.kind in simple:
        return simple[t.kind]
    return ref(t, "_dec_")


def map_key_decoder(t: m.TypeRef) -> str:
    simple = {"string": "_cs.string_value", "bool": "_cs.bool_key_value", "double": "_cs.double_key_value",
              "byte": "_cs.byte_key_value", "i16": "_cs.i16_key_value", "i32": "_cs.i32_key_value",
              "i64": "_cs.i64_key_value"}
    if t.kind in simple:
        return simple[t.kind]
    if t.kind == "enum":
        return ref(t, "_dec_")
    return "_cs.unreadable_key"


def always_written(t: m.TypeRef) -> bool:
    """Gson writes these members whatever the object holds (Java primitives and collections);
    the others are left out when null."""
    return t.kind not in ("string", "binary", "enum", "struct")


def decode_field(t: m.TypeRef, key: str) -> list[str]:
    """Statements reading member ``key`` of dict ``d`` (bound method ``get``) into ``v``.

    The decoder has checked ``d``'s members against its Shape first, so a
    member Gson always writes is there; one that may be left out is read with
    ``get``, and an explicit ``null`` (which Gson never writes) is an error.
    """
    k = f'"{key}"'
    if t.kind == "string":
        return [f"v = get({k})",
                f"if v.__class__ is not str and (v is not None or {k} in d):",
                "    v = _cs.string_value(v)"]
    if t.kind == "bool":
        return [f"v = d[{k}]",
                "if v.__class__ is not bool:",
                "    v = _cs.bool_value(v)"]
    if t.kind in INTEGERS:
        low, high = INTEGERS[t.kind].low, INTEGERS[t.kind].high
        return [f"v = d[{k}]",
                f"if v.__class__ is not int or not {low} <= v <= {high}:",
                f"    v = _cs.{t.kind}_value(v)"]
    if t.kind == "double":
        return [f"v = d[{k}]",
                "if v.__class__ is not float or not -_cs.LOSSLESS_DOUBLE < v < _cs.LOSSLESS_DOUBLE:",
                "    v = _cs.double_value(v)"]
    if t.kind in ("list", "set", "map"):
        return [f"v = {decoder(t)}(d[{k}])"]
    if t.kind == "enum":
        return [f"v = get({k})",
                f"if v is not None or {k} in d:",
                f"    member = {ref(t, '_E_')}.get(v) if v.__class__ is str else None",
                "    if member is None:",
                f'        raise _cs.bad_enum(v, "{t.name}")',
                "    v = member"]
    return [f"v = get({k})",
            f"if v is not None or {k} in d:",
            f"    v = {decoder(t)}(v)"]


# -- Java hashCode ---------------------------------------------------------------
def hasher(t: m.TypeRef) -> str:
    """A two-argument function (value, identity table) giving Java's hashCode of a value of ``t``."""
    simple = {"bool": "_cs.hash_bool", "byte": "_cs.hash_int", "i16": "_cs.hash_int", "i32": "_cs.hash_int",
              "i64": "_cs.hash_i64", "double": "_cs.hash_double", "string": "_cs.hash_string",
              "binary": "_cs.hash_binary"}
    if t.kind in simple:
        return simple[t.kind]
    return ref(t, "_hash_")


def hash_expr(t: m.TypeRef, value: str) -> str:
    """Expression of Java's hashCode of ``value`` (non-None) of type ``t``; ``ids`` is the identity table."""
    if t.kind == "bool":
        return f"({JAVA_TRUE_HASH} if {value} else {JAVA_FALSE_HASH})"
    if t.kind in ("byte", "i16", "i32"):
        return value
    if t.kind == "i64":
        return f"_lh({value})"
    if t.kind == "double":
        return f"_dh({value})"
    if t.kind == "string":
        return f"_sh({value})"
    if t.kind == "enum":
        return f"ids[{ref(t, '_K_')}[{value}]]"
    return f"{hasher(t)}({value}, ids)"


def container_types(types: list[m.TypeRef]) -> list[m.TypeRef]:
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


def container_view(t: m.TypeRef, names: Names) -> dict[str, str]:
    """What the template needs to write the helpers of one container type."""
    assert t.elem is not None
    view = {
        "kind": t.kind,
        "slug": type_slug(t),
        "value_type": names.value_type(t),
        "elem_encoder": encoder(t.elem),
        "elem_decoder": decoder(t.elem),
        "elem_hash": hash_expr(t.elem, "e"),
    }
    if t.kind == "map":
        assert t.key is not None
        view.update(key_encoder=map_key_encoder(t.key), key_decoder=map_key_decoder(t.key),
                    key_hash=hash_expr(t.key, "k"), value_hash=hash_expr(t.elem, "x"),
                    value_encoder=encoder(t.elem))
    return view
