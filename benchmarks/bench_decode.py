"""B3: payload bytes to typed objects, against json.loads of the same bytes to dicts.

B3 reads the realistic lifecycle stream, where a task's TaskConfig repeats
from event to event (decoders share such hashed objects once read); B3b reads
the random vectors, where nothing repeats, so every object is built.
"""

from __future__ import annotations

import json

from aurorakit.runtime.aurora.event import decode_event
from aurorakit.runtime.aurora.profiles import profile_for

from .common import Figure, best_rate
from .data import lifecycle_payloads, vector_payloads


def _figure(key: str, name: str, payloads: list[bytes], rounds: int) -> Figure:
    models = profile_for("0.22").models()

    def ours() -> int:
        for _ in range(rounds):
            for data in payloads:
                decode_event(data, models)
        return rounds * len(payloads)

    def baseline() -> int:
        for _ in range(rounds):
            for data in payloads:
                json.loads(data)
        return rounds * len(payloads)

    return Figure(key, name, "payloads/s", best_rate(ours), best_rate(baseline), "json.loads to dicts",
                  ">= 0.7x", 0.7)


def run(quick: bool = False) -> list[Figure]:
    rounds = 2 if quick else 10
    stream = [p.encode("utf-8") for p in lifecycle_payloads()]
    distinct = [p.encode("utf-8") for p in vector_payloads()]
    return [_figure("B3", "decode: realistic stream to typed objects", stream, rounds),
            _figure("B3b", "decode: distinct random payloads", distinct, rounds)]
