"""The compiled decode builder against the generated decoders (the reference).

Each comparison decodes the same text twice, each time on fresh intern tables
and fresh Shape caches (so neither side finds what the other left behind):
once with the generated ``_dec_*`` functions, once with the builder. The
objects must be equal, of the same classes, with the same caches (_jhash as
read, _json and _pyhash unset), re-encode to the same text and hash the same;
every error must be the same type and message (its path included).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aurorakit.generated import aurora_0_14, aurora_0_22
from aurorakit.runtime import accel, codec_support
from aurorakit.runtime.aurora.event import decode_event
from aurorakit.runtime.identity import current_identity
from aurorakit.runtime.struct import ThriftStruct

from shared import vector_file
from strategies import instances
from test_accel import VECTOR_FILES, _caches, _classes, _objects, _outcome

MODELS = {"0.14": aurora_0_14, "0.22": aurora_0_22}
RELEASES = {"0.14": "0.14.0", "0.22": "0.22.0"}

pytestmark = pytest.mark.skipif(not accel.ACTIVE, reason=f"the accelerator is not in use: {accel.status()}")


def _fresh_tables(models: ModuleType) -> None:
    """Empty every Interned table and Shape cache of ``models``' gson module."""
    for value in vars(models.gson).values():
        if isinstance(value, codec_support.Interned):
            value._objects.clear()
            value._first.clear()
        elif isinstance(value, codec_support.Shape):
            value.valid.clear()


@contextlib.contextmanager
def decoding(models: ModuleType, compiled: bool) -> Iterator[None]:
    """Within this block ``models`` decode with the builder (compiled) or the generated functions."""
    accel.accelerate_decoding(models)
    classes = _classes(models)
    saved = {cls: cls.__dict__["_gson_decode"] for cls in classes}
    if not compiled:
        for cls in classes:
            type.__setattr__(cls, "_gson_decode", staticmethod(getattr(models.gson, f"_dec_{cls.__name__}")))
    _fresh_tables(models)
    try:
        yield
    finally:
        for cls, decode in saved.items():
            type.__setattr__(cls, "_gson_decode", decode)


def _read(payload: str, release: str, strict: bool = True) -> tuple[str, Any]:
    """What decoding gives: the event's fields and caches, its text again, every hash; or the error."""
    def step() -> Any:
        event = decode_event(payload, RELEASES[release], strict=strict)
        shape = [(type(o), o._pyhash) for o in _objects(event.task)]
        caches = _caches(event.task)
        text = event.encode()
        ids = current_identity()
        hashes = [type(o)._java_hash(o, ids) for o in _objects(event.task)]
        return event.task, shape, caches, text, hashes
    return _outcome(step)


def _both(payload: str, release: str, strict: bool = True) -> tuple[Any, Any]:
    models = MODELS[release]
    with decoding(models, compiled=False):
        expected = _read(payload, release, strict)
    with decoding(models, compiled=True):
        got = _read(payload, release, strict)
    return expected, got


def _release_of(name: str) -> str:
    return str(vector_file(name)["aurora"].rsplit(".", 1)[0])


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_every_vector_decodes_the_same(name: str) -> None:
    from aurorakit.runtime._speedups import decode_fallbacks
    release = _release_of(name)
    declined = decode_fallbacks()
    for case in vector_file(name)["cases"]:
        expected, got = _both(case["payload"], release)
        assert expected[0] == "ok", case["name"]
        assert got == expected, case["name"]
        assert got[1][3] == case["payload"], case["name"]
    if "lifecycles" in name:  # no double past 2^63 there: the builder made every object itself
        assert decode_fallbacks() == declined


def test_the_builder_is_what_decodes() -> None:
    """The builder in place, a payload decodes without the generated decoders being called."""
    case = vector_file("aurora-0.22.0-lifecycles.json")["cases"][0]["payload"]
    calls = []
    original = aurora_0_22.gson._dec_TaskConfig
    with decoding(aurora_0_22, compiled=True):
        aurora_0_22.gson._dec_TaskConfig = lambda d: calls.append(d) or original(d)  # type: ignore[attr-defined]
        try:
            decode_event(case, "0.22.0")
        finally:
            aurora_0_22.gson._dec_TaskConfig = original  # type: ignore[attr-defined]
    assert calls == []


def test_repeated_objects_are_shared_as_the_generated_decoders_share_them() -> None:
    cases = vector_file("aurora-0.22.0-lifecycles.json")["cases"][:12]

    def configs() -> list[int]:
        tasks = [decode_event(c["payload"], "0.22.0").task for c in cases]
        first: dict[int, int] = {}
        return [first.setdefault(id(t.assignedTask.task), i) for i, t in enumerate(tasks)]
    with decoding(aurora_0_22, compiled=False):
        expected = configs()
    with decoding(aurora_0_22, compiled=True):
        got = configs()
    assert len(set(expected)) < len(expected)  # the vectors do repeat TaskConfigs
    assert got == expected


# -- irregular input: the builder declines and the errors are the generated decoders' ------
BAD_VALUES = (None, "x", 2**70, -(2**31) - 1, 2**31, 1.5, 1e300, True, [], {}, "NOT_A_NAME", 10**500)


def _dicts(tree: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    if isinstance(tree, dict):
        yield path, tree
        for key, value in tree.items():
            yield from _dicts(value, (*path, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from _dicts(value, (*path, i))


def _mutate(payload: str, rng: random.Random) -> str:
    """The payload with one object edited: a member dropped, replaced, added, or moved."""
    tree = json.loads(payload)
    _, target = rng.choice(list(_dicts(tree)))
    keys = list(target)
    how = rng.randrange(4)
    if how == 0 and keys:
        del target[rng.choice(keys)]
    elif how == 1 and keys:
        value = rng.choice(BAD_VALUES)
        target[rng.choice(keys)] = value if value != 10**500 else 0  # replaced below by its text
        if value == 10**500:
            return json.dumps(tree).replace(": 0", ": " + "9" * 500, 1)
    elif how == 2:
        target[rng.choice(("extra", "cachedHashCode", "setField"))] = rng.choice(BAD_VALUES[:3])
    elif len(keys) > 1:
        first = keys[rng.randrange(len(keys))]
        target[first] = target.pop(first)  # moved to the end
    return json.dumps(tree)


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_edited_payloads_fail_or_decode_the_same(name: str) -> None:
    release = _release_of(name)
    rng = random.Random(name)
    cases = vector_file(name)["cases"]
    failures = 0
    for _ in range(60):
        payload = _mutate(rng.choice(cases)["payload"], rng)
        expected, got = _both(payload, release)
        assert got == expected, payload
        failures += expected[0] != "ok"
    assert failures > 20  # the edits do reach the error paths


def test_members_in_any_order_decode_the_same_when_allowed() -> None:
    rng = random.Random(7)
    for case in vector_file("aurora-0.22.0.json")["cases"][:30]:
        tree = json.loads(case["payload"])
        for _, d in _dicts(tree):
            items = list(d.items())
            rng.shuffle(items)
            d.clear()
            d.update(items)
        payload = json.dumps(tree)
        for strict in (True, False):
            expected, got = _both(payload, "0.22", strict)
            assert got == expected, (strict, payload)


# -- random objects of every class -------------------------------------------------
ALL_CLASSES = [(models, cls) for models in (aurora_0_14, aurora_0_22) for cls in _classes(models)
               if cls._kind != "exception"]


def _decode_outcome(cls: type[Any], tree: Any) -> tuple[str, Any]:
    def step() -> Any:
        obj = cls._gson_decode(tree)
        return obj, [(type(o), o._pyhash) for o in _objects(obj)], _caches(obj)
    return _outcome(step)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_objects_of_every_class_decode_the_same(data: st.DataObject) -> None:
    models, cls = data.draw(st.sampled_from(ALL_CLASSES), label="class")
    obj = data.draw(instances(cls, max_depth=2, max_size=2, allow_nan=False, allow_infinity=False), label="object")
    text = type(obj)._gson_encode(obj)
    assert isinstance(obj, ThriftStruct)
    with decoding(models, compiled=False):
        expected = _decode_outcome(cls, json.loads(text))
    with decoding(models, compiled=True):
        got = _decode_outcome(cls, json.loads(text))
    assert got == expected


def test_decoding_stays_pure_under_aurorakit_pure() -> None:
    code = ("from aurorakit.runtime import accel; from aurorakit.generated import aurora_0_22 as api; "
            "accel.accelerate_decoding(api); "
            "print(accel.DECODE, api.TaskConfig._gson_decode is api.gson._dec_TaskConfig)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                          env={**os.environ, "AURORAKIT_PURE": "1", "AURORAKIT_ACCEL_DECODE": "1"})
    assert done.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("name", ("aurora-0.14.0-lifecycles.json", "aurora-0.22.0.json"))
def test_every_number_out_of_range_is_the_same_error(name: str) -> None:
    """Each integer member of a payload in turn set past Java's int (and long) range."""
    release = _release_of(name)
    payload = vector_file(name)["cases"][3]["payload"]
    members = [(path, key) for path, d in _dicts(json.loads(payload)) for key, v in d.items()
               if v.__class__ is int]
    assert len(members) > 5
    failures = 0
    for path, key in members:
        for value in (2**31, -(2**31) - 1, 2**63):
            tree = json.loads(payload)
            target = tree
            for step in path:
                target = target[step]
            target[key] = value
            edited = json.dumps(tree)
            expected, got = _both(edited, release)
            assert got == expected, (path, key, value)
            failures += expected[0] != "ok"
    assert failures > len(members)  # 2^63 fits no integer, the other two no int: most edits are errors


def test_aurorakit_accel_decode_0_keeps_decoding_pure_and_only_0_does() -> None:
    code = ("from aurorakit.runtime import accel; from aurorakit.generated import aurora_0_22 as api; "
            "accel.accelerate(api); "
            "print(accel.ACTIVE, accel.DECODE, api.TaskConfig._gson_decode is api.gson._dec_TaskConfig)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    base = {k: v for k, v in os.environ.items() if k not in ("AURORAKIT_PURE", "AURORAKIT_ACCEL_DECODE")}
    for setting, expected in ((None, ["True", "True", "False"]), ("0", ["True", "False", "True"]),
                              ("1", ["True", "True", "False"])):
        env = base if setting is None else {**base, "AURORAKIT_ACCEL_DECODE": setting}
        done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                              env=env)
        assert done.stdout.split() == expected, setting
