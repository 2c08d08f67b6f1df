"""Java value semantics: the JDK's ``hashCode`` rules and ``Double.toString``.

Every hash is returned as a signed 32-bit int, as Java's ``int``.  The rules
(section 4 of the payload format note): ``String.hashCode`` over UTF-16 code
units, ``Long.hashCode``, ``Double.hashCode``, ``Boolean.hashCode``. The
combinations (``Objects.hash``, ``List``, ``Set`` and ``Map``) are written
out in each generated hash function (see ``codegen/templates/gson.py.j2``).
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Callable
from operator import mul
from typing import TypeVar

from .doubles import double_to_string
from .scalars import JAVA_FALSE_HASH, JAVA_TRUE_HASH

__all__ = [
    "INT_MASK",
    "bool_hash",
    "double_hash",
    "double_to_string",
    "int_hash",
    "long_hash",
    "string_hash",
    "to_int32",
]

T = TypeVar("T")

INT_MASK = 0xFFFFFFFF  # a Java int's 32 bits, as an unsigned Python int
_SIGN = 0x80000000
_WRAP = 1 << 32

# UTF-16 in this machine's byte order, so that array("H") reads code units;
# lone surrogates pass through as single units.
_UTF16_NATIVE = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"

# Strings are hashed in chunks of _CHUNK code units: h = sum(u[i] * 31^(n-1-i)).
_CHUNK = 4096
_POWERS = [1] * (_CHUNK + 1)  # 31^k mod 2^32
for _k in range(1, _CHUNK + 1):
    _POWERS[_k] = _POWERS[_k - 1] * 31 & INT_MASK
del _k

# Below these lengths a Python-level sum beats numpy's fixed cost of about
# 2.5 us per call (measured on the project's 2-core machine).
_NUMPY_MIN_ASCII = 32
_NUMPY_MIN_OTHER = 16


def to_int32(x: int) -> int:
    """Wrap any int to Java's signed 32-bit ``int``."""
    x &= INT_MASK
    return x - _WRAP if x & _SIGN else x


def remember_short_strings(compute: Callable[[str], T]) -> Callable[[str], T]:
    """``compute`` with its answers for short strings remembered.

    The same short strings (roles, hosts, port names, messages) recur in every
    event; a Java String even caches its own hash. Answers for strings up to
    256 characters are kept in a dict that is emptied when it reaches 65,536
    entries. The function returned is the dict's own ``__getitem__`` (its
    ``__self__``): a remembered answer costs one C-level lookup, with no
    Python frame; only a miss calls ``compute``.
    """
    return _Remembered(compute).__getitem__


class _Remembered(dict[str, T]):
    __slots__ = ("compute",)

    def __init__(self, compute: Callable[[str], T]) -> None:  # starts empty: dict.__new__ made it so
        self.compute = compute

    def __missing__(self, s: str) -> T:
        answer = self.compute(s)
        if len(s) <= _REMEMBER_MAX_LENGTH:
            if len(self) >= _REMEMBER_SIZE:
                self.clear()
            self[s] = answer
        return answer


_REMEMBER_MAX_LENGTH = 256
_REMEMBER_SIZE = 1 << 16


@remember_short_strings
def string_hash(s: str) -> int:
    """Java ``String.hashCode``: over UTF-16 code units, a character outside
    the BMP counting as its two surrogates."""
    return _string_hash(s)


def _string_hash(s: str) -> int:
    if s.isascii() and len(s) < _NUMPY_MIN_ASCII:
        h = int(sum(map(mul, _POWERS, reversed(s.encode("ascii"))))) & INT_MASK
    elif len(s) < _NUMPY_MIN_OTHER:
        h = _hash_without_numpy(s)
    else:
        h = _hash_long_string(s)
    return h - _WRAP if h & _SIGN else h


def _hash_without_numpy(s: str) -> int:
    """Unsigned hash in pure Python: per chunk a C-level sum of products
    u[i] * 31^(n-1-i), then Horner's rule across chunks."""
    units = array("H", s.encode(_UTF16_NATIVE, "surrogatepass"))
    h = 0
    for start in range(0, len(units), _CHUNK):
        chunk = units[start : start + _CHUNK]
        h = h * _POWERS[len(chunk)] + int(sum(map(mul, _POWERS, reversed(chunk)))) & INT_MASK
    return h


def _numpy_hasher() -> Callable[[str], int]:
    """The long-string hasher: numpy's uint32 dot product, which wraps modulo
    2^32 and so gives each chunk's sum exactly (measured faster here than the
    float64 BLAS variant, which needs a conversion); pure Python without numpy."""
    try:
        import numpy as np
    except ImportError:
        return _hash_without_numpy
    weights = np.array(list(reversed(_POWERS[:_CHUNK])), dtype=np.uint32)  # 31^(CHUNK-1) .. 31^0
    units_le = np.dtype("<u2")

    def hash_with_numpy(s: str) -> int:
        # numpy's str array holds the code points as UCS-4 (lone surrogates as
        # themselves, with no codec error handler to call per surrogate):
        # they are the UTF-16 units unless a character lies outside the BMP.
        units = np.array(s).reshape(1).view(np.uint32)
        if not s.isascii() and units.max() > 0xFFFF:
            units = np.frombuffer(s.encode("utf-16-le", "surrogatepass"), units_le).astype(np.uint32)
        n = len(units)
        if n <= _CHUNK:
            return int(weights[_CHUNK - n :].dot(units))
        h = 0
        for start in range(0, n, _CHUNK):
            chunk = units[start : start + _CHUNK]
            k = len(chunk)
            h = h * _POWERS[k] + int(weights[_CHUNK - k :].dot(chunk)) & INT_MASK
        return h

    return hash_with_numpy


def _first_long_string(s: str) -> int:
    global _hash_long_string
    _hash_long_string = _numpy_hasher()  # import numpy on first use only
    return _hash_long_string(s)


_hash_long_string: Callable[[str], int] = _first_long_string


def int_hash(v: int) -> int:
    """``Integer``/``Short``/``Byte.hashCode``: the value itself."""
    return to_int32(v)


def long_hash(v: int) -> int:
    """``Long.hashCode``: ``(int)(v ^ (v >>> 32))``."""
    v &= 0xFFFFFFFFFFFFFFFF
    h = (v ^ (v >> 32)) & INT_MASK
    return h - _WRAP if h & _SIGN else h


def bool_hash(b: bool) -> int:
    """``Boolean.hashCode``: 1231 for true, 1237 for false."""
    return JAVA_TRUE_HASH if b else JAVA_FALSE_HASH


_DOUBLE = struct.Struct("<d")
_CANONICAL_NAN_BITS = 0x7FF8000000000000


def double_hash(d: float) -> int:
    """``Double.hashCode``: ``doubleToLongBits`` (every NaN is the one
    canonical NaN; 0.0 and -0.0 differ), then folded as ``Long.hashCode``."""
    if d != d:
        bits = _CANONICAL_NAN_BITS
    else:
        bits = int.from_bytes(_DOUBLE.pack(d), "little")
    h = (bits ^ (bits >> 32)) & INT_MASK
    return h - _WRAP if h & _SIGN else h
