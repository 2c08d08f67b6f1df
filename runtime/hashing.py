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
Text is kept from an object's second write on: the first leaves
:data:`WRITTEN`, so objects made per event and written once (cold events,
replayed payloads) keep no copy of their text, while those shared between
events (a job's TaskConfig, a task's TaskEvents) are written again and then
reused (an object holding structs once its parts keep theirs).

This module stands below the model classes (``struct``, ``typespec``): it
only calls each type's generated ``_java_hash``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .identity import IdentityTable, current_identity

EPOCH = [0]
"""Moves on whenever a cachedHashCode is set by hashing (one-element list: cheap to read and bump)."""

WRITTEN = ("", -1)
"""The ``_json`` of an object written once, its text not kept (see above).

A (text, epoch) pair of no epoch: every encoder's "cached for this epoch?" test fails on it."""


def java_hash(obj: Any, identity: IdentityTable | None = None) -> int:
    """Java's ``hashCode()`` of a struct or union, caching it as Java does.

    Enum constants and union arms hash by identity, looked up in ``identity``
    (default: the current table, see :func:`aurorakit.runtime.identity.use_identity`).
    """
    return type(obj)._java_hash(obj, current_identity() if identity is None else identity)  # type: ignore[no-any-return]


def hash_set_elements(elements: Iterable[Any], identity: IdentityTable | None = None) -> None:
    """Hash every element, as building a Guava ImmutableSet of two or more does."""
    table = current_identity() if identity is None else identity
    for element in elements:
        type(element)._java_hash(element, table)
