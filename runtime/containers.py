"""Immutable collections for Thrift sets and maps.

A Thrift ``set`` becomes an :class:`OrderedSet`: it keeps the order in which
elements were added and drops later duplicates (by value), as the Java sets
behind Aurora's payloads do, because that order is what Gson writes. A Thrift
``map`` becomes a :class:`FrozenMap` in insertion order. Lists are tuples.
"""

from __future__ import annotations

from collections.abc import Hashable, ItemsView, Iterable, Iterator, Mapping, Set
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T", bound=Hashable)
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
D = TypeVar("D")


class OrderedSet(Set[T], Generic[T]):
    """An immutable set in insertion order; equality ignores order, like a Java Set."""

    __slots__ = ("_items", "_members")

    def __init__(self, items: Iterable[T] = ()) -> None:
        members = dict.fromkeys(items)
        self._members: dict[T, None] = members
        self._items: tuple[T, ...] = tuple(members)

    @classmethod
    def from_unique(cls, items: tuple[T, ...]) -> OrderedSet[T]:
        """An OrderedSet of items already known to be distinct (decoders)."""
        made = cls.__new__(cls)
        made._items = items
        made._members = dict.fromkeys(items)
        return made

    def __contains__(self, item: object) -> bool:
        try:
            return item in self._members
        except TypeError:  # unhashable: cannot be a member
            return False

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> T:
        """The element at ``index`` in insertion order."""
        return self._items[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OrderedSet):
            return self._members.keys() == other._members.keys()
        if isinstance(other, Set):
            return self._members.keys() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self._items))

    def __repr__(self) -> str:
        return "OrderedSet([" + ", ".join(map(repr, self._items)) + "])"

    def __reduce__(self) -> tuple[type[OrderedSet[T]], tuple[tuple[T, ...]]]:
        return (type(self), (self._items,))


class FrozenMap(Mapping[K, V], Generic[K, V]):
    """An immutable, hashable mapping in insertion order."""

    __slots__ = ("_data", "_hash")

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._data: dict[K, V] = dict(items)
        self._hash: int | None = None

    @classmethod
    def wrap(cls, data: dict[K, V]) -> FrozenMap[K, V]:
        """A FrozenMap that takes ownership of ``data`` without copying it (decoders)."""
        made = cls.__new__(cls)
        made._data = data
        made._hash = None
        return made

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        try:
            return key in self._data
        except TypeError:
            return False

    # One overload with a default, matching typeshed's Mapping.get across mypy releases.
    @overload
    def get(self, key: K, /) -> V | None: ...
    @overload
    def get(self, key: K, default: V | D, /) -> V | D: ...
    def get(self, key: Any, default: Any = None) -> Any:
        return self._data.get(key, default)

    def items(self) -> ItemsView[K, V]:
        return self._data.items()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return "FrozenMap({" + ", ".join(f"{k!r}: {v!r}" for k, v in self._data.items()) + "})"

    def __reduce__(self) -> tuple[type[FrozenMap[K, V]], tuple[dict[K, V]]]:
        return (type(self), (self._data,))


EMPTY_MAP: FrozenMap[Any, Any] = FrozenMap()
