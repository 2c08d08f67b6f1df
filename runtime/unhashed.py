"""Copies of model objects with every cachedHashCode cleared, as if just built (``conformance``)."""

from __future__ import annotations

from typing import Any

from .containers import FrozenMap, OrderedSet
from .fields import field_values
from .hashing import hash_set_elements
from .identity import IdentityTable, current_identity
from .struct import mutable_twin


def unhashed_copy(obj: Any, identity: IdentityTable | None = None) -> Any:
    """A copy of a struct or union with every cachedHashCode cleared, as if just built.

    Building it applies the set rule again: each set of two or more structs
    hashes its elements (with ``identity``, default the current table).
    """
    return _copy_struct(obj, current_identity() if identity is None else identity)


def _copy_struct(obj: Any, table: IdentityTable) -> Any:
    cls = type(obj)
    made = object.__new__(mutable_twin(cls))
    for spec, value in field_values(obj):
        copied = _copy_value(value, spec.type, table)
        if cls._kind == "union":
            made.set_field = spec.name
            made.field_value = copied
        else:
            setattr(made, spec.attr, copied)
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
            hash_set_elements(items, table)
        return items
    if kind == "map":
        return FrozenMap.wrap({_copy_value(k, spec.key, table): _copy_value(v, spec.value, table)
                               for k, v in value.items()})
    return value
