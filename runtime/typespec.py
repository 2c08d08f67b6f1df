"""Descriptions of Thrift types at run time, and the checks constructors run.

Generated classes describe each field with a :class:`TypeSpec`. Constructors
use :meth:`TypeSpec.check` to validate and normalise what the caller passed
(lists to tuples, sets to :class:`OrderedSet`, maps to :class:`FrozenMap`,
ints to enum members); generic tools (repr, the thriftpy2 bridge, hash
verification, calibration, test generators) walk the same descriptions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .containers import FrozenMap, OrderedSet
from .errors import FieldError
from .hashing import hash_set_elements
from .scalars import INTEGERS

# The checks below test ``value.__class__ is ...``: mypy >= 2 narrows ``value``
# on it, older releases do not; "unused-ignore" keeps --strict clean on both.


class TypeSpec:
    """The type of a field, list element, map key or value."""

    __slots__ = ()  # so that each kind's own slots are all its instances hold
    kind: str

    def check(self, value: Any, where: str) -> Any:
        """``value`` validated and normalised for this type, or FieldError naming ``where``."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.kind

    def __repr__(self) -> str:
        return f"<TypeSpec {self}>"


def _bad(where: str, expected: str, value: object) -> FieldError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return FieldError(where, f"expected {expected}, got {type(value).__name__} {shown}")


def _check_bool(value: Any, where: str) -> bool:
    if value.__class__ is bool:
        return value  # type: ignore[no-any-return,unused-ignore]
    raise _bad(where, "bool", value)


def _int_checker(kind: str) -> Callable[[Any, str], int]:
    low, high = INTEGERS[kind].low, INTEGERS[kind].high

    def check(value: Any, where: str) -> int:
        if value.__class__ is not int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise _bad(where, kind, value)
            value = int(value)  # an IntEnum member or other int subclass
        if low <= value <= high:
            return value  # type: ignore[no-any-return]
        raise FieldError(where, f"{value} is out of range for {kind} ({low}..{high})")

    return check


def _check_double(value: Any, where: str) -> float:
    if value.__class__ is float:
        return value  # type: ignore[no-any-return,unused-ignore]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(where, "double", value)
    try:
        as_float = float(value)
    except OverflowError:
        raise FieldError(where, f"{value} is out of range for double") from None
    if isinstance(value, int) and not math.isinf(as_float) and int(as_float) != value:
        raise FieldError(where, f"{value} cannot be held exactly by a double")
    return as_float


def _check_string(value: Any, where: str) -> str:
    if value.__class__ is str:
        return value  # type: ignore[no-any-return,unused-ignore]
    if isinstance(value, str):
        return str(value)
    raise _bad(where, "string", value)


def _check_binary(value: Any, where: str) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise _bad(where, "binary (bytes)", value)


class Primitive(TypeSpec):
    __slots__ = ("_check", "kind")

    def __init__(self, kind: str, check: Callable[[Any, str], Any]) -> None:
        self.kind = kind
        self._check = check

    def check(self, value: Any, where: str) -> Any:
        return self._check(value, where)


BOOL = Primitive("bool", _check_bool)
BYTE = Primitive("byte", _int_checker("byte"))
I16 = Primitive("i16", _int_checker("i16"))
I32 = Primitive("i32", _int_checker("i32"))
I64 = Primitive("i64", _int_checker("i64"))
DOUBLE = Primitive("double", _check_double)
STRING = Primitive("string", _check_string)
BINARY = Primitive("binary", _check_binary)

check_bool = _check_bool
check_byte = BYTE._check
check_i16 = I16._check
check_i32 = I32._check
check_i64 = I64._check
check_double = _check_double
check_string = _check_string
check_binary = _check_binary


class EnumType(TypeSpec):
    __slots__ = ("cls",)
    kind = "enum"

    def __init__(self, cls: Any) -> None:
        self.cls = cls

    def check(self, value: Any, where: str) -> Any:
        cls = self.cls
        if value.__class__ is cls:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                raise FieldError(where, f"{value} is not a value of enum {cls.__name__}") from None
        raise _bad(where, f"{cls.__name__} (an enum member)", value)

    def __str__(self) -> str:
        return str(self.cls.__name__)


class StructType(TypeSpec):
    __slots__ = ("cls",)
    kind = "struct"

    def __init__(self, cls: Any) -> None:
        self.cls = cls

    def check(self, value: Any, where: str) -> Any:
        if isinstance(value, self.cls):
            return value
        raise _bad(where, str(self.cls.__name__), value)

    def __str__(self) -> str:
        return str(self.cls.__name__)


def _elements(value: Any, where: str, what: str) -> Iterable[Any]:
    if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        raise _bad(where, what, value)
    return value  # type: ignore[no-any-return,unused-ignore]


def _indexed(error: FieldError, where: str, index: str) -> FieldError:
    """An element's error, re-addressed: ``where`` + ``index`` + the element's own suffix."""
    suffix = error.where[len(where):] if error.where.startswith(where) else ""
    return FieldError(where + index + suffix, error.message)


class ListOf(TypeSpec):
    __slots__ = ("elem",)
    kind = "list"

    def __init__(self, elem: TypeSpec) -> None:
        self.elem = elem

    def check(self, value: Any, where: str) -> tuple[Any, ...]:
        if value is None:  # unset: empty, as Java writes an unset collection
            return ()
        check = self.elem.check
        items = _elements(value, where, str(self))
        out = []
        for i, item in enumerate(items):
            try:
                out.append(check(item, where))
            except FieldError as err:
                raise _indexed(err, where, f"[{i}]") from None
        return tuple(out)

    def __str__(self) -> str:
        return f"list<{self.elem}>"


class SetOf(TypeSpec):
    __slots__ = ("_as_list", "elem")
    kind = "set"

    def __init__(self, elem: TypeSpec) -> None:
        self.elem = elem
        self._as_list = ListOf(elem)

    def check(self, value: Any, where: str) -> OrderedSet[Any]:
        checked = OrderedSet(self._as_list.check(value, where))
        if len(checked) >= 2 and self.elem.kind == "struct":
            # Checked, the value becomes the set Aurora holds: a Guava ImmutableSet,
            # whose building calls hashCode() on each of two or more elements.
            hash_set_elements(checked)
        return checked

    def __str__(self) -> str:
        return f"set<{self.elem}>"


class MapOf(TypeSpec):
    __slots__ = ("key", "value")
    kind = "map"

    def __init__(self, key: TypeSpec, value: TypeSpec) -> None:
        self.key = key
        self.value = value

    def check(self, value: Any, where: str) -> FrozenMap[Any, Any]:
        if value is None:
            return FrozenMap()
        if isinstance(value, Mapping):
            pairs: Iterable[Any] = value.items()
        else:
            pairs = _elements(value, where, str(self))
        out: dict[Any, Any] = {}
        for pair in pairs:
            try:
                k, v = pair
            except (TypeError, ValueError):
                raise _bad(where, f"{self} (a mapping or key/value pairs)", pair) from None
            try:
                k = self.key.check(k, where)
            except FieldError as err:
                raise _indexed(err, where, f"[{k!r}] (key)") from None
            try:
                out[k] = self.value.check(v, where)
            except FieldError as err:
                raise _indexed(err, where, f"[{k!r}]") from None
        return FrozenMap.wrap(out)

    def __str__(self) -> str:
        return f"map<{self.key},{self.value}>"
