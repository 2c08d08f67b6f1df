"""Decode, replay and memory on payloads the process has never seen: Java-made vectors.

Every pass runs in a fresh interpreter (benchmarks/fresh.py), so every intern
table starts empty and nothing has been decoded before: the path of a
receiver that has just started. Payloads are the shared vectors of 0.14 and
0.22, each read with its release's models, as UTF-8 bytes:

- ``random``: the random-structure vectors, where nothing repeats;
- ``lifecycle``: the lifecycle streams, where a task's TaskConfig repeats
  from event to event (sharing what repeats is the decoder's own work).

DECODE: ``decode_event`` once over each payload, against ``json.loads`` of
the same bytes in the same process (the two take turns, 50 payloads each). REPLAY: bytes -> typed objects -> the
same bytes (``wire``), checked equal, against Gson parsing the same payloads
into trees and writing them back. MEMORY: bytes kept alive per decoded payload
(tracemalloc, Python allocations: the objects, intern tables included),
against the dicts ``json.loads`` makes of the same bytes.
Several fresh processes add up to one figure (counts and times summed).
"""

from __future__ import annotations

import gc
import json
import os
import time
import tracemalloc
from dataclasses import asdict
from typing import Any

from . import bench_gson
from .common import Figure, Timing, interleaved, rate_figure
from .data import all_payloads, payload_sets, write_sets
from .fresh import call

_KINDS = {"random": "unseen random vectors", "lifecycle": "lifecycle streams"}


def _kinds(keys: tuple[str, str], tiny: bool) -> list[tuple[str, str]]:
    """(figure key, payload kind) pairs: both kinds, or only the first for the smoke test."""
    pairs = list(zip(keys, _KINDS))
    return pairs[:1] if tiny else pairs


# -- in the fresh process ---------------------------------------------------------------
def _read_sets(path: str) -> list[tuple[Any, list[bytes]]]:
    from aurorakit.runtime.accel import accelerate
    from aurorakit.runtime.aurora.profiles import profile_for
    with open(path, encoding="utf-8") as fh:
        sets = json.load(fh)
    out = []
    for release, payloads in sets:
        profile = profile_for(release)
        # imported now, not inside the timed pass; so is the accelerator's one-time install on the
        # package (~2.5 ms a release, where it is built), which the first event would otherwise do
        accelerate(profile.models())
        out.append((profile, [p.encode("utf-8") for p in payloads]))
    return out


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float], count: int) -> dict[str, float]:
    return {"count": count, "wall": time.perf_counter() - start[0], "cpu": time.process_time() - start[1]}


def decode_pass(path: str) -> dict[str, Any]:
    """decode_event and json.loads once each over the same bytes, taking turns 50 payloads at a time."""
    from aurorakit.runtime.aurora.event import decode_event
    items = [(profile, body) for profile, data in _read_sets(path) for body in data]

    def ours(start: int, end: int) -> None:
        for profile, body in items[start:end]:
            decode_event(body, profile, encoding="utf-8")

    def baseline(start: int, end: int) -> None:
        for _, body in items[start:end]:
            json.loads(body)
    mine, theirs = interleaved(ours, baseline, len(items), 50)
    return {"ours": asdict(mine), "baseline": asdict(theirs)}


def replay_pass(path: str) -> dict[str, Any]:
    """One pass of bytes -> typed objects -> bytes; every output checked equal to its input afterwards."""
    from aurorakit.runtime.aurora.event import decode_event
    sets = _read_sets(path)
    count = sum(len(data) for _, data in sets)
    outputs = []
    gc.collect()
    start = _clock()
    for profile, data in sets:
        for body in data:
            outputs.append(decode_event(body, profile, encoding="utf-8").wire(encoding="utf-8"))
    ours = _since(start, count)
    inputs = [body for _, data in sets for body in data]
    differ = sum(a != b for a, b in zip(inputs, outputs))
    if differ:
        raise SystemExit(f"replay: {differ} of {count} payloads came back different")
    return {"ours": ours}


def memory_pass(path: str) -> dict[str, Any]:
    """Bytes traced per payload while every decoded payload is kept, ours then json.loads's.

    Each side decodes its own copy of every payload, made inside the traced window and let go
    at once, so an input counts only where what was decoded keeps it (a canonical event keeps its text).
    """
    from aurorakit.runtime.aurora.event import decode_event

    sets = _read_sets(path)

    def kept_per_payload(decode: Any) -> tuple[float, int]:
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        kept = [decode(profile, bytes(bytearray(body))) for profile, data in sets for body in data]
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        return used / len(kept), len(kept)

    ours, count = kept_per_payload(lambda profile, body: decode_event(body, profile, encoding="utf-8"))
    baseline, same = kept_per_payload(lambda _profile, body: json.loads(body))
    assert count == same
    return {"ours": ours, "baseline": baseline}


# -- in the suite's process ---------------------------------------------------------------
def _fresh(function: str, sets: list[tuple[str, list[str]]], processes: int) -> list[dict[str, Any]]:
    path = write_sets(sets)
    try:
        return [call(f"benchmarks.bench_decode:{function}", path) for _ in range(processes)]
    finally:
        os.unlink(path)


def _summed(results: list[dict[str, Any]], side: str) -> Timing:
    return Timing(sum(r[side]["count"] for r in results), sum(r[side]["wall"] for r in results),
                  sum(r[side]["cpu"] for r in results))


def _sets(kind: str, tiny: bool) -> list[tuple[str, list[str]]]:
    return payload_sets(kind, limit=5 if tiny else None)


def run_decode(quick: bool = False, tiny: bool = False) -> list[Figure]:
    processes = 1 if tiny else 3 if quick else 10
    figures = []
    for key, kind in _kinds(("DECODE", "DECODE-L"), tiny):
        sets = _sets(kind, tiny)
        results = _fresh("decode_pass", sets, processes)
        ours, base = _summed(results, "ours"), _summed(results, "baseline")
        figures.append(rate_figure(key, f"decode: {_KINDS[kind]}, one pass, fresh process", "payloads/s", ours,
                                   base, "json.loads of the same bytes", ">= 1x", 1.0,
                                   note=f"{processes} fresh processes x {ours.count // processes:,} payloads"))
    return figures


def run_replay(quick: bool = False, tiny: bool = False) -> list[Figure]:
    processes = 1 if tiny else 3 if quick else 10
    figures = []
    for key, kind in _kinds(("REPLAY", "REPLAY-L"), tiny):
        sets = _sets(kind, tiny)
        ours = _summed(_fresh("replay_pass", sets, processes), "ours")
        figures.append(bench_gson.figure(key, f"replay bytes->typed->bytes: {_KINDS[kind]}, one pass", ours,
                                         "replay", all_payloads(sets), ">= 1x", 1.0, quick, tiny))
    return figures


def run_memory(quick: bool = False, tiny: bool = False) -> list[Figure]:
    figures = []
    for key, kind in _kinds(("MEMORY", "MEMORY-L"), tiny):
        result = _fresh("memory_pass", _sets(kind, tiny), 1)[0]
        figures.append(Figure(key, f"memory per decoded payload: {_KINDS[kind]}", "B", result["ours"],
                              result["baseline"], "json.loads dicts", "<= 1x", 1.0, higher_is_better=False,
                              note="tracemalloc: Python allocations kept alive, intern tables included"))
    return figures
