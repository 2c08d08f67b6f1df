"""The Thrift scalar types, one row each: every fact about them that code depends on.

Code generation (``codegen/build.py``, ``codegen/gsoncode.py``,
``codegen/python.py``) and the runtime (``typespec``, ``read_values``,
``identity``, ``java``, ``verify``, ``thrift_bridge``) read these rows
instead of writing widths, ranges or hash rules themselves.

- ``bits``, ``low``, ``high``: the range of the Java integer type (None for the others).
- ``python_type``: the Python type a field of this kind holds.
- ``java_default``: what an unset Java primitive field holds, as a Python value
  (None: the field is a Java object, null when unset).
- ``ttype``: the Thrift wire type code (as thriftpy2's ``TType``).
- ``java_hash``: the function in ``aurorakit.runtime.java`` giving the Java
  ``hashCode`` of a value (None: no documented hash).
"""

from __future__ import annotations

from dataclasses import dataclass

# Boolean.hashCode: the two constants of the JDK.
JAVA_TRUE_HASH = 1231
JAVA_FALSE_HASH = 1237


@dataclass(frozen=True)
class Scalar:
    """One Thrift scalar type (see the module docstring for the fields)."""

    kind: str
    python_type: str
    java_default: bool | int | float | None
    ttype: int
    java_hash: str | None
    bits: int | None = None

    @property
    def low(self) -> int:
        """The least value of an integer type."""
        assert self.bits is not None, f"{self.kind} is not an integer type"
        return -(1 << (self.bits - 1))

    @property
    def high(self) -> int:
        """The greatest value of an integer type."""
        assert self.bits is not None, f"{self.kind} is not an integer type"
        return (1 << (self.bits - 1)) - 1


SCALARS: dict[str, Scalar] = {s.kind: s for s in (
    Scalar("bool", "bool", False, 2, "bool_hash"),
    Scalar("byte", "int", 0, 3, "int_hash", bits=8),
    Scalar("i16", "int", 0, 6, "int_hash", bits=16),
    Scalar("i32", "int", 0, 8, "int_hash", bits=32),
    Scalar("i64", "int", 0, 10, "long_hash", bits=64),
    Scalar("double", "float", 0.0, 4, "double_hash"),
    Scalar("string", "str", None, 11, "string_hash"),
    Scalar("binary", "bytes", None, 18, None),
)}

INTEGERS: dict[str, Scalar] = {kind: s for kind, s in SCALARS.items() if s.bits is not None}
"""The integer types: byte, i16, i32, i64."""

JAVA_PRIMITIVES: dict[str, Scalar] = {kind: s for kind, s in SCALARS.items() if s.java_default is not None}
"""The types Aurora's Java classes hold as primitives: never null, always written by Gson."""

I32 = SCALARS["i32"]
