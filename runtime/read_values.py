"""JSON scalars read as Thrift values: the slow path of the generated decoders' inline checks.

The generated code handles the common case inline (a string that is a
``str``, an int in range); these functions handle the rest, mostly by
raising a :class:`PayloadError` that says what was expected. Paths are
added by the callers as the error travels up (``PayloadError.within``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from .errors import PayloadError, describe
from .gson import gson_double
from .scalars import INTEGERS

NULL = "null, which Gson never writes (it leaves unset fields out)"


def expected(what: str, value: Any) -> PayloadError:
    """The error of a JSON value that is not ``what``."""
    if value is None:
        return PayloadError(f"expected {what}, got {NULL}")
    return PayloadError(f"expected {what}, got {describe(value)}")


class HugeNumber:
    """An integer written with more digits than any Thrift number has (Python refuses
    to read integers of over 4,300 digits, and none would fit): kept as text so the
    decoder can name the field it is in."""

    __slots__ = ("text",)
    DIGITS = 400  # more than a double's largest integer (309 digits)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"{self.text[:12]}...({len(self.text)} digits)"


def json_int(text: str) -> int | HugeNumber:
    """``int(text)`` for the standard library's JSON parser, huge integers kept as HugeNumber."""
    return int(text) if len(text) <= HugeNumber.DIGITS else HugeNumber(text)


def cached_hash(value: Any) -> int:
    """The slow path of reading ``cachedHashCode``: anything but an int in range is an error."""
    if value.__class__ is int:
        raise PayloadError(f"{value} is out of range for cachedHashCode (an int)", "cachedHashCode")
    if value.__class__ is HugeNumber:
        raise PayloadError(f"{value!r} is out of range for cachedHashCode (an int)", "cachedHashCode")
    raise expected("an int (cachedHashCode)", value).within("cachedHashCode")


# -- integers ----------------------------------------------------------------------
def integer(kind: str, value: Any) -> int:
    """``value`` as a Thrift integer of ``kind`` ("i32"...), or the error of why it is not one."""
    facts = INTEGERS[kind]
    if value.__class__ is int:
        if facts.low <= value <= facts.high:
            return value  # type: ignore[no-any-return,unused-ignore]
        raise PayloadError(f"{value} is out of range for {kind}")
    if value.__class__ is HugeNumber:
        raise PayloadError(f"{value!r} is out of range for {kind}")
    raise expected(kind, value)


def _integer_reader(kind: str) -> Callable[[Any], int]:
    """The reader of a JSON value as ``kind``: an int in range passes at once, the rest is integer's."""
    low, high = INTEGERS[kind].low, INTEGERS[kind].high

    def read(value: Any) -> int:
        if value.__class__ is int and low <= value <= high:
            return value  # type: ignore[no-any-return,unused-ignore]
        return integer(kind, value)

    read.__name__ = read.__qualname__ = f"{kind}_value"
    return read


byte_value = _integer_reader("byte")
i16_value = _integer_reader("i16")
i32_value = _integer_reader("i32")
i64_value = _integer_reader("i64")


# -- doubles -----------------------------------------------------------------------
# Below 2^63 in magnitude, Java's Double.toString text always reads back as the
# same double; above it, a few texts (a decimal midway between two doubles)
# read back as the neighbour. Such doubles are read again from their text.
LOSSLESS_DOUBLE = 9.223372036854776e18  # 2^63


class ExactDouble(float):
    """A double read from its JSON text with Java's meaning (see :func:`java_double`)."""


class NeedsExactText(Exception):
    """A large double was parsed without its text; the decoder must read the text again."""


def java_double(text: str) -> float:
    """The double Java wrote as ``text``: the one whose ``Double.toString`` is ``text``.

    ``float(text)`` gives the nearest double, which is that one except where
    Java wrote a decimal lying midway between two doubles; then it is the
    neighbour whose Java text matches. Large values come back as ExactDouble.
    """
    value = float(text)
    if not -LOSSLESS_DOUBLE < value < LOSSLESS_DOUBLE and math.isfinite(value):
        if gson_double(value) != text:
            for neighbour in (math.nextafter(value, -math.inf), math.nextafter(value, math.inf)):
                if math.isfinite(neighbour) and gson_double(neighbour) == text:  # past the largest: inf
                    return ExactDouble(neighbour)
        return ExactDouble(value)
    return value


def double_value(value: Any) -> float:
    if value.__class__ is float and -LOSSLESS_DOUBLE < value < LOSSLESS_DOUBLE:
        return value  # type: ignore[no-any-return,unused-ignore]
    if value.__class__ is ExactDouble:
        return float(value)
    if value.__class__ is float:
        if math.isfinite(value):
            raise NeedsExactText()
        raise PayloadError(f"{value} is not a finite double (Gson writes no NaN or infinity)")
    if value.__class__ is int:
        as_float = float(value) if abs(value) < 1 << 1024 else math.inf
        if math.isfinite(as_float) and int(as_float) == value:
            return as_float
        raise PayloadError(f"{value} is out of range for double or not exactly representable")
    if value.__class__ is HugeNumber:
        raise PayloadError(f"{value!r} is out of range for double")
    raise expected("double", value)


# -- bool, string, binary, enums ----------------------------------------------------
def bool_value(value: Any) -> bool:
    if value.__class__ is bool:
        return value  # type: ignore[no-any-return,unused-ignore]
    raise expected("bool", value)


def string_value(value: Any) -> str:
    if value.__class__ is str:
        return value  # type: ignore[no-any-return,unused-ignore]
    raise expected("string", value)


def binary_value(value: Any) -> bytes:
    raise PayloadError("binary fields have no Gson form in Aurora payloads")


def bad_enum(value: Any, enum_name: str) -> PayloadError:
    """Why ``value`` is not a name of the enum (None: an explicit null)."""
    if value.__class__ is str:
        return PayloadError(f"{describe(value)} is not a value of enum {enum_name}")
    return expected(f"a {enum_name} name", value)


def enum_value(by_name: Mapping[str, Any], value: Any, enum_name: str) -> Any:
    if value.__class__ is str:
        member = by_name.get(value)
        if member is not None:
            return member
        raise PayloadError(f"{describe(value)} is not a value of enum {enum_name}")
    raise expected(f"a {enum_name} name", value)
