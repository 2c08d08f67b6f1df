"""cachedHashCode: Java's hashCode() of a model object, computed lazily and cached.

Each struct or union caches its Java hash in ``_jhash`` (0 = not computed,
as in Java, where a hash that happens to be 0 is simply recomputed). Hashing
an object hashes (and so caches) everything under it. The per-type hash code
is generated with the models; this module holds what all types share.

Encoders cache each object's JSON. Hashing changes the JSON of the object
hashed and of everything that contains it, so every time a hash gets cached,
``EPOCH`` moves on and JSON cached under an older epoch is stale. JSON of an
object that is hashed and whose parts are all frozen can never change again;
it is cached for good (as a plain ``str``, see the generated encoders).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .containers import FrozenMap, OrderedSet
from .identity import IdentityTable, current_identity
from .struct import mutable_twin

EPOCH = [0]
"""Moves on whenever a cachedHashCode is set by hashing (one-element list: cheap to read and bump)."""


def java_hash(obj: Any, identity: IdentityTable | None = None) -> int:
    """Java's ``hashCode()`` of a struct or union, caching it as Java does.

    Enum constants and union arms hash by identity, looked up in ``identity``
    (default: the current table, see :func:`aurorakit.runtime.identity.use_identity`).
    """
    return type(obj)._java_hash(obj, current_identity() if identity is None else identity)  # type: ignore[no-any-return]


def hash_set_elements(elements: Iterable[Any]) -> None:
    """Hash every element, as building a Guava ImmutableSet of two or more does."""
    table = current_identity()
    for element in elements:
        type(element)._java_hash(element, table)


def is_hashed(obj: Any) -> bool:
    """True when ``obj``'s cachedHashCode has been computed (or recorded) and is not 0."""
    return obj._jhash != 0  # type: ignore[no-any-return]


def unhashed_copy(obj: Any, identity: IdentityTable | None = None) -> Any:
    """A copy of a struct or union with every cachedHashCode cleared, as if just built.

    Building it applies the set rule again: each set of two or more structs
    hashes its elements (with ``identity``, default the current table).
    """
    table = current_identity() if identity is None else identity
    return _copy_struct(obj, table)


def _copy_struct(obj: Any, table: IdentityTable) -> Any:
    cls = type(obj)
    made = object.__new__(mutable_twin(cls))
    if cls._kind == "union":
        spec = next(s for s in cls._fields if s.name == obj.set_field)
        made.set_field = obj.set_field
        made.field_value = _copy_value(obj.field_value, spec.type, table)
    else:
        for spec in cls._fields:
            setattr(made, spec.attr, _copy_value(getattr(obj, spec.attr), spec.type, table))
    made._jhash = 0
    made._json = None
    made._pyhash = None
    made.__class__ = cls
    return made


def _copy_value(value: Any, spec: Any, table: IdentityTable) -> Any:
    if value is None:
        return None
    kind = spec.kind
    if kind == "struct":
        return _copy_struct(value, table)
    if kind == "list":
        return tuple(_copy_value(v, spec.elem, table) for v in value)
    if kind == "set":
        items = OrderedSet.from_unique(tuple(_copy_value(v, spec.elem, table) for v in value))
        if len(items) >= 2 and spec.elem.kind == "struct":
            for element in items:
                type(element)._java_hash(element, table)
        return items
    if kind == "map":
        return FrozenMap.wrap({_copy_value(k, spec.key, table): _copy_value(v, spec.value, table)
                               for k, v in value.items()})
    return value
