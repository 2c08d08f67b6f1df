"""What the generated encoders share: whether a text may be kept, and the error of a value Gson cannot write.

The encoders write a whole object in one expression and cache the text in
the object's ``_json`` (the rule is in ``hashing``). Only when writing fails
is each field tried on its own, by :func:`encode_error`, to name the one at fault.
"""

from __future__ import annotations

from typing import Any

from .containers import FrozenMap, OrderedSet
from .errors import PayloadError
from .fields import field_values, gson_member
from .gson import gson_bool, gson_double
from .map_keys import unwritable_key
from .struct import ThriftStruct

enc_bool = gson_bool  # what generated encoders call: the one tested as gson_bool


def enc_binary(value: bytes) -> str:
    raise PayloadError("binary fields have no Gson form in Aurora payloads")


def frozen(value: Any) -> bool:
    """True when ``value``'s JSON can never change: no unhashed object inside."""
    if isinstance(value, ThriftStruct):
        return value._json.__class__ is str  # type: ignore[attr-defined,unused-ignore]
    cls = value.__class__
    if cls is tuple or cls is OrderedSet:
        return all(map(frozen, value))
    if cls is FrozenMap:
        return all(map(frozen, value.values()))
    return True  # strings, numbers, enum members: never change


def encode_error(err: Exception, obj: Any) -> PayloadError:
    """Why ``obj`` cannot be written, addressed to the field (and element) at fault.

    Encoders write a whole object in one expression; only when that fails is
    each field tried on its own, here, to find which one.
    """
    for spec, value in field_values(obj):
        try:
            _try_encode(value, spec.type)
        except PayloadError as found:
            return found.within(gson_member(obj, spec))
    return err if isinstance(err, PayloadError) else PayloadError(str(err))


def _try_encode(value: Any, spec: Any) -> None:
    if value is None:
        return
    kind = spec.kind
    try:
        if kind == "struct":
            type(value)._gson_encode(value)
        elif kind == "double":
            gson_double(value)
        elif kind == "binary":
            enc_binary(value)
    except ValueError as err:
        raise (err if isinstance(err, PayloadError) else PayloadError(str(err))) from None
    if kind in ("list", "set"):
        for i, item in enumerate(value):
            try:
                _try_encode(item, spec.elem)
            except PayloadError as err:
                raise err.within(f"[{i}]") from None
    elif kind == "map":
        for key, item in value.items():
            try:
                if spec.key.kind in ("struct", "binary", "list", "set", "map"):
                    unwritable_key(key)
                _try_encode(key, spec.key)
                _try_encode(item, spec.value)
            except PayloadError as err:
                raise err.within(f"[{key!r}]") from None
