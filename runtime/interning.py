"""Decoded objects shared between payloads that write them identically (:class:`Interned`)."""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any, Generic, TypeVar

import orjson

from .containers import FrozenMap, OrderedSet
from .fields import field_values
from .member_shapes import ANY_ORDER
from .struct import ThriftStruct

T = TypeVar("T")

# Whether the tree being decoded was parsed by aurorakit itself (nobody else holds
# it): only then may Interned keep a parsed value to compare with later.
OWN_TREE: ContextVar[bool] = ContextVar("aurorakit_own_tree", default=False)


class own_tree:
    """Within this block, the trees decoded are (or are not) aurorakit's own parse."""

    __slots__ = ("own", "token")

    def __init__(self, own: bool) -> None:
        self.own = own
        self.token: Token[bool] | None = None

    def __enter__(self) -> None:
        if OWN_TREE.get() is not self.own:
            self.token = OWN_TREE.set(self.own)

    def __exit__(self, *exc: object) -> None:
        if self.token is not None:
            OWN_TREE.reset(self.token)


class Interned(Generic[T]):
    """Decoded objects shared between payloads that write them identically.

    A scheduler writes the same TaskConfig in every event of a task; reading
    it once is enough. Only a hashed object (non-zero ``cachedHashCode`` as
    read) whose every part is hashed too is kept: nothing about such an
    object can change any more (its hash is final, so is its JSON), so
    sharing it cannot be seen. The key is the object's JSON value as orjson
    writes it; the table is emptied when it grows past ``size``.

    Only what repeats pays for a key: the first object read with a given
    cachedHashCode is remembered with its parsed value, unkeyed. When that
    hash is read again, both are keyed and the first object is shared if they
    are the same; so payloads that never repeat (most of a random stream)
    cost a dict lookup per hashed object, not a serialisation of its subtree.
    (Only for trees aurorakit parsed itself, see ``own_tree``: a tree passed
    in by a caller could be changed before the hash comes again.)
    """

    __slots__ = ("_first", "_objects", "size")

    def __init__(self, size: int = 512) -> None:
        self._objects: dict[bytes, T] = {}
        self._first: dict[int, _FirstSight] = {}
        self.size = size

    def key(self, d: dict[str, Any]) -> bytes | _FirstSight | None:
        """The lookup key of a parsed object, or None if it cannot be shared."""
        jhash = d.get("cachedHashCode")
        if jhash.__class__ is not int or not jhash:
            return None
        first = self._first.get(jhash)
        if first is None and OWN_TREE.get():  # a caller's tree may change: keyed at once instead
            if len(self._first) >= self.size:
                self._first.clear()
            first = self._first[jhash] = _FirstSight(d)
            return first
        try:
            key = orjson.dumps(d)
            if first is not None and first.obj is not None:  # this hash read again: was the first the same?
                if orjson.dumps(first.tree) == key:
                    self._keep(key, first.obj)
                first.tree = first.obj = None
        except (TypeError, orjson.JSONEncodeError):  # e.g. a number orjson cannot write back
            return None
        return key

    def get(self, key: bytes | _FirstSight) -> T | None:
        if isinstance(key, _FirstSight):
            return None
        return self._objects.get(key)

    def add(self, key: bytes | _FirstSight, obj: T) -> None:
        self.add_checked(key, obj, fully_hashed(obj))

    def add_checked(self, key: bytes | _FirstSight, obj: T, hashed: bool) -> None:
        """``add`` for a decoder that knows already whether ``obj`` is fully hashed (the compiled one)."""
        # Objects read in any member order are not kept: a strict decode of the
        # same text must not find them already checked.
        shareable = hashed and not ANY_ORDER.get()
        if isinstance(key, _FirstSight):
            if shareable:
                key.obj = obj
            else:
                key.tree = None
        elif shareable:
            self._keep(key, obj)

    def _keep(self, key: bytes, obj: T) -> None:
        if len(self._objects) >= self.size:
            self._objects.clear()
        self._objects[key] = obj


class _FirstSight:
    """The first object read with a cachedHashCode, kept with its parsed value until the hash comes again.

    The compiled parser (runtime/_decode.c), which makes no tree, keeps the
    object's text instead (``span``, bytes; ``tree`` None): what it shares is
    an object read again from the very same bytes.
    """

    __slots__ = ("obj", "span", "tree")

    def __init__(self, tree: dict[str, Any] | None) -> None:
        self.tree: dict[str, Any] | None = tree
        self.obj: Any = None
        self.span: bytes | None = None


def fully_hashed(obj: Any) -> bool:
    """True when ``obj`` and every struct inside it have a non-zero cachedHashCode."""
    if not obj._jhash:
        return False
    return all(_all_hashed(value) for _, value in field_values(obj))


def _all_hashed(value: Any) -> bool:
    if isinstance(value, ThriftStruct):
        return fully_hashed(value)
    cls = value.__class__
    if cls is tuple or cls is OrderedSet:
        return all(map(_all_hashed, value))
    if cls is FrozenMap:
        return all(map(_all_hashed, value.values()))
    return True
