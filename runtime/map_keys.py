"""Map keys as Gson writes them, ``String.valueOf(key)`` quoted, and read back.

The ``*_key_value`` functions read a JSON object's key as a Thrift key type
(only the form Java writes is accepted); the ``*_key`` ones write one.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import PayloadError, describe
from .gson import gson_double, gson_string
from .read_values import integer


# -- read ------------------------------------------------------------------------
def _int_key_value(kind: str, key: str) -> int:
    try:
        value = int(key)
    except ValueError:
        raise PayloadError(f"map key {describe(key)} is not a {kind}") from None
    if str(value) != key:
        raise PayloadError(f"map key {describe(key)} is not written as Java writes a {kind}")
    return integer(kind, value)


def byte_key_value(key: str) -> int:
    return _int_key_value("byte", key)


def i16_key_value(key: str) -> int:
    return _int_key_value("i16", key)


def i32_key_value(key: str) -> int:
    return _int_key_value("i32", key)


def i64_key_value(key: str) -> int:
    return _int_key_value("i64", key)


def bool_key_value(key: str) -> bool:
    if key in ("true", "false"):
        return key == "true"
    raise PayloadError(f"map key {describe(key)} is not a bool")


def double_key_value(key: str) -> float:
    try:
        value = float(key)
    except ValueError:
        raise PayloadError(f"map key {describe(key)} is not a double") from None
    if not math.isfinite(value) or gson_double(value) != key:
        raise PayloadError(f"map key {describe(key)} is not written as Java writes a double")
    return value


def unreadable_key(key: str) -> Any:
    raise PayloadError("map keys of this type have no Gson string form that can be read back")


# -- write -----------------------------------------------------------------------
def int_key(value: int) -> str:
    return f'"{value}"'


def bool_key(value: bool) -> str:
    return '"true"' if value else '"false"'


def double_key(value: float) -> str:
    return gson_string(gson_double(value))


def unwritable_key(value: Any) -> str:
    raise PayloadError(f"a map key of type {type(value).__name__} has no Gson string form")
