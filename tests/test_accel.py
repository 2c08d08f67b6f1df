"""The compiled accelerator against the pure-Python reference (the generated functions).

Every vector and random objects of every class: the same text, the same
hash of every object inside, the same caches left behind (``_json`` kind and
text), EPOCH moved on by as much, and every error of the same type and path;
and events: the same text and the same wire bytes in every form.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from aurorakit.generated import aurora_0_14, aurora_0_22
from aurorakit.runtime import accel
from aurorakit.runtime.aurora.event import TaskStateChange, decode_event
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.containers import FrozenMap, OrderedSet
from aurorakit.runtime.hashing import EPOCH, java_hash
from aurorakit.runtime.identity import IdentityTable, use_identity
from aurorakit.runtime.struct import ThriftStruct
from aurorakit.runtime.unhashed import unhashed_copy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared import vector_file
from strategies import instances

VECTOR_FILES = ("aurora-0.14.0.json", "aurora-0.22.0.json",
                "aurora-0.14.0-lifecycles.json", "aurora-0.22.0-lifecycles.json")
MODELS = {"0.14": aurora_0_14, "0.22": aurora_0_22}


def test_the_accelerator_is_built_where_there_is_a_compiler() -> None:
    if shutil.which("gcc") is None and shutil.which("cc") is None:
        assert not accel.ACTIVE
        return
    assert accel._speedups is not None, "pip install -e . found a C compiler but did not build runtime/_speedups.c"
    assert accel.ACTIVE is (os.environ.get("AURORAKIT_PURE", "") in ("", "0"))


needs_accel = pytest.mark.skipif(not accel.ACTIVE, reason=f"the accelerator is not in use: {accel.status()}")


def _classes(models: ModuleType) -> list[type[Any]]:
    return [c for c in vars(models.types).values()
            if isinstance(c, type) and issubclass(c, ThriftStruct) and c.__module__ == models.types.__name__]


@contextlib.contextmanager
def pure(models: ModuleType) -> Iterator[None]:
    """Within this block the classes of ``models`` encode and hash with the generated functions."""
    accel.accelerate(models)
    saved = {cls: (cls.__dict__["_gson_encode"], cls.__dict__["_java_hash"]) for cls in _classes(models)}
    for cls in saved:
        type.__setattr__(cls, "_gson_encode", staticmethod(getattr(models.gson, f"_enc_{cls.__name__}")))
        type.__setattr__(cls, "_java_hash", staticmethod(getattr(models.gson, f"_hash_{cls.__name__}")))
    try:
        yield
    finally:
        for cls, (encode, java_hash) in saved.items():
            type.__setattr__(cls, "_gson_encode", encode)
            type.__setattr__(cls, "_java_hash", java_hash)


def _objects(value: Any) -> Iterator[Any]:
    """Every struct and union inside ``value``, in a fixed order."""
    if isinstance(value, ThriftStruct):
        yield value
        cls = type(value)
        if cls._kind == "union":
            yield from _objects(value.field_value)
        else:
            for spec in cls._fields:
                yield from _objects(getattr(value, spec.attr))
    elif isinstance(value, (tuple, OrderedSet)):
        for item in value:
            yield from _objects(item)
    elif isinstance(value, FrozenMap):
        for key, item in value.items():
            yield from _objects(key)
            yield from _objects(item)


def _caches(obj: Any) -> list[tuple[int, str, str | None]]:
    """Each object's cachedHashCode and what its ``_json`` holds (the epoch of a (text, epoch) pair aside)."""
    out = []
    for o in _objects(obj):
        cached = o._json
        text = cached if cached is None or cached.__class__ is str else cached[0]
        out.append((o._jhash, type(cached).__name__, text))
    return out


def _outcome(step: Any) -> tuple[str, Any]:
    try:
        return "ok", step()
    except Exception as err:  # the type and message (with its path) must be the same on both sides
        return type(err).__name__, str(err)


def _cold_walk(obj: Any, table: IdentityTable) -> list[Any]:
    """Encode unhashed (twice: the first write keeps no text), hash everything, encode again (twice):
    texts, hashes, caches and EPOCH's moves."""
    cls = type(obj)
    made = unhashed_copy(obj, table)
    steps = []
    encode, hash_all = (lambda: cls._gson_encode(made)), (lambda: cls._java_hash(made, table))
    for step in (encode, encode, hash_all, encode, encode, encode):
        before = EPOCH[0]
        steps.append((_outcome(step), EPOCH[0] - before, _caches(made)))
    return steps


def _same_both_ways(obj: Any, models: ModuleType, table: IdentityTable) -> None:
    with pure(models):
        expected = _cold_walk(obj, table)
    accel.accelerate(models)
    assert _cold_walk(obj, table) == expected


@needs_accel
@pytest.mark.parametrize("name", VECTOR_FILES)
def test_every_vector_hashes_and_writes_the_same(name: str) -> None:
    vectors = vector_file(name)
    release = vectors["aurora"].rsplit(".", 1)[0]
    models = MODELS[release]
    table = IdentityTable(vectors["identity"]) if isinstance(vectors.get("identity"), dict) else None
    from aurorakit.runtime._speedups import fallbacks
    handed_back = fallbacks()
    with use_identity(table) if table is not None else contextlib.nullcontext():
        for case in vectors["cases"]:
            with pure(models):
                as_read = _as_read(case["payload"], release)
            assert _as_read(case["payload"], release) == as_read, case["name"]
            assert as_read[0] == case["payload"], case["name"]
            _same_both_ways(decode_event(case["payload"], release).task, models, table or _current())
    assert fallbacks() == handed_back  # the compiled walker did all of it


def _as_read(payload: str, release: str) -> tuple[str, list[Any]]:
    """An event's text with its hashes kept as found (some objects hashed, parts of them not) and its caches.

    Read with empty intern tables: objects shared with an earlier read would carry what its writes
    left in their caches (an object's first write keeps no text, hashing.WRITTEN).
    """
    for name, table in vars(MODELS[release].gson).items():
        if name.startswith("_INTERNED_"):
            table._objects.clear()
            table._first.clear()
    event = decode_event(payload, release)
    return event.encode(), _caches(event.task)


def test_a_hashed_object_with_an_unhashed_part_keeps_the_same_caches() -> None:
    case = vector_file("aurora-0.22.0-lifecycles.json")["cases"][0]["payload"]
    start = case.index('"executorConfig":{"cachedHashCode":') + len('"executorConfig":{"cachedHashCode":')
    edited = case[:start] + "0" + case[case.index(",", start):]  # TaskConfig hashed, its ExecutorConfig not
    with pure(aurora_0_22):
        expected = _as_read(edited, "0.22")
    assert _as_read(edited, "0.22") == expected


def _current() -> IdentityTable:
    from aurorakit.runtime.identity import current_identity
    return current_identity()


ALL_CLASSES = [(models, cls) for models in (aurora_0_14, aurora_0_22) for cls in _classes(models)]


@needs_accel
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_objects_of_every_class_hash_and_write_the_same(data: st.DataObject) -> None:
    models, cls = data.draw(st.sampled_from(ALL_CLASSES), label="class")
    obj = data.draw(instances(cls, max_depth=2, max_size=2), label="object")
    _same_both_ways(obj, models, _current())


@needs_accel
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task=instances(aurora_0_22.ScheduledTask, max_depth=3, max_size=3))
def test_random_tasks_with_nan_and_infinite_doubles_fail_the_same(task: Any) -> None:
    _same_both_ways(task, aurora_0_22, _current())  # instances() allows NaN and infinities by default


@needs_accel
def test_a_double_gson_refuses_is_the_same_error_with_the_same_path() -> None:
    resource = aurora_0_22.Resource(numCpus=float("nan"))
    config = aurora_0_22.TaskConfig(job=aurora_0_22.JobKey(role="r", environment="e", name="n"),
                                    resources=[aurora_0_22.Resource(ramMb=1), resource])
    with pure(aurora_0_22):
        expected = _outcome(lambda: aurora_0_22.TaskConfig._gson_encode(config))
    got = _outcome(lambda: aurora_0_22.TaskConfig._gson_encode(config))
    assert expected[0] == "PayloadError" and got == expected


def test_aurorakit_pure_forces_the_generated_functions() -> None:
    code = ("from aurorakit.runtime import accel; from aurorakit.runtime.aurora.event import decode_event; "
            "from aurorakit.generated import aurora_0_22 as api; import sys; "
            "sys.path.insert(0, 'tests'); from shared import vector_file; "
            "decode_event(vector_file('aurora-0.22.0.json')['cases'][0]['payload'], '0.22').encode(); "
            "print(accel.ACTIVE, api.ScheduledTask._gson_encode is api.gson._enc_ScheduledTask, accel.status())")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                          env={**os.environ, "AURORAKIT_PURE": "1"})
    assert done.stdout.split(None, 2)[:2] == ["False", "True"]
    assert "AURORAKIT_PURE" in done.stdout or "not compiled" in done.stdout


# -- the event's text and wire bytes (write_event) -------------------------------------------------
# Each form write_event gives, and two it leaves to Python (UTF-16, and a release's default rule).
WIRE_ARGS = ({}, {"encoding": "utf-8"}, {"encoding": "iso-8859-1"}, {"encoding": "utf-16"},
             {"content_type": "application/json; charset=utf-8"}, {"content_type": "text/plain; charset=latin1"})
# Characters where the forms differ: Latin-1, above U+00FF, Gson's escapes, surrogates (paired and lone)
TRICKY = st.text(st.sampled_from(["a", "\xe9", "\xff", "\u0100", "\u2028", "\ud83d", "\ude00", "\U0001f600",
                                  "<", "\x00", '"', "\\"]), max_size=10)


def _event_steps(task: Any, models: ModuleType, table: IdentityTable) -> list[Any]:
    """An event's text and bytes in every form, unhashed and then hashed in full, with the caches left."""
    made = unhashed_copy(task, table)
    event = TaskStateChange(made, models.ScheduleStatus.RUNNING, hashed="none")
    steps = []
    for _ in range(2):
        for args in WIRE_ARGS:
            steps.append((args, _outcome(lambda args=args: event.wire(**args)), _caches(made)))
        steps.append(("text", _outcome(event.encode), _outcome(lambda: event.encode("guava")), _caches(made)))
        before = EPOCH[0]
        steps.append(("hash", _outcome(lambda: java_hash(made, table)), EPOCH[0] - before))
    return steps


def _event_same_both_ways(task: Any, models: ModuleType, table: IdentityTable) -> None:
    with pure(models):
        expected = _event_steps(task, models, table)
    accel.accelerate(models)
    assert _event_steps(task, models, table) == expected


def _tricky_task(models: ModuleType, texts: list[str]) -> Any:
    m = models
    config = m.TaskConfig(job=m.JobKey(role=texts[0], environment="e", name="n"), owner=m.Identity(user="u"),
                          executorConfig=m.ExecutorConfig(name="AuroraExecutor", data=texts[1]))
    return m.ScheduledTask(assignedTask=m.AssignedTask(taskId=texts[2], slaveHost="h", task=config, instanceId=1),
                           status=m.ScheduleStatus.RUNNING,
                           taskEvents=[m.TaskEvent(timestamp=5, status=m.ScheduleStatus.RUNNING, message=texts[3])])


@needs_accel
@pytest.mark.parametrize("name", VECTOR_FILES[:2])
def test_every_vector_event_writes_the_same_text_and_bytes(name: str) -> None:
    vectors = vector_file(name)
    release = vectors["aurora"].rsplit(".", 1)[0]
    table = IdentityTable(vectors["identity"]) if isinstance(vectors.get("identity"), dict) else _current()
    for case in vectors["cases"]:
        _event_same_both_ways(decode_event(case["payload"], release).task, MODELS[release], table)


@needs_accel
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(release=st.sampled_from(sorted(MODELS)), texts=st.lists(TRICKY, min_size=4, max_size=4))
def test_events_with_any_characters_write_the_same_text_and_bytes(release: str, texts: list[str]) -> None:
    models = MODELS[release]
    _event_same_both_ways(_tricky_task(models, texts), models, _current())


@needs_accel
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task=instances(aurora_0_22.ScheduledTask, max_depth=3, max_size=2))
def test_random_events_write_the_same_text_and_bytes(task: Any) -> None:
    _event_same_both_ways(task, aurora_0_22, _current())  # NaN and infinities: the same PayloadError


@needs_accel
def test_write_event_gives_every_form_itself() -> None:
    """The event paths above must not pass by write_event handing everything back."""
    for release, models in MODELS.items():
        task = _tricky_task(models, ["r\xe9", "d\U0001f600\ud83d", "t\u2028", "m\ude00\ud83d\ude00"])
        profile = profile_for(release)
        text = TaskStateChange(task, None).encode()
        for form, encoding in ((accel.FORM_LATIN1, "iso-8859-1"), (accel.FORM_UTF8, "utf-8")):
            assert accel.write_event(task, ',"oldState":{}}', form) == profile.wire_bytes(text, None, encoding)
        assert accel.write_event(task, ',"oldState":{}}', accel.FORM_LOW8) == profile_for("0.14").wire_bytes(text)
        assert accel.write_event(task, ',"oldState":{}}', accel.FORM_TEXT) == text


@needs_accel
def test_hashing_with_a_strict_table_fails_the_same_and_moves_epoch_as_far() -> None:
    task = _tricky_task(aurora_0_22, ["r", "d", "t", "m"])
    strict = IdentityTable(strict=True)
    expected = None
    for side in ("pure", "compiled"):
        made = unhashed_copy(task, _current())
        before = EPOCH[0]
        with pure(aurora_0_22) if side == "pure" else contextlib.nullcontext():
            outcome = _outcome(lambda made=made: java_hash(made, strict))
        got = (outcome, EPOCH[0] - before, _caches(made))
        assert outcome[0] == "UnknownIdentity"
        expected = expected or got
        assert got == expected


class _Shifted(IdentityTable):
    """A table whose lookups are its own: the walker must ask it, not read the dict beneath."""

    __slots__ = ()

    def __getitem__(self, key: str) -> int:
        return super().__getitem__(key) + 1


@needs_accel
def test_an_identity_table_with_its_own_lookup_is_asked() -> None:
    task = _tricky_task(aurora_0_22, ["r", "d", "t", "m"])
    table = _Shifted({"ScheduleStatus.RUNNING": 7})
    with pure(aurora_0_22):
        expected = java_hash(unhashed_copy(task, table), table)
    assert java_hash(unhashed_copy(task, table), table) == expected


class _Recording(IdentityTable):
    """A table that notes how far EPOCH had moved each time it fills in a default."""

    __slots__ = ("seen",)

    def __missing__(self, key: str) -> int:
        self.seen.append((key, EPOCH[0]))
        return super().__missing__(key)


@needs_accel
def test_python_run_while_hashing_sees_epoch_moved_for_every_hash_cached() -> None:
    task = _tricky_task(aurora_0_22, ["r", "d", "t", "m"])
    task = aurora_0_22.ScheduledTask(assignedTask=task.assignedTask, status=aurora_0_22.ScheduleStatus.LOST,
                                     taskEvents=task.taskEvents)  # LOST after RUNNING: a default looked up late
    seen = []
    for side in ("pure", "compiled"):
        table = _Recording()
        table.seen = []
        made = unhashed_copy(task, _current())
        start = EPOCH[0]
        with pure(aurora_0_22) if side == "pure" else contextlib.nullcontext():
            java_hash(made, table)
        seen.append([(key, at - start) for key, at in table.seen])
    assert seen[0] == seen[1] and seen[0][-1][1] > 0


def test_status_says_which_implementation_is_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accel, "ACTIVE", False)
    monkeypatch.setattr(accel, "_speedups", None)
    assert accel.status() == "pure Python (the accelerator is not compiled in this installation)"
    monkeypatch.setattr(accel, "_speedups", object())
    assert accel.status() == "pure Python (AURORAKIT_PURE is set)"
    monkeypatch.setattr(accel, "ACTIVE", True)
    assert accel.status() == "compiled accelerator (aurorakit.runtime._speedups)"
