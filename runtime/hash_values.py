"""Java's hashCode of scalar values as ``(value, identity table)`` functions.

Union arms and container elements are hashed through one calling
convention, the generated ``_hash_X(value, ids)``; these give the scalars
that shape (they need no identity table). The rules themselves are ``java``'s.
"""

from __future__ import annotations

from typing import Any

from .errors import PayloadError
from .java import bool_hash, double_hash, int_hash, long_hash, string_hash


def hash_bool(value: bool, ids: Any) -> int:
    return bool_hash(value)


def hash_int(value: int, ids: Any) -> int:
    return int_hash(value)


def hash_i64(value: int, ids: Any) -> int:
    return long_hash(value)


def hash_double(value: float, ids: Any) -> int:
    return double_hash(value)


def hash_string(value: str, ids: Any) -> int:
    return string_hash(value)


def hash_binary(value: bytes, ids: Any) -> int:
    raise PayloadError("binary fields have no documented Java hash in Aurora payloads")
