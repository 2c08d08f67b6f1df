"""Encoding: each event written once, as a user's code meets it; never a second pass.

STREAM: the simulated scheduler's events for 1,000 tasks (100 jobs of 10
instances), made first, then encoded once each in the order produced (ours
and json.dumps take turns, 500 events each, so load from elsewhere on the
machine falls on both); a
job's TaskConfig is shared by its tasks and hashed, as in a scheduler, so
what the first event of a task wrote is reused by the next (as it would be).
COLD: fresh objects (read from payloads with every cachedHashCode 0 and
strings made different per event, untimed), each event hashed in full
(policy ``all``) and encoded once. BUILD: events made with the generated
constructors (the simulator's job specs, made beforehand) and encoded once,
with a fresh TaskConfig per event or one per job of 10 tasks. WIRE:
``wire()`` bytes against ``encode()`` on two identical simulated streams
(taking turns likewise).

Baselines, each one pass: ``json.dumps`` (compact, non-ASCII kept, like Gson)
of the same payloads as plain dicts built beforehand (STREAM's share what the
events share), and Gson writing the same payloads (bench_gson.py).
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Callable
from typing import Any

from aurorakit.runtime.aurora.event import TaskStateChange, decode_event
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.codec import parse_json
from aurorakit.runtime.identity import arm_constant
from aurorakit.runtime.simulate.jobs import (
    JobSpec,
    make_task_config,
    random_job,
)
from aurorakit.runtime.simulate.simulator import Simulator

from . import bench_gson
from .common import Figure, Stopwatch, Timing, interleaved, rate_figure, timed
from .data import lifecycle_payloads

CHUNK = 500  # events per turn when ours and the baseline take turns (common.interleaved)
GSON_SAMPLE = 3_000  # payloads handed to Gson: enough for a steady rate, few enough for the JVM's start


def simulated_events(count: int, jobs: int = 100, instances: int = 10, seed: int = 1) -> list[TaskStateChange]:
    return list(itertools.islice(Simulator(jobs, instances, "0.22", seed).events(), count))


def plain(obj: Any, memo: dict[int, Any]) -> Any:
    """The dict/list/str/number tree Gson would write for a model object (shared parts shared)."""
    key = id(obj)
    found = memo.get(key)
    if found is not None:
        return found
    cls = type(obj)
    out: dict[str, Any] = {"cachedHashCode": obj._jhash}
    if cls._kind == "union":
        spec = next(s for s in cls._fields if s.name == obj.set_field)
        out["setField"] = arm_constant(obj.set_field)
        out["value"] = _plain_value(obj.field_value, spec.type, memo)
    else:
        for spec in cls._fields:
            value = getattr(obj, spec.attr)
            if value is not None:
                out[spec.name] = _plain_value(value, spec.type, memo)
    memo[key] = out
    return out


def _plain_value(value: Any, spec: Any, memo: dict[int, Any]) -> Any:
    kind = spec.kind
    if kind == "struct":
        return plain(value, memo)
    if kind == "enum":
        return value.name
    if kind in ("list", "set"):
        return [_plain_value(v, spec.elem, memo) for v in value]
    if kind == "map":
        return {str(k): _plain_value(v, spec.value, memo) for k, v in value.items()}
    return value


def event_dict(event: TaskStateChange, memo: dict[int, Any]) -> dict[str, Any]:
    old = {} if event.old_state is None else {"value": event.old_state.name}
    return {"task": plain(event.task, memo), "oldState": old}


def _dumps(trees: list[Any]) -> Callable[[int, int], None]:
    """json.dumps of ``trees[start:end]``, written as Gson writes (compact, non-ASCII kept)."""
    def run(start: int, end: int) -> None:
        for tree in trees[start:end]:
            json.dumps(tree, separators=(",", ":"), ensure_ascii=False)
    return run


def _dumps_pass(trees: list[Any]) -> Timing:
    return timed(lambda: (_dumps(trees)(0, len(trees)), len(trees))[1])


def _check(outputs: list[str], trees: list[Any], what: str) -> None:
    """Ours and the baseline wrote the same payloads (as data): checked after the timing."""
    for n in sorted({0, len(outputs) // 2, len(outputs) - 1}):
        if parse_json(outputs[n]) != trees[n]:
            raise AssertionError(f"{what}: payload {n} differs from the baseline's")


def _sample(outputs: list[str]) -> list[str]:
    return outputs[:: max(1, len(outputs) // GSON_SAMPLE)]


def run_stream(quick: bool = False, tiny: bool = False) -> list[Figure]:
    events = simulated_events(200 if tiny else 5_000 if quick else 30_000)
    memo: dict[int, Any] = {}
    trees = [event_dict(e, memo) for e in events]
    del memo
    outputs: list[str] = []

    def encode(start: int, end: int) -> None:
        outputs.extend([event.encode() for event in events[start:end]])
    ours, base = interleaved(encode, _dumps(trees), len(events), CHUNK)
    _check(outputs, trees, "STREAM")
    name = f"encode: simulated stream, {len(events):,} events, one pass"
    return [rate_figure("STREAM", name, "events/s", ours, base, "json.dumps of shared dicts", "-", None),
            bench_gson.figure("STREAM-G", name, ours, "write", _sample(outputs), ">= 3x", 3.0, quick, tiny)]


_HASHES = re.compile(r'"cachedHashCode":-?\d+')


def cold_payloads(count: int) -> list[str]:
    """Payload texts with no hash recorded and strings that differ from event to event."""
    out = []
    payloads = lifecycle_payloads()
    for i in range(count):
        text = _HASHES.sub('"cachedHashCode":0', payloads[i % len(payloads)])
        for key in ('"taskId":"', '"data":"', '"slaveHost":"', '"role":"', '"message":"', '"user":"', '"key":"'):
            text = text.replace(key, f"{key}{i:07d}")
        out.append(text)
    return out


def run_cold(quick: bool = False, tiny: bool = False) -> list[Figure]:
    fresh = [decode_event(t, "0.22") for t in cold_payloads(100 if tiny else 1_000 if quick else 5_000)]
    outputs: list[str] = []

    def ours() -> int:
        append = outputs.append
        for event in fresh:
            append(TaskStateChange(event.task, event.old_state, hashed="all").encode())
        return len(fresh)
    timing = timed(ours)
    if not all(e.task._jhash and e.task.taskEvents[0]._jhash for e in fresh):
        raise AssertionError("COLD: an event was not hashed in full")
    trees = [json.loads(t) for t in outputs]
    base = _dumps_pass(trees)
    _check(outputs, trees, "COLD")
    name = f"encode: cold, {len(fresh):,} fresh events, all hashed, one pass"
    return [rate_figure("COLD", name, "events/s", timing, base, "json.dumps of dicts", "-", None),
            bench_gson.figure("COLD-G", name, timing, "write", _sample(outputs), ">= 1.5x", 1.5, quick, tiny)]


def _job_specs(count: int, seed: int = 3) -> list[JobSpec]:
    rng = random.Random(seed)
    return [random_job(rng, "dc1") for _ in range(count)]


def _built_event(models: Any, spec: JobSpec, config: Any, n: int) -> TaskStateChange:
    m = models
    status = m.ScheduleStatus
    events = [m.TaskEvent(timestamp=1_700_000_000_000 + n + k, status=s, message=None, scheduler="aurora")
              for k, s in enumerate((status.PENDING, status.ASSIGNED, status.STARTING))]
    assigned = m.AssignedTask(taskId=f"{spec.role}-{spec.environment}-{spec.name}-{n % 10}-{n:08d}",
                              slaveId=f"agent-S{n % 50}", slaveHost=f"agent-{n % 50}.dc1.example.com",
                              task=config, assignedPorts={p: 31000 + k for k, p in enumerate(spec.ports)},
                              instanceId=n % 10)
    task = m.ScheduledTask(assignedTask=assigned, status=status.STARTING, failureCount=0, taskEvents=events)
    return TaskStateChange(task, status.ASSIGNED)


def run_build(quick: bool = False, tiny: bool = False) -> list[Figure]:
    models = profile_for("0.22").models()
    count = 100 if tiny else 1_000 if quick else 5_000
    figures = []
    for key, per_job in (("BUILD-F", 1), ("BUILD-S", 10)):
        specs = _job_specs(count // per_job)  # made beforehand: the user's own data
        outputs: list[str] = []
        watch = Stopwatch()
        with watch:
            for n in range(count):
                if n % per_job == 0:
                    config = make_task_config(specs[n // per_job], models)
                outputs.append(_built_event(models, specs[n // per_job], config, n).encode())
        trees = [json.loads(t) for t in outputs]
        base = _dumps_pass(trees)
        shared = "a fresh TaskConfig per event" if per_job == 1 else f"a TaskConfig per {per_job} events"
        figures.append(rate_figure(key, f"build from constructors + encode, {shared}", "events/s",
                                   watch.timing(count), base, "json.dumps of prebuilt dicts", "-", None))
    return figures


def run_wire(quick: bool = False, tiny: bool = False) -> list[Figure]:
    count = 200 if tiny else 2_000 if quick else 10_000
    encoded, wired = simulated_events(count), simulated_events(count)  # the same events, twice
    outputs: list[str] = []
    bodies: list[bytes] = []

    def encode(start: int, end: int) -> None:
        outputs.extend([event.encode() for event in encoded[start:end]])

    def wire(start: int, end: int) -> None:
        bodies.extend([event.wire() for event in wired[start:end]])
    timing, base = interleaved(wire, encode, count, CHUNK)
    profile = profile_for("0.22")
    if bodies[-1] != profile.wire_bytes(outputs[-1]):
        raise AssertionError("WIRE: wire() and encode() disagree")
    return [rate_figure("WIRE", f"wire() bytes, simulated stream, {count:,} events, one pass", "events/s",
                        timing, base, "encode() of the same events", "-", None)]
