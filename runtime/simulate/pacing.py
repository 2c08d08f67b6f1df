"""Feeding a simulator's posted events to a consumer at a rate, until a limit."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..aurora.event import TaskStateChange
from .simulator import Simulator


@dataclass(frozen=True)
class PacedRun:
    posted: int
    interrupted: bool  # Ctrl-C (or SIGTERM turned into it) ended the run


def paced_run(simulator: Simulator, put: Callable[[TaskStateChange], None], *, rate: float = 0.0,
              max_events: int | None = None, duration: float | None = None,
              on_post: Callable[[], None] | None = None,
              clock: Callable[[], float] = time.monotonic,
              sleep: Callable[[float], None] = time.sleep) -> PacedRun:
    """Give ``put`` each event the simulated release posts, ``rate`` a second (0: at once).

    Ends when the simulation does, after ``max_events`` posted events, or
    once ``duration`` seconds have passed; event ``n`` is put no sooner than
    ``n / rate`` seconds after the start. ``on_post`` is called after each.
    """
    started = clock()
    posted = 0
    try:
        for event in simulator.transitions():
            if duration is not None and clock() - started >= duration:
                break
            if not simulator.posts(event):
                continue
            if rate:
                wait = started + posted / rate - clock()
                if wait > 0:
                    sleep(wait)
            put(event)
            posted += 1
            if on_post is not None:
                on_post()
            if max_events is not None and posted >= max_events:
                break
    except KeyboardInterrupt:
        return PacedRun(posted, True)
    return PacedRun(posted, False)
