"""The table of Thrift scalar facts, against the facts written out here, and its readers at the bounds.

The ranges are Java's (Byte/Short/Integer/Long.MIN_VALUE and MAX_VALUE),
written as literals rather than computed; the wire codes are thriftpy2's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aurorakit.codegen import model
from aurorakit.runtime import map_keys, read_values, typespec
from aurorakit.runtime.errors import FieldError, PayloadError
from aurorakit.runtime.hash_values import hash_bool
from aurorakit.runtime.identity import IdentityTable
from aurorakit.runtime.scalars import INTEGERS, JAVA_PRIMITIVES, SCALARS
from thriftpy2.thrift import TType

GOLDEN = Path(__file__).parent / "golden" / "kitchen"
JAVA_RANGES = {
    "byte": (-128, 127),
    "i16": (-32768, 32767),
    "i32": (-2147483648, 2147483647),
    "i64": (-9223372036854775808, 9223372036854775807),
}
TTYPES = {"bool": TType.BOOL, "byte": TType.BYTE, "i16": TType.I16, "i32": TType.I32, "i64": TType.I64,
          "double": TType.DOUBLE, "string": TType.STRING, "binary": TType.BINARY}
PYTHON_TYPES = {"bool": "bool", "byte": "int", "i16": "int", "i32": "int", "i64": "int", "double": "float",
                "string": "str", "binary": "bytes"}
# What an unset field of Aurora's Java classes holds: primitives their zero, the rest null.
JAVA_DEFAULTS = {"bool": False, "byte": 0, "i16": 0, "i32": 0, "i64": 0, "double": 0.0}
JAVA_HASHES = {"bool": "bool_hash", "byte": "int_hash", "i16": "int_hash", "i32": "int_hash", "i64": "long_hash",
               "double": "double_hash", "string": "string_hash", "binary": None}


def test_the_table_holds_the_thrift_scalars_and_their_facts() -> None:
    assert list(SCALARS) == ["bool", "byte", "i16", "i32", "i64", "double", "string", "binary"]
    assert model.PRIMITIVES == tuple(SCALARS)
    assert {kind: (s.low, s.high) for kind, s in INTEGERS.items()} == JAVA_RANGES
    assert {kind: s.ttype for kind, s in SCALARS.items()} == TTYPES
    assert {kind: s.python_type for kind, s in SCALARS.items()} == PYTHON_TYPES
    defaults = {kind: s.java_default for kind, s in JAVA_PRIMITIVES.items()}
    assert defaults == JAVA_DEFAULTS
    assert {kind: type(v) for kind, v in defaults.items()} == {kind: type(v) for kind, v in JAVA_DEFAULTS.items()}
    assert {kind: s.java_hash for kind, s in SCALARS.items()} == JAVA_HASHES


@pytest.mark.parametrize("kind", list(JAVA_RANGES))
def test_constructor_checks_take_the_range_from_the_table(kind: str) -> None:
    low, high = JAVA_RANGES[kind]
    check = getattr(typespec, f"check_{kind}")
    assert check(low, "f") == low and check(high, "f") == high
    for outside in (low - 1, high + 1):
        with pytest.raises(FieldError, match=f"out of range for {kind} \\({low}..{high}\\)"):
            check(outside, "f")


@pytest.mark.parametrize("kind", list(JAVA_RANGES))
def test_decoders_take_the_range_from_the_table(kind: str) -> None:
    low, high = JAVA_RANGES[kind]
    read, read_key = getattr(read_values, f"{kind}_value"), getattr(map_keys, f"{kind}_key_value")
    assert read(low) == low and read(high) == high
    assert read_key(str(low)) == low and read_key(str(high)) == high
    for outside in (low - 1, high + 1):
        with pytest.raises(PayloadError, match=f"out of range for {kind}"):
            read(outside)
        with pytest.raises(PayloadError, match=f"out of range for {kind}"):
            read_key(str(outside))
    # The inline check the generator writes for a field holds the same bounds (the golden
    # snapshot is what the generator writes: tests/test_golden.py).
    assert f"not {low} <= v <= {high}:" in (GOLDEN / "gson.py").read_text()


def test_identity_hashes_are_java_ints() -> None:
    table = IdentityTable({"E.A": -2147483648, "E.B": 2147483647})
    assert table["E.A"] == -2147483648
    for outside in (-2147483649, 2147483648):
        with pytest.raises(ValueError, match="32-bit int"):
            IdentityTable({"E.C": outside})


def test_the_generated_bool_hash_is_booleans_hashcode() -> None:
    # Boolean.hashCode (also checked against the JDK in test_java_hash.py).
    generated = (Path(__file__).parents[1] / "generated/aurora_0_22/gson.py").read_text()
    assert re.search(r"\(1231 if [\w.]+ else 1237\)", generated)
    assert "(1237 if" not in generated
    assert hash_bool(True, {}) == 1231 and hash_bool(False, {}) == 1237
