"""B1 and B2: events to exact Gson text, against json.dumps of equivalent plain dicts.

B1 is a realistic stream: the simulated scheduler's events for 1,000 tasks
(100 jobs of 10 instances) through their lifecycles; a job's TaskConfig is
shared by its tasks and hashed, as in a scheduler. B2 is cold: every event's
objects are fresh (read from payloads with every cachedHashCode cleared,
strings made different per event), and encoding it first computes every
hash (policy ``all``). Both baselines are ``json.dumps`` (compact separators,
non-ASCII kept, like Gson) of plain dicts built beforehand; B1's dicts share
what the events share.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from typing import Any

from aurorakit.runtime.codec import parse_json
from aurorakit.runtime.aurora.event import TaskStateChange, decode_event
from aurorakit.runtime.simulate.simulator import Simulator

from .common import Figure, best_rate
from .data import lifecycle_payloads


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
        from aurorakit.runtime.identity import arm_constant
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


def _dumps(tree: Any) -> str:
    return json.dumps(tree, separators=(",", ":"), ensure_ascii=False)


def run_stream(quick: bool = False) -> Figure:
    events = simulated_events(10_000 if quick else 100_000)
    memo: dict[int, Any] = {}
    dicts = [event_dict(e, memo) for e in events]
    del memo
    assert parse_json(events[-1].encode()) == dicts[-1]  # the same payload, as data

    def ours() -> int:
        for event in events:
            event.encode()
        return len(events)

    def baseline() -> int:
        for tree in dicts:
            _dumps(tree)
        return len(dicts)

    # Encoding fills per-object caches, as a scheduler's would be after the first
    # event of each task: the best of several passes reflects the steady state.
    return Figure("B1", f"encode: realistic stream, {len(events):,} events", "events/s",
                  best_rate(ours, repeats=3), best_rate(baseline, repeats=3), "json.dumps of shared dicts",
                  ">= 3x", 3.0)


_UNHASHED = re.compile(r'"cachedHashCode":-?\d+')


def cold_payloads(count: int) -> list[str]:
    """Payload texts with no hash recorded and strings that differ from event to event."""
    out = []
    payloads = lifecycle_payloads()
    for i in range(count):
        text = _UNHASHED.sub('"cachedHashCode":0', payloads[i % len(payloads)])
        for key in ('"taskId":"', '"data":"', '"slaveHost":"', '"role":"', '"message":"', '"user":"', '"key":"'):
            text = text.replace(key, f"{key}{i:07d}")
        out.append(text)
    return out


def run_cold(quick: bool = False) -> Figure:
    texts = cold_payloads(1_000 if quick else 5_000)
    dicts = [json.loads(t) for t in texts]
    batch = 100  # fresh events are made (untimed) a batch at a time, as a stream would hold them
    rate = 0.0
    for _ in range(3):
        elapsed = 0.0
        for start in range(0, len(texts), batch):
            fresh = [decode_event(t, "0.22") for t in texts[start:start + batch]]  # every hash 0
            began = time.perf_counter()
            for event in fresh:
                TaskStateChange(event.task, event.old_state, hashed="all").encode()
            elapsed += time.perf_counter() - began
        rate = max(rate, len(texts) / elapsed)
    assert fresh[0].task._jhash != 0 and fresh[0].task.taskEvents[0]._jhash != 0

    def baseline() -> int:
        for tree in dicts:
            _dumps(tree)
        return len(dicts)

    return Figure("B2", f"encode: cold, {len(texts):,} fresh events, all hashed", "events/s",
                  rate, best_rate(baseline, repeats=3), "json.dumps of dicts", ">= 1x", 1.0)
