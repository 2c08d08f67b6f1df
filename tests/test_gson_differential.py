"""Gson encode, decode and hash for an IDL other than Aurora's, against real Gson.

tests/idl/edges/edges.thrift holds what Aurora's API barely uses: byte and i16
values, map keys that are bytes, shorts, longs, bools, doubles and enums, bools
in a union and in lists, sets and maps, and a union with two arms of one type.
tests/java/GsonEdges.java mirrors it as entity classes and runs real Gson
(/usr/share/java/gson.jar) on them. For each value:

- Gson reads our JSON and writes it back byte for byte (our encoding is Gson's);
- our Java hash of the value equals its ``hashCode()`` in the JVM, with the
  JVM's own identity hashes for the enum constants;
- our JSON after hashing equals Gson's, and we read Gson's back to the value.

Fresh random values every run besides the fixed edge cases; the seed is
printed (set AURORAKIT_TEST_SEED to replay). Skips only without a JDK or Gson.
"""

from __future__ import annotations

import json
import math
import os
import random
import struct
from types import ModuleType
from typing import Any

from aurorakit.runtime.codec import decode, encode
from aurorakit.runtime.hashing import java_hash
from aurorakit.runtime.identity import IdentityTable
from jdk import GSON_JAR, oracle

SEED = int(os.environ.get("AURORAKIT_TEST_SEED", random.randrange(1 << 32)))
DOUBLES = [0.0, -0.0, 1.0, -2.5, 0.001, 0.00099, 1e-4, 9999999.0, 1e7, 1e23, 2e23, 5e-324, 1.7976931348623157e308,
           2.0**54 + 2, 2.0**63, 0.1, 1 / 3]
ASCII = "ab<>&='\"\\\t\n\x01 z"


def i(rng: random.Random, bits: int) -> int:
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return rng.choice([low, high, 0, -1, 1, rng.randint(low, high)])


def a_double(rng: random.Random) -> float:
    while True:
        d = rng.choice(DOUBLES) if rng.random() < 0.5 else struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if math.isfinite(d):
            return d


def text(rng: random.Random) -> str:
    return "".join(rng.choice(ASCII) for _ in range(rng.randint(0, 6)))


def a_leaf(edges: ModuleType, rng: random.Random) -> Any:
    return edges.Leaf(n=i(rng, 32), s=text(rng) if rng.random() < 0.7 else None)


def a_pick(edges: ModuleType, rng: random.Random) -> Any:
    arm = rng.choice(["flag", "tiny", "small", "big", "other", "leaf", "flags", "real", "mood"])
    value = {"flag": lambda: rng.random() < 0.5, "tiny": lambda: i(rng, 8), "small": lambda: i(rng, 16),
             "big": lambda: i(rng, 64), "other": lambda: i(rng, 64), "leaf": lambda: a_leaf(edges, rng),
             "flags": lambda: [rng.random() < 0.5 for _ in range(rng.randint(0, 4))], "real": lambda: a_double(rng),
             "mood": lambda: rng.choice(list(edges.Mood))}[arm]()
    return edges.Pick(**{arm: value})


def some(rng: random.Random, make: Any, most: int = 3) -> list[Any]:
    return [make() for _ in range(rng.randint(0, most))]


def an_edges(edges: ModuleType, rng: random.Random) -> Any:
    doubles: dict[float, int] = {}
    for d in some(rng, lambda: a_double(rng)):
        if d not in doubles:  # 0.0 and -0.0 are one Python key but two Java keys: keep the first only
            doubles[d] = i(rng, 32)
    return edges.Edges(
        b=i(rng, 8), s=i(rng, 16), t=rng.random() < 0.5,
        byByte={i(rng, 8): text(rng) for _ in range(rng.randint(0, 3))},
        byShort={i(rng, 16): i(rng, 32) for _ in range(rng.randint(0, 3))},
        byLong={i(rng, 64): rng.random() < 0.5 for _ in range(rng.randint(0, 3))},
        byBool={rng.random() < 0.5: text(rng) for _ in range(rng.randint(0, 2))},
        byDouble=doubles,
        byMood={rng.choice(list(edges.Mood)): a_leaf(edges, rng) for _ in range(rng.randint(0, 3))},
        flags=some(rng, lambda: rng.random() < 0.5, 5),
        flagSet=some(rng, lambda: rng.random() < 0.5),
        flagLists={text(rng): some(rng, lambda: rng.random() < 0.5) for _ in range(rng.randint(0, 2))},
        pick=a_pick(edges, rng) if rng.random() < 0.8 else None,
        picks=some(rng, lambda: a_pick(edges, rng), 4),
        tinies=some(rng, lambda: i(rng, 8), 4),
        smalls=some(rng, lambda: i(rng, 16), 4),
    )


def fixed_cases(edges: ModuleType) -> list[Any]:
    mood = edges.Mood
    return [
        edges.Edges(),
        edges.Edges(b=-128, s=-32768, t=True, byByte={-128: "", 127: "x"}, byShort={-32768: 1, 32767: -1},
                    byLong={-(1 << 63): True, (1 << 63) - 1: False}, byBool={True: "t", False: "f"},
                    byDouble={-0.0: 1, 1e7: 2, 0.001: 3, 1e-4: 4, 9999999.0: 5},
                    byMood={mood.GLAD: edges.Leaf(n=5), mood.SAD: edges.Leaf(s="<&>")},
                    flags=[True, False, True], flagSet=[False, True], flagLists={"": [], "a": [True]},
                    pick=edges.Pick(flag=False), tinies=[3, -3, 0], smalls=[32767, -1]),
        edges.Edges(picks=[edges.Pick(big=5), edges.Pick(other=5), edges.Pick(tiny=5), edges.Pick(small=5),
                           edges.Pick(real=5.0), edges.Pick(flags=[True]), edges.Pick(mood=mood.OK),
                           edges.Pick(leaf=edges.Leaf(n=-1, s="q"))]),
        edges.Edges(byDouble={0.0: 0}, flagSet=[True]),
    ]


def test_edges_against_real_gson(edges: ModuleType) -> None:
    gson = oracle("GsonEdges", jars=[GSON_JAR])
    print(f"AURORAKIT_TEST_SEED={SEED}")
    rng = random.Random(SEED)
    values = fixed_cases(edges) + [an_edges(edges, rng) for _ in range(300)]
    texts = [encode(v) for v in values]
    assert all(t.isascii() for t in texts)
    *answers, ids_line = gson.ask([*texts, "ids"])
    ids = IdentityTable.from_json(json.loads(ids_line), strict=True)
    for n, (value, ours, answer) in enumerate(zip(values, texts, answers)):
        where = f"seed {SEED}, case {n}: {ours}"
        gsons, java, gson_hashed = answer.split("\t")
        assert ours == gsons, f"{where}\nGson writes {gsons}"
        copy = decode(edges.Edges, ours)
        assert java_hash(copy, ids) == int(java), f"{where}\nJava's hashCode {java}"
        assert encode(copy) == gson_hashed, f"{where}\nGson after hashing: {gson_hashed}"
        back = decode(edges.Edges, gson_hashed)
        assert back == value and encode(back) == gson_hashed, where
