"""The simulator's choices within Aurora's task lifecycle: what happens next, and when.

The rules themselves (which moves are allowed, which statuses time out,
flapping, messages) are facts in ``simulate_lifecycle``. Here: how likely each
outcome is, how long a task stays in a status, and the executor's messages.
Every function takes the random generator it draws from, so a seed decides
the whole run.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from .jobs import JobSpec
from .lifecycle import STOPPING_TO_RETURN, TIMED_OUT, TIMES_OUT

SECOND, MINUTE, HOUR = 1_000, 60_000, 3_600_000
TRANSIENT_TIMEOUT_MS = 5 * MINUTE  # how long a status that times out may last (Aurora's default)

Choices = tuple[tuple[str, int], ...]  # (next status, weight)

# (next status, weight) from each status the simulator moves on its own. "TIMEOUT" is LOST with
# "Task timed out" after TRANSIENT_TIMEOUT_MS, only in the statuses that time out.
_SERVICE_RUNNING: Choices = (("FAILED", 35), ("LOST", 15), ("RESTARTING", 20), ("DRAINING", 15), ("FINISHED", 10))
_BATCH_RUNNING: Choices = (("FINISHED", 85), ("FAILED", 12), ("LOST", 3))
_STOPPING: Choices = (("KILLED", 92), ("FINISHED", 3), ("TIMEOUT", 5))
_NEXT: Mapping[str, Choices] = {
    "THROTTLED": (("PENDING", 1),),
    "PENDING": (("ASSIGNED", 1),),
    "ASSIGNED": (("STARTING", 97), ("TIMEOUT", 3)),
    "STARTING": (("RUNNING", 92), ("FAILED", 5), ("LOST", 3)),
    "RESTARTING": _STOPPING, "DRAINING": _STOPPING, "PREEMPTING": _STOPPING,
    "KILLING": (("KILLED", 95), ("TIMEOUT", 5)),
}
_CRASH_LOOP_STARTING: Choices = (("RUNNING", 30), ("FAILED", 70))  # a job whose tasks keep failing at once
# With partition awareness: how often an agent goes out of reach, and what a partitioned task does.
_PARTITION_WEIGHT = {"ASSIGNED": 1, "STARTING": 2, "RUNNING": 8, "KILLING": 3,
                     "RESTARTING": 3, "DRAINING": 3, "PREEMPTING": 3}
_PARTITION_ENDS: Choices = (("BACK", 80), ("FINISHED", 6), ("FAILED", 7), ("KILLED", 7))


PREEMPT_CHANCE = 0.3  # a production task turning PENDING finds no room and preempts a task
PREEMPT_DELAY_MS = (50, 250)  # how soon the victim is told (the preemptor is still PENDING then)


def next_move(rng: random.Random, status: str, spec: JobSpec, *,
              partition_aware: bool = False) -> tuple[str, int, bool]:
    """(next status, ms until then, timed out) for a task that just entered ``status``.

    PREEMPTING is not chosen here (a production task waiting for room starts
    it), nor what a partitioned task being stopped does (the scheduler marks it
    LOST at once).
    """
    choices: Choices
    if status == "RUNNING":
        choices = _SERVICE_RUNNING if spec.is_service else _BATCH_RUNNING
    elif status == "STARTING" and spec.crash_loops:
        choices = _CRASH_LOOP_STARTING
    elif status == "PARTITIONED":
        choices = _PARTITION_ENDS
    else:
        choices = _NEXT[status]
    if partition_aware and status in _PARTITION_WEIGHT:
        choices = choices + (("PARTITIONED", _PARTITION_WEIGHT[status]),)
    new = rng.choices([choice[0] for choice in choices], [choice[1] for choice in choices])[0]
    if new == "TIMEOUT":
        assert status in TIMES_OUT
        return "LOST", TRANSIENT_TIMEOUT_MS, True
    return new, dwell_ms(rng, status, spec, new), False


def dwell_ms(rng: random.Random, status: str, spec: JobSpec, new: str) -> int:
    """How long a task stays in ``status`` before moving to ``new`` (THROTTLED: set by its penalty)."""
    if new == "PARTITIONED":
        return rng.randint(SECOND, 30 * MINUTE if status == "RUNNING" else 20 * SECOND)
    if status == "PENDING":
        return rng.randint(PREEMPT_DELAY_MS[1] + 50, 20 * SECOND)
    if status == "ASSIGNED":
        return rng.randint(200, 3 * SECOND)
    if status == "STARTING":
        return rng.randint(3 * SECOND, MINUTE)
    if status == "RUNNING":
        mean = 6 * HOUR if spec.is_service else 20 * MINUTE
        return max(30 * SECOND, int(rng.expovariate(1 / mean)))
    if status == "PARTITIONED":
        return rng.randint(10 * SECOND, 3 * MINUTE)
    return rng.randint(SECOND, 30 * SECOND)  # being stopped: below the transient timeout


def message(rng: random.Random, old: str, new: str, spec: JobSpec, timed_out: bool = False) -> str | None:
    """The message of the task event entering ``new`` on a move the task made on its own.

    The scheduler's own messages (kills, restarts, drains, preemption,
    reschedules, partitions) come from ``simulate_lifecycle``; the rest is what
    the executor or Mesos reported.
    """
    if timed_out:
        return TIMED_OUT
    if new == "STARTING":
        return "Initializing sandbox."
    if new == "RUNNING":
        return "Task is healthy" if spec.is_service else None
    if new == "FAILED":
        return f"Process 'run' exited with status {rng.choice((1, 2, 137))}"
    if new == "LOST":
        return "Agent lost"
    if new == "FINISHED":
        return "Task finished"
    if new == "KILLED" and old in STOPPING_TO_RETURN | {"KILLING"}:
        return "Task killed"
    return None
