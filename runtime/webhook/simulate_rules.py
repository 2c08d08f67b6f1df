"""Aurora's task lifecycle rules, and the simulator's choices within them.

The rules follow Aurora's task lifecycle as its documentation describes it:
which status may follow which, when a task counts a failure, when it is
rescheduled. They are written here as facts in our own form. The choices are the
simulator's: how likely each outcome is, how long a task stays in a status,
the audit messages. Every function takes the random generator it draws
from, so a seed decides the whole run.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from .simulate_jobs import JobSpec

# Aurora's task lifecycle: the statuses each status may move to (DELETED left out).
AURORA_TRANSITIONS: Mapping[str, frozenset[str]] = {
    "INIT": frozenset({"PENDING", "THROTTLED"}),
    "THROTTLED": frozenset({"PENDING", "KILLING"}),
    "PENDING": frozenset({"ASSIGNED", "KILLING"}),
    "ASSIGNED": frozenset({"STARTING", "RUNNING", "FINISHED", "FAILED", "RESTARTING", "DRAINING",
                           "KILLED", "KILLING", "LOST", "PREEMPTING"}),
    "STARTING": frozenset({"RUNNING", "FINISHED", "FAILED", "RESTARTING", "DRAINING", "KILLING",
                           "KILLED", "LOST", "PREEMPTING"}),
    "RUNNING": frozenset({"FINISHED", "RESTARTING", "DRAINING", "FAILED", "KILLING", "KILLED", "LOST",
                          "PREEMPTING"}),
    "PREEMPTING": frozenset({"FINISHED", "FAILED", "KILLING", "KILLED", "LOST"}),
    "RESTARTING": frozenset({"FINISHED", "FAILED", "KILLING", "KILLED", "LOST"}),
    "DRAINING": frozenset({"FINISHED", "FAILED", "KILLING", "KILLED", "LOST"}),
    "KILLING": frozenset({"FINISHED", "FAILED", "KILLED", "LOST"}),
    "FINISHED": frozenset(), "FAILED": frozenset(), "KILLED": frozenset(), "LOST": frozenset(),
}
TERMINAL = frozenset({"FINISHED", "FAILED", "KILLED", "LOST"})
WINDING_DOWN = frozenset({"RESTARTING", "DRAINING", "PREEMPTING"})  # the scheduler asked it to stop
FLAPPING_THRESHOLD_MS = 5 * 60_000  # ran shorter than this before failing: penalised when rescheduled
SECOND, MINUTE, HOUR = 1_000, 60_000, 3_600_000

# (next status, weight) from each status the simulator moves on its own.
_SERVICE_RUNNING = (("FAILED", 35), ("LOST", 15), ("RESTARTING", 20), ("DRAINING", 15),
                    ("PREEMPTING", 5), ("FINISHED", 10))
_BATCH_RUNNING = (("FINISHED", 85), ("FAILED", 12), ("LOST", 3))
_NEXT: Mapping[str, tuple[tuple[str, int], ...]] = {
    "THROTTLED": (("PENDING", 1),),
    "PENDING": (("ASSIGNED", 1),),
    "ASSIGNED": (("STARTING", 97), ("LOST", 3)),
    "STARTING": (("RUNNING", 92), ("FAILED", 5), ("LOST", 3)),
    "RESTARTING": (("KILLED", 94), ("FINISHED", 3), ("LOST", 3)),
    "DRAINING": (("KILLED", 94), ("FINISHED", 3), ("LOST", 3)),
    "PREEMPTING": (("KILLED", 94), ("FINISHED", 3), ("LOST", 3)),
    "KILLING": (("KILLED", 95), ("LOST", 5)),
}


def next_status(rng: random.Random, status: str, spec: JobSpec) -> str | None:
    """The status a task in ``status`` moves to next, or None if it stays (terminal)."""
    choices = _NEXT.get(status)
    if status == "RUNNING":
        choices = _SERVICE_RUNNING if spec.is_service else _BATCH_RUNNING
        if spec.production:  # production tasks are not preempted
            choices = tuple(choice for choice in choices if choice[0] != "PREEMPTING")
    if not choices:
        return None
    return rng.choices([choice[0] for choice in choices], [choice[1] for choice in choices])[0]


def counts_failure(old: str, new: str) -> bool:
    """Whether ``old`` -> ``new`` adds INCREMENT_FAILURES (a task failing on its own)."""
    return new == "FAILED" and old not in WINDING_DOWN and old != "KILLING"


def reschedules(old: str, new: str, spec: JobSpec, failures_before: int) -> bool:
    """Whether Aurora's state machine adds RESCHEDULE for ``old`` -> ``new`` (a terminal status)."""
    if old == "KILLING":  # killed on purpose
        return False
    if old in WINDING_DOWN:  # restarted, drained or preempted: always comes back
        return True
    if new == "FINISHED":
        return spec.is_service
    if new == "FAILED":  # maxTaskFailures counts for batch jobs only; -1 is no limit
        limit = spec.max_task_failures
        return spec.is_service or limit == -1 or failures_before < limit - 1
    return True  # KILLED or LOST


def flap_penalty(rng: random.Random, new: str, ran_for_ms: int | None, failures: int) -> int:
    """Milliseconds a rescheduled task stays THROTTLED: its ancestor failed or was lost too soon."""
    if new not in ("FAILED", "LOST"):
        return 0
    if ran_for_ms is not None and ran_for_ms >= FLAPPING_THRESHOLD_MS:
        return 0
    return min(10 * MINUTE, 30 * SECOND * (1 << min(failures, 5))) + rng.randint(0, 999)


def message(rng: random.Random, old: str, new: str, spec: JobSpec) -> str | None:
    """The audit message Aurora (or the executor) attached to entering ``new``, if any."""
    if new == "STARTING":
        return "Initializing sandbox."
    if new == "RUNNING":
        return "Task is healthy" if spec.is_service else None
    if new == "FAILED":
        return f"Process 'run' exited with status {rng.choice((1, 2, 137))}"
    if new == "LOST":
        return f"Task timed out in {old}" if old in ("ASSIGNED", "STARTING") else "Agent lost"
    if new == "KILLING":
        return f"Killed by {spec.role}"
    if new == "RESTARTING":
        return f"Restarted by {spec.role}"
    if new == "DRAINING":
        return "Draining machine for maintenance"
    if new == "PREEMPTING":
        return "Preempting in favor of a production task"
    if new == "FINISHED":
        return "Task finished"
    return None


def dwell_ms(rng: random.Random, status: str, spec: JobSpec, penalty_ms: int = 0) -> int:
    """How long a task stays in ``status`` before its next move (THROTTLED: its penalty)."""
    if status == "THROTTLED":
        return penalty_ms
    if status == "PENDING":
        return rng.randint(300, 20 * SECOND)
    if status == "ASSIGNED":
        return rng.randint(200, 3 * SECOND)
    if status == "STARTING":
        return rng.randint(3 * SECOND, MINUTE)
    if status == "RUNNING":
        mean = 6 * HOUR if spec.is_service else 20 * MINUTE
        return max(30 * SECOND, int(rng.expovariate(1 / mean)))
    return rng.randint(SECOND, 30 * SECOND)  # stopping: RESTARTING, DRAINING, PREEMPTING, KILLING
