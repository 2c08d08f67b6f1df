"""Aurora's task lifecycle as facts: what a scheduler of a release may do to a task.

Written from section 4 (and section 1) of the behaviour doc and Aurora's
documented task lifecycle, in our own form: a handful of statements about
groups of statuses, from which the table of allowed moves is built. The
simulator's choices within these rules (how likely, how long) are in
``simulate_rules``.

The statements:

1. A new task is saved as INIT and moves to PENDING, or to THROTTLED when it
   replaces a flapping task.
2. A THROTTLED task moves to PENDING when its penalty is over; a PENDING task
   is ASSIGNED to an agent. Killing either deletes it (KILLING, no event).
3. A task on an agent (ASSIGNED, STARTING, RUNNING) moves forward (ASSIGNED to
   STARTING or straight to RUNNING, STARTING to RUNNING), may end in any
   terminal status, and may be asked to stop: KILLING, or RESTARTING,
   DRAINING, PREEMPTING (stopped to come back).
4. A task asked to stop to come back ends in any terminal status, or is killed.
5. A KILLING task ends in any terminal status.
6. FINISHED, FAILED, KILLED and LOST are final.
7. From 0.20, with partition awareness (off by default): a task on an agent or
   being stopped becomes PARTITIONED when its agent is out of reach, and
   leaves it for the status it had (the agent is back), a terminal status, or
   LOST.
8. A task that ends is rescheduled (replaced by a new task of the same
   instance) unless it was being killed; a task stopped to come back always
   is; a FINISHED task only for a service; a FAILED one for a service, or for
   a batch job while it has failures left (``maxTaskFailures``, -1 for no
   limit); KILLED and LOST ones always. Failing on its own (not while being
   stopped) counts one more failure first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

TERMINAL = frozenset({"FINISHED", "FAILED", "KILLED", "LOST"})
WAITING = frozenset({"THROTTLED", "PENDING"})  # not on an agent yet
ON_AGENT = frozenset({"ASSIGNED", "STARTING", "RUNNING"})
STOPPING_TO_RETURN = frozenset({"RESTARTING", "DRAINING", "PREEMPTING"})
FORWARD: Mapping[str, frozenset[str]] = {"ASSIGNED": frozenset({"STARTING", "RUNNING"}),
                                         "STARTING": frozenset({"RUNNING"}), "RUNNING": frozenset()}
PARTITIONABLE = ON_AGENT | STOPPING_TO_RETURN | {"KILLING"}
PARTITION_MIN_MINOR = 20  # PARTITIONED exists from 0.20 (group E)

# The statuses a task ever in them is never called flapping (it was stopped on purpose).
INTERRUPTED = frozenset({"RESTARTING", "KILLING", "DRAINING"})
# The statuses that time out (Aurora's transient states; STARTING is not one of them).
TIMES_OUT = frozenset({"ASSIGNED", "PREEMPTING", "RESTARTING", "KILLING", "DRAINING"})


def _build(partition_aware: bool) -> Mapping[str, frozenset[str]]:
    stop = frozenset({"KILLING"}) | STOPPING_TO_RETURN
    table: dict[str, frozenset[str]] = {
        "INIT": WAITING,                                                    # 1
        "THROTTLED": frozenset({"PENDING", "KILLING"}),                     # 2
        "PENDING": frozenset({"ASSIGNED", "KILLING"}),                      # 2
        **{status: FORWARD[status] | TERMINAL | stop for status in ON_AGENT},   # 3
        **{status: TERMINAL | {"KILLING"} for status in STOPPING_TO_RETURN},    # 4
        "KILLING": TERMINAL,                                                # 5
        **{status: frozenset() for status in TERMINAL},                    # 6
    }
    if partition_aware:                                                     # 7
        for status in PARTITIONABLE:
            table[status] = table[status] | {"PARTITIONED"}
        table["PARTITIONED"] = PARTITIONABLE | TERMINAL
    return table


LIFECYCLE = _build(partition_aware=False)  # 0.14 to 0.22 as run by default
LIFECYCLE_PARTITION_AWARE = _build(partition_aware=True)  # 0.20+ with partition awareness


def transitions(partition_aware: bool = False) -> Mapping[str, frozenset[str]]:
    """The statuses each status may move to (a PENDING/THROTTLED task killed is deleted, unannounced)."""
    return LIFECYCLE_PARTITION_AWARE if partition_aware else LIFECYCLE


def counts_failure(before: str, new: str) -> bool:
    """Whether ending ``before`` -> ``new`` adds one to ``failureCount`` (statement 8)."""
    return new == "FAILED" and before not in STOPPING_TO_RETURN and before != "KILLING"


def reschedules(before: str, new: str, is_service: bool, max_task_failures: int, failures_before: int) -> bool:
    """Whether ending ``before`` -> ``new`` makes a replacement (statement 8).

    ``before`` is the status the task had before its final one (before
    PARTITIONED, if it was partitioned); ``failures_before`` its
    ``failureCount`` before this move.
    """
    if before == "KILLING":
        return False
    if before in STOPPING_TO_RETURN:
        return True
    if new == "FINISHED":
        return is_service
    if new == "FAILED":
        return is_service or max_task_failures == -1 or failures_before < max_task_failures - 1
    return True  # KILLED (not while KILLING) or LOST


# -- messages the scheduler writes into task events -----------------------------------------
RESCHEDULED = "Rescheduled"
TIMED_OUT = "Task timed out"
DRAINING_MESSAGE = "Draining machine for maintenance."
PARTITION_LOST = "Action performed on partitioned task, marking as LOST."


def rescheduled_message(penalty_ms: int) -> str:
    return f"Rescheduled, penalized for {penalty_ms} ms for flapping" if penalty_ms else RESCHEDULED


def preempting_message(task_id: str) -> str:
    return f"Preempting in favor of {task_id}"


def killed_message(user: str) -> str:
    return f"Killed by {user}"


def restarted_message(user: str) -> str:
    return f"Restarted by {user}"


# -- flapping --------------------------------------------------------------------------------
FLAPPING_THRESHOLD_MS = 5 * 60_000  # ended sooner than this after its last active status
INITIAL_PENALTY_MS = 30_000
MAX_PENALTY_MS = 5 * 60_000  # before jitter, which adds up to as much again


def is_flapping(statuses: list[str], timestamps: list[int]) -> bool:
    """Whether a terminal task (its task events' statuses and timestamps) was flapping.

    It was, when it ended less than 5 minutes after its last active
    (non-terminal) status and was never RESTARTING, KILLING or DRAINING,
    whatever its final status.
    """
    if INTERRUPTED.intersection(statuses) or len(statuses) < 2 or statuses[-1] not in TERMINAL:
        return False
    active = [at for status, at in zip(statuses, timestamps) if status not in TERMINAL]
    return bool(active) and timestamps[-1] - active[-1] < FLAPPING_THRESHOLD_MS


def base_penalty_ms(flapping_ancestors: int) -> int:
    """The penalty before jitter for a replacement with that many consecutive flapping ancestors (>= 1).

    30 s for the first, doubling with each further one (truncated binary
    backoff), at most 5 minutes.
    """
    if flapping_ancestors < 1:
        return 0
    return min(MAX_PENALTY_MS, INITIAL_PENALTY_MS << min(flapping_ancestors - 1, 16))


# -- names -----------------------------------------------------------------------------------
_NOT_IN_TASK_ID = re.compile(r"[^A-Za-z0-9_\-]")


def task_id(role: str, environment: str, name: str, instance: int, uuid: str) -> str:
    """``<role>-<environment>-<name>-<instanceId>-<uuid>``, any other character replaced by ``-``.

    "Other" than word characters and ``-``: the one character of the name
    alphabet this changes is ``.`` (``hello.world`` gives ``...-hello-world-...``).
    """
    return _NOT_IN_TASK_ID.sub("-", f"{role}-{environment}-{name}-{instance}-{uuid}")
