"""Java's hashCode rules as the generated code runs them, against the live JDK.

The combination rules (``Objects.hash`` over a struct's fields, a union's
``Objects.hash(arm constant, value)``, ``List``/``Set``/``Map.hashCode``) are
written out in the generated hash functions; this runs those functions on
objects of a small IDL and asks the JDK (tests/java/JavaHashes.java) for
every number, innermost first: the element hashes, then the containers',
then the objects'. Fresh random values every run (AURORAKIT_TEST_SEED replays).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aurorakit.runtime.hashing import java_hash
from aurorakit.runtime.identity import IdentityTable
from jdk import oracle

SEED = int(os.environ.get("AURORAKIT_TEST_SEED", random.randrange(1 << 32)))

IDL = """
namespace py java_rules

struct Numbers { 1: i32 a  2: i16 b  3: byte c  4: i64 d }
struct Flag { 1: bool flag }
struct IntList { 1: list<i32> items }
struct IntSet { 1: set<i32> items }
struct IntMap { 1: map<i32, i32> items }
struct BoolList { 1: list<bool> items }
struct LongSet { 1: set<i64> items }
struct BoolMap { 1: map<bool, i64> items }
union Pick { 1: i32 count  2: bool flag  3: i64 big  4: list<i32> some }
"""

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
IDENTITIES = {"Pick._Fields.COUNT": 977, "Pick._Fields.FLAG": -5, "Pick._Fields.BIG": INT_MAX,
              "Pick._Fields.SOME": INT_MIN}


@pytest.fixture(scope="module")
def api(import_generated: Callable[..., ModuleType], tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    idl = Path(tmp_path_factory.mktemp("java_rules_idl")) / "java_rules.thrift"
    idl.write_text(IDL, encoding="utf-8")
    return import_generated(idl, "java_rules")


class Jdk:
    """Requests collected, then answered by one JVM run: ``ask`` gives a slot, ``run`` fills them."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.answers: list[int] = []

    def ask(self, request: str) -> int:
        self.requests.append(request)
        return len(self.requests) - 1

    def run(self) -> None:
        self.answers = [int(a) for a in oracle("JavaHashes").ask(self.requests)]

    def __getitem__(self, slot: int) -> int:
        return self.answers[slot]


def test_generated_hashes_combine_as_the_jdk_does(api: ModuleType) -> None:
    print(f"AURORAKIT_TEST_SEED={SEED}")
    rng = random.Random(SEED)

    def some_ints(n: int) -> list[int]:
        return [rng.choice((0, -1, INT_MIN, INT_MAX, rng.randrange(INT_MIN, INT_MAX + 1))) for _ in range(n)]

    def some_longs(n: int) -> list[int]:
        return [rng.choice((0, -1, LONG_MIN, LONG_MAX, rng.randrange(LONG_MIN, LONG_MAX + 1))) for _ in range(n)]

    # Round 1: each element's hash by its boxed type's hashCode.
    elements = Jdk()
    built: list[tuple[str, Any, list[tuple[str, list[int]]]]] = []  # (struct or arm, value, its parts' elements)
    for _ in range(150):
        n = rng.randrange(6)
        ints = some_ints(n)
        distinct = list(dict.fromkeys(ints))
        longs = list(dict.fromkeys(some_longs(n)))
        bools = [rng.random() < 0.5 for _ in range(n)]
        pairs = dict(zip(distinct, some_ints(len(distinct))))
        bool_keys = {rng.random() < 0.5: some_longs(1)[0] for _ in range(rng.randrange(3))}
        built += [
            ("IntList", ints, [("list", [elements.ask(f"int {v}") for v in ints])]),
            ("IntSet", distinct, [("set", [elements.ask(f"int {v}") for v in distinct])]),
            ("IntMap", pairs, [("map", [elements.ask(f"int {x}") for kv in pairs.items() for x in kv])]),
            ("BoolList", bools, [("list", [elements.ask(f"bool {str(b).lower()}") for b in bools])]),
            ("LongSet", longs, [("set", [elements.ask(f"long {v}") for v in longs])]),
            ("BoolMap", bool_keys, [("map", [elements.ask(r) for k, v in bool_keys.items()
                                             for r in (f"bool {str(k).lower()}", f"long {v}")])]),
        ]
        a, b, c, d = some_ints(1)[0], rng.randrange(-(2**15), 2**15), rng.randrange(-128, 128), some_longs(1)[0]
        built.append(("Numbers", (a, b, c, d), [("field", [elements.ask(f"int {a}")]),
                                                ("field", [elements.ask(f"short {b}")]),
                                                ("field", [elements.ask(f"byte {c}")]),
                                                ("field", [elements.ask(f"long {d}")])]))
        flag = rng.random() < 0.5
        built.append(("Flag", flag, [("field", [elements.ask(f"bool {str(flag).lower()}")])]))
        arm = rng.choice(("count", "flag", "big", "some"))
        arm_value: Any = {"count": some_ints(1)[0], "flag": flag, "big": d, "some": ints}[arm]
        request = {"count": lambda v: [f"int {v}"], "flag": lambda v: [f"bool {str(v).lower()}"],
                   "big": lambda v: [f"long {v}"], "some": lambda v: [f"int {x}" for x in v]}[arm](arm_value)
        built.append((f"Pick.{arm}", arm_value, [("list" if arm == "some" else "field",
                                                   [elements.ask(r) for r in request])]))
    elements.run()

    # Round 2: each container's hash over its elements' hashes (a scalar field is its element).
    parts = Jdk()
    part_slots = []
    for _, _, value_parts in built:
        slots = []
        for kind, element_slots in value_parts:
            hashes = " ".join(str(elements[s]) for s in element_slots)
            slots.append(("answer", elements[element_slots[0]]) if kind == "field"
                         else ("slot", parts.ask(f"{kind} {hashes}".strip())))
        part_slots.append(slots)
    parts.run()

    # Round 3: each object's hash, Objects.hash over its fields (a union: over its arm's constant and value).
    objects = Jdk()
    table = IdentityTable(IDENTITIES, strict=True)
    cases = []
    for (name, value, _), slots in zip(built, part_slots):
        hashes = [answer if how == "answer" else parts[answer] for how, answer in slots]
        if name.startswith("Pick."):
            arm = name.split(".")[1]
            obj = api.Pick(**{arm: value})
            hashes.insert(0, IDENTITIES[f"Pick._Fields.{arm.upper()}"])
        elif name == "Numbers":
            obj = api.Numbers(a=value[0], b=value[1], c=value[2], d=value[3])
        elif name == "Flag":
            obj = api.Flag(flag=value)
        else:
            obj = getattr(api, name)(items=value)
        cases.append((obj, objects.ask("objects " + " ".join(map(str, hashes)))))
    objects.run()

    ours = [(obj, objects[slot], java_hash(obj, table)) for obj, slot in cases]
    wrong = [(obj, jdk, mine) for obj, jdk, mine in ours if jdk != mine]
    assert not wrong, f"seed {SEED}: {len(wrong)} of {len(cases)} differ, e.g. (object, jdk, ours): {wrong[:3]}"
