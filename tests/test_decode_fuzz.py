"""Fuzzing the decoder from one fixed seed: mutations of the shared vectors' payloads.

Two kinds of input, 12,000 in all:
- text mutations (cut, insert, replace, duplicate, nest, truncate bytes): whatever
  they do, only PayloadError may escape;
- tree mutations that Gson can never have written (a member it always writes
  removed, a null, a value of the wrong JSON type, two struct members swapped):
  each must be refused, never silently decoded.

A failure prints the seed, the case number and the input. Another seed
(``AURORAKIT_FUZZ_SEED=...``) or more cases (``AURORAKIT_FUZZ_CASES=...``) make a
longer run; the default is the same on every run.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

import pytest
from aurorakit.runtime.aurora.event import decode_event
from aurorakit.runtime.errors import PayloadError
from shared import vector_file

SEED = int(os.environ.get("AURORAKIT_FUZZ_SEED", "20261201"))
CASES = int(os.environ.get("AURORAKIT_FUZZ_CASES", "6000"))
# Keys whose value is a Java primitive, a collection or the hash: Gson always writes them.
UNION_KEYS = ("cachedHashCode", "setField", "value")


def _payloads(release: str) -> list[str]:
    return [case["payload"] for name in (f"aurora-{release}.0.json", f"aurora-{release}.0-lifecycles.json")
            for case in vector_file(name)["cases"]]


def _shown(data: str | bytes) -> str:
    text = repr(data)
    return text if len(text) <= 3000 else text[:3000] + f"... ({len(text)} characters)"


# -- text mutations: anything may happen, only PayloadError may escape ----------------
def text_mutation(rng: random.Random, payload: str) -> str:
    if len(payload) < 2:
        return payload + rng.choice(["{", "}", '"', "[]", "0"])
    choice = rng.randrange(10)
    i = rng.randrange(len(payload))
    if choice == 0:  # delete a span
        return payload[:i] + payload[i + rng.randrange(1, 8):]
    if choice == 1:  # insert a JSON-ish token
        token = rng.choice(['"', ",", ":", "{", "}", "[", "]", "null", "true", "1e400", "1.8e308", "-0", "NaN",
                            '"x"', "9223372036854775808", "9" * 5000, "1.5", "\\u0000", "\\ud800", "{}", "[]",
                            "0." + "1" * 400, "1e-400"])
        return payload[:i] + token + payload[i:]
    if choice == 2:  # replace a character
        return payload[:i] + rng.choice('0123456789"{}[],:aZ\\ é\x00\ud800') + payload[i + 1:]
    if choice == 3:  # swap a value for another kind of value
        return payload.replace(rng.choice(['0', '"PENDING"', 'true', 'false', '[]', '{}']),
                               rng.choice(['"0"', "null", "[1]", "{}", "1.5", "-2147483649", '"RUNNING"']), 1)
    if choice == 4:  # truncate
        return payload[:i]
    if choice == 5:  # rename a key
        keys = [k for k in ("cachedHashCode", "setField", "value", "task", "status", "taskEvents", "key")
                if f'"{k}":' in payload]
        if not keys:
            return payload[:i]
        return payload.replace(f'"{rng.choice(keys)}":', '"' + rng.choice(["x", "Value", "setfield", ""]) + '":', 1)
    if choice == 6:  # duplicate a span
        j = min(len(payload), i + rng.randrange(1, 40))
        return payload[:j] + payload[i:j] + payload[j:]
    if choice == 7:  # nest deeply
        return "[" * rng.randrange(1, 3000) + payload
    if choice == 8:  # nest a value deeply
        depth = rng.randrange(100, 5000)
        return payload.replace(":", ":" + '{"a":' * depth, 1) + "}" * depth
    return payload.encode("utf-8", "surrogatepass")[: rng.randrange(len(payload))].decode("utf-8", "ignore")


def as_input(rng: random.Random, text: str) -> str | bytes:
    """The text as str, as UTF-8 bytes, or as bytes with a stray invalid byte."""
    pick = rng.random()
    if pick < 0.45:
        return text
    data = text.encode("utf-8", "surrogatepass")
    if pick < 0.9:
        return data
    i = rng.randrange(len(data) + 1)
    return data[:i] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80"]) + data[i:]


# -- tree mutations: each one is something Gson never writes -------------------------
def _is_struct(d: dict[str, Any]) -> bool:
    return next(iter(d), None) == "cachedHashCode"  # the event itself, maps: no


def _places(tree: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every (path, value) in the tree, the root included."""
    found = [(path, tree)]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found.extend(_places(value, path + (key,)))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            found.extend(_places(value, path + (i,)))
    return found


def _parent(tree: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        tree = tree[step]
    return tree


def _always_written(parent: dict[str, Any], key: str, value: Any, in_root: bool) -> bool:
    """Whether Gson writes this member whatever the object holds."""
    if in_root:
        return True  # the event: task and oldState (an Optional object, never null)
    if not _is_struct(parent):
        return False  # a map's entry
    if key in UNION_KEYS and parent.keys() == set(UNION_KEYS):
        return True
    return key == "cachedHashCode" or isinstance(value, (bool, int, float, list))


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return 1
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return 7
    if isinstance(value, list):
        return "[]"
    return []  # a struct, union or map where an array stands


def tree_mutation(rng: random.Random, payload: str) -> tuple[str, str]:
    """(what was done, the mutated payload), each one a payload Gson cannot have written."""
    tree = json.loads(payload)
    places = [(path, value) for path, value in _places(tree) if path]
    while True:
        path, value = rng.choice(places)
        parent = _parent(tree, path)
        key = path[-1]
        kind = rng.randrange(4)
        where = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)
        if kind == 0 and isinstance(parent, dict) and _always_written(parent, key, value, len(path) == 1):
            del parent[key]
            return f"removed {where}", json.dumps(tree, ensure_ascii=False, separators=(",", ":"))
        if kind == 1:
            parent[key] = None
            return f"null at {where}", json.dumps(tree, ensure_ascii=False, separators=(",", ":"))
        if kind == 2:
            parent[key] = _wrong_type(value)
            return f"wrong type at {where}", json.dumps(tree, ensure_ascii=False, separators=(",", ":"))
        if kind == 3 and isinstance(value, dict) and len(value) >= 2 and (_is_struct(value) or not path):
            keys = list(value)
            i = rng.randrange(len(keys) - 1)
            keys[i], keys[i + 1] = keys[i + 1], keys[i]
            parent[key] = {k: value[k] for k in keys}
            return f"members {keys[i + 1]}, {keys[i]} of {where} swapped", \
                json.dumps(tree, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("release", ["0.22", "0.14"])
def test_text_mutations_only_raise_payload_errors(release: str) -> None:
    rng = random.Random(f"{SEED}-text-{release}")
    payloads = _payloads(release)
    rejected = 0
    for case in range(CASES // 2):
        mutated = text_mutation(rng, rng.choice(payloads))
        if rng.random() < 0.3:
            mutated = text_mutation(rng, mutated)
        data = as_input(rng, mutated)
        try:
            decode_event(data, release)
        except PayloadError:
            rejected += 1
        except Exception as err:  # noqa: BLE001 - the point of the test
            pytest.fail(f"seed {SEED}, case {case}: {type(err).__name__}: {err}\ninput: {_shown(data)}")
    assert rejected > CASES // 4, (SEED, rejected)


@pytest.mark.parametrize("release", ["0.22", "0.14"])
def test_what_gson_never_writes_is_never_accepted(release: str) -> None:
    rng = random.Random(f"{SEED}-tree-{release}")
    payloads = _payloads(release)
    kinds: dict[str, int] = {}
    for case in range(CASES // 2):
        what, mutated = tree_mutation(rng, rng.choice(payloads))
        data = as_input(rng, mutated) if rng.random() < 0.5 else mutated
        try:
            decode_event(data, release)
        except PayloadError:
            kind = what.split(" ")[0]
            kinds[kind] = kinds.get(kind, 0) + 1
            continue
        except Exception as err:  # noqa: BLE001 - the point of the test
            pytest.fail(f"seed {SEED}, case {case} ({what}): {type(err).__name__}: {err}\ninput: {_shown(data)}")
        pytest.fail(f"seed {SEED}, case {case}: accepted although {what}\ninput: {_shown(data)}")
    # every kind of mutation was tried often
    assert len(kinds) == 4 and min(kinds.values()) > CASES // 40, kinds
