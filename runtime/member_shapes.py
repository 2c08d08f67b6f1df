"""Which members a Gson object has, and in which order: the structs' Shape, the unions' three members.

Gson writes ``cachedHashCode`` first, then the fields in declaration order,
and leaves unset objects and strings out; a union is always
``cachedHashCode``, ``setField``, ``value``. A decoder checks a payload's
members against that, in Gson's order unless :class:`member_order` relaxes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar, Token
from typing import Any

from .errors import PayloadError, describe
from .read_values import NULL

UNION_KEYS = frozenset(("cachedHashCode", "setField", "value"))
UNION_ORDER = ("cachedHashCode", "setField", "value")

# Whether members may come in any order (not only Gson's, the default). Read only
# when an object's members are not a shape already seen, so the common case pays
# nothing; a ContextVar so that concurrent decodes (receiver threads) do not mix modes.
ANY_ORDER: ContextVar[bool] = ContextVar("aurorakit_any_member_order", default=False)


class member_order:
    """Within this block, decoding refuses members out of Gson's order unless ``strict`` is False.

    A class rather than a generator: it wraps every decode, and does nothing
    when the mode asked for is already the current one.
    """

    __slots__ = ("any_order", "token")

    def __init__(self, strict: bool) -> None:
        self.any_order = not strict
        self.token: Token[bool] | None = None

    def __enter__(self) -> None:
        if ANY_ORDER.get() is not self.any_order:
            self.token = ANY_ORDER.set(self.any_order)

    def __exit__(self, *exc: object) -> None:
        if self.token is not None:
            ANY_ORDER.reset(self.token)


def unknown_field(d: dict[str, Any], known: frozenset[str], type_name: str) -> PayloadError:
    name = next(k for k in d if k not in known)
    return PayloadError(f"unknown field of {type_name}", name)


class Shape:
    """The members Gson writes for one struct: all of them known, the ones it always
    writes present, and every one in declaration order.

    ``valid`` holds the member sequences (``tuple(d)``) already found valid in
    Gson's order, so that a decoder checks a known sequence with one set lookup.
    """

    __slots__ = ("always", "known", "order", "type_name", "valid")
    LIMIT = 1024  # distinct sequences kept (2^optional fields are possible)

    def __init__(self, type_name: str, order: tuple[str, ...], always: tuple[str, ...]) -> None:
        self.type_name = type_name
        self.order = {name: i for i, name in enumerate(order)}
        self.always = always
        self.known = frozenset(order)
        self.valid: set[tuple[str, ...]] = set()

    def check(self, d: dict[str, Any]) -> None:
        """Raise the PayloadError of the first member that is unknown, missing or out of order."""
        if not d.keys() <= self.known:
            raise unknown_field(d, self.known, self.type_name)
        for name in self.always:
            if name not in d:
                raise PayloadError(f"missing member of {self.type_name} (Gson always writes it)", name)
        keys = tuple(d)
        order = self.order
        for before, after in zip(keys, keys[1:]):
            if order[before] > order[after]:
                if ANY_ORDER.get():
                    return
                raise PayloadError(f"member of {self.type_name} out of Gson's order: it comes after {before!r}, "
                                   "Gson writes it before (strict=False or --any-order accepts any order)", after)
        if len(self.valid) >= self.LIMIT:
            self.valid.clear()
        self.valid.add(keys)


def union_shape(d: dict[str, Any], union: str) -> None:
    """Raise why a union's members are not ``cachedHashCode``, ``setField``, ``value`` in that order."""
    if not d.keys() <= UNION_KEYS:
        raise unknown_field(d, UNION_KEYS, union)
    if "cachedHashCode" not in d:
        raise PayloadError(f"missing member of union {union} (Gson always writes it)", "cachedHashCode")
    if "setField" not in d:
        raise PayloadError(f"missing setField of union {union}", "setField")
    if "value" not in d:
        set_field = d["setField"]
        raise PayloadError(f"missing value of union {union} (setField {set_field})", "value")
    if not ANY_ORDER.get():
        keys = tuple(d)
        raise PayloadError(f"members of union {union} out of Gson's order: {', '.join(keys)} "
                           "(Gson writes cachedHashCode, setField, value; "
                           "strict=False or --any-order accepts any order)",
                           keys[0] if keys[0] != "cachedHashCode" else keys[1])


def bad_union(set_field: Any, value: Any, setfields: Mapping[str, Any], union: str) -> PayloadError:
    """Why a union could not be read: its setField is null or unknown, or its value is null."""
    if set_field is None:
        return PayloadError(f"setField of union {union} is {NULL}", "setField")
    if set_field.__class__ is not str or set_field not in setfields:
        return PayloadError(f"unknown setField {describe(set_field)} of union {union}", "setField")
    return PayloadError(f"value of union {union} (setField {set_field}) is {NULL}", "value")
