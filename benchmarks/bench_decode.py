"""B3: payload bytes to typed objects, against json.loads of the same bytes to dicts."""

from __future__ import annotations

import json

from aurorakit.runtime.event import decode_event
from aurorakit.runtime.profiles import profile_for

from .common import Figure, best_rate
from .data import lifecycle_payloads


def run(quick: bool = False) -> Figure:
    payloads = [p.encode("utf-8") for p in lifecycle_payloads()]
    models = profile_for("0.22").models()
    rounds = 2 if quick else 10

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

    return Figure("B3", "decode: payload bytes to typed objects", "payloads/s",
                  best_rate(ours), best_rate(baseline), "json.loads to dicts", ">= 0.7x", 0.7)
