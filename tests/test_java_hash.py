"""The Java hash rules of aurorakit.runtime.java against the live JDK.

How generated code combines these (Objects.hash, List, Set, Map) is checked
against the JDK in test_java_rules_generated.py.

Fresh random inputs every run (set AURORAKIT_TEST_SEED to replay; the seed
is printed and is part of every failure message).
"""

from __future__ import annotations

import os
import random
import struct
import sys

import pytest
from aurorakit.runtime import java
from aurorakit.runtime.java import (
    bool_hash,
    double_hash,
    int_hash,
    long_hash,
    string_hash,
    to_int32,
)
from jdk import oracle, utf16_hex

SEED = int(os.environ.get("AURORAKIT_TEST_SEED", random.randrange(1 << 32)))

# Lengths in code points: empty and tiny, around the numpy thresholds and the
# 4096-unit chunk, long.
LENGTHS = [0, 1, 2, 3, 5, 8, 13, 15, 16, 17, 31, 32, 33, 47, 48, 64, 100, 1000, 1500, 4095, 4096, 4097, 5000]


def random_text(rng: random.Random, length: int, kind: str) -> str:
    if kind == "ascii":
        return "".join(chr(rng.randrange(0x80)) for _ in range(length))
    if kind == "latin-1":
        return "".join(chr(rng.randrange(0x100)) for _ in range(length))
    if kind == "bmp":  # no surrogates
        return "".join(chr(rng.choice((rng.randrange(0xD800), rng.randrange(0xE000, 0x10000)))) for _ in range(length))
    if kind == "non-bmp":  # mostly astral, some ASCII
        return "".join(
            chr(rng.randrange(0x10000, 0x110000) if rng.random() < 0.7 else rng.randrange(0x80)) for _ in range(length)
        )
    if kind == "lone-surrogates":  # BMP text with unpaired (or accidentally paired) surrogates
        return "".join(
            chr(rng.randrange(0xD800, 0xE000) if rng.random() < 0.3 else rng.randrange(0x10000)) for _ in range(length)
        )
    # "surrogates": any code point, lone surrogates included, mostly astral
    return "".join(
        chr(rng.randrange(0xD800, 0xE000) if rng.random() < 0.3 else rng.randrange(0x110000)) for _ in range(length)
    )


def random_strings(rng: random.Random) -> list[str]:
    kinds = ["ascii", "latin-1", "bmp", "non-bmp", "lone-surrogates", "surrogates"]
    strings = [random_text(rng, length, kind) for length in LENGTHS for kind in kinds]
    for _ in range(2500):
        length = rng.choice((rng.randrange(48), rng.randrange(48), rng.randrange(400), rng.randrange(5001)))
        strings.append(random_text(rng, length, rng.choice(kinds)))
    strings += ["", "hello", "a" * 10_000, "\ud800", "\udc00\ud800", "\U0001f600" * 3000]
    return strings


@pytest.fixture(scope="module")
def strings_and_jdk_hashes() -> tuple[list[str], list[int]]:
    print(f"AURORAKIT_TEST_SEED={SEED}")
    strings = random_strings(random.Random(SEED))
    answers = oracle("StringHash").ask(utf16_hex(s) for s in strings)
    return strings, [int(a) for a in answers]


def wrong_hashes(strings: list[str], expected: list[int]) -> list[tuple[str, int, int, int]]:
    """Hashes computed afresh, then again (short ones come from the cache)."""
    first = [string_hash(s) for s in strings]
    again = [string_hash(s) for s in strings]
    return [(s[:20], e, f, a) for s, e, f, a in zip(strings, expected, first, again) if not e == f == a]


def test_string_hash_matches_the_jdk(
    strings_and_jdk_hashes: tuple[list[str], list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    java.string_hash.__self__.clear()  # type: ignore[attr-defined]
    strings, expected = strings_and_jdk_hashes
    wrong = wrong_hashes(strings, expected)
    assert not wrong, f"seed {SEED}: {len(wrong)} of {len(strings)} differ, e.g. (start, jdk, ours, again): {wrong[:5]}"
    if "numpy" in sys.modules:  # the long strings went through numpy, not the fallback
        assert java._hash_long_string is not java._hash_without_numpy


def test_string_hash_without_numpy_matches_the_jdk(
    strings_and_jdk_hashes: tuple[list[str], list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    java.string_hash.__self__.clear()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "numpy", None)  # makes `import numpy` fail
    monkeypatch.setattr(java, "_hash_long_string", java._numpy_hasher())
    assert java._hash_long_string is java._hash_without_numpy
    strings, expected = strings_and_jdk_hashes
    wrong = wrong_hashes(strings, expected)
    assert not wrong, f"seed {SEED}: {len(wrong)} of {len(strings)} differ, e.g. (start, jdk, ours, again): {wrong[:5]}"


def from_bits(bits: int) -> float:
    return float(struct.unpack("<d", struct.pack("<Q", bits))[0])


def test_value_hashes_match_the_jdk() -> None:
    """Each case is (request for tests/java/JavaHashes.java, our answer)."""
    print(f"AURORAKIT_TEST_SEED={SEED}")
    rng = random.Random(SEED)
    cases: list[tuple[str, int]] = []
    longs = [0, 1, -1, 2**31, -(2**31) - 1, 2**32, 2**63 - 1, -(2**63)] + [
        rng.randrange(-(2**63), 2**63) for _ in range(2000)
    ]
    for v in longs:
        cases += [(f"long {v}", long_hash(v)), (f"intcast {v}", to_int32(v))]
    for v in [0, -1, 2**31 - 1, -(2**31)] + [rng.randrange(-(2**31), 2**31) for _ in range(500)]:
        cases.append((f"int {v}", int_hash(v)))
    for v in [rng.randrange(-(2**15), 2**15) for _ in range(200)]:
        cases.append((f"short {v}", int_hash(v)))
    for v in range(-128, 128):
        cases.append((f"byte {v}", int_hash(v)))
    cases += [("bool true", bool_hash(True)), ("bool false", bool_hash(False))]
    special = [0, 1 << 63, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0x7FF0000000000001]
    special += [0xFFF8000000000123, 0x7FFFFFFFFFFFFFFF, 1, 0x3FF0000000000000]
    for bits in special + [rng.getrandbits(64) for _ in range(2000)]:
        cases.append((f"double {bits:x}", double_hash(from_bits(bits))))

    answers = oracle("JavaHashes").ask(request for request, _ in cases)
    wrong = [(request, int(jdk), ours) for (request, ours), jdk in zip(cases, answers) if int(jdk) != ours]
    assert not wrong, f"seed {SEED}: {len(wrong)} of {len(cases)} differ, e.g. (request, jdk, ours): {wrong[:5]}"


def test_results_are_signed_32_bit() -> None:
    assert string_hash("polygenelubricants") == -(2**31)  # a known Java hashCode of MIN_VALUE
    assert to_int32(2**31) == -(2**31) and to_int32(-(2**31) - 1) == 2**31 - 1


def per_character_hash(s: str) -> int:
    """The plain loop the performance requirement is measured against."""
    h = 0
    for c in s:
        o = ord(c)
        if o > 0xFFFF:
            o -= 0x10000
            h = (31 * h + (0xD800 | o >> 10)) & 0xFFFFFFFF
            h = (31 * h + (0xDC00 | o & 0x3FF)) & 0xFFFFFFFF
        else:
            h = (31 * h + o) & 0xFFFFFFFF
    return to_int32(h)


def test_string_hash_equals_the_per_character_loop_on_long_texts() -> None:
    # Its speed against this loop is benchmark B4 (python -m benchmarks), not a unit test.
    rng = random.Random(SEED)
    texts = [random_text(rng, 1500, rng.choice(("ascii", "latin-1", "bmp"))) for _ in range(40)]
    assert [string_hash(s) for s in texts] == [per_character_hash(s) for s in texts]
