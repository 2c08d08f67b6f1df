"""Every event sequence the simulator makes obeys Aurora's rules, over many seeds.

The rules below are written by hand from sections 1 and 4 of
``../shared/docs/aurora-webhook-behaviour.md`` and Aurora's documented task
lifecycle; nothing is taken from the simulator's own tables, so a wrong rule
on either side shows up. Each stream checked is ``transitions()`` (every
event, startup events included, in posting order); which of them a release
posts is checked in ``test_simulate.py``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aurorakit.runtime.aurora.event import TaskStateChange
from aurorakit.runtime.simulate.simulator import SimulationError, Simulator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TERMINAL = {"FINISHED", "FAILED", "KILLED", "LOST"}
# Aurora's task lifecycle without partition awareness (0.14 to 0.22 by default).
LEGAL = {
    "INIT": {"PENDING", "THROTTLED"},
    "THROTTLED": {"PENDING", "KILLING"},
    "PENDING": {"ASSIGNED", "KILLING"},
    "ASSIGNED": {"STARTING", "RUNNING", "FINISHED", "FAILED", "KILLED", "LOST", "KILLING", "RESTARTING",
                 "DRAINING", "PREEMPTING"},
    "STARTING": {"RUNNING", "FINISHED", "FAILED", "KILLED", "LOST", "KILLING", "RESTARTING", "DRAINING",
                 "PREEMPTING"},
    "RUNNING": {"FINISHED", "FAILED", "KILLED", "LOST", "KILLING", "RESTARTING", "DRAINING", "PREEMPTING"},
    "RESTARTING": {"FINISHED", "FAILED", "KILLED", "LOST", "KILLING"},
    "DRAINING": {"FINISHED", "FAILED", "KILLED", "LOST", "KILLING"},
    "PREEMPTING": {"FINISHED", "FAILED", "KILLED", "LOST", "KILLING"},
    "KILLING": {"FINISHED", "FAILED", "KILLED", "LOST"},
    "FINISHED": set(), "FAILED": set(), "KILLED": set(), "LOST": set(),
}
# With partition awareness (0.20 and later, when asked): in and out of PARTITIONED.
ON_AGENT_OR_STOPPING = {"ASSIGNED", "STARTING", "RUNNING", "KILLING", "RESTARTING", "DRAINING", "PREEMPTING"}
LEGAL_PARTITION_AWARE = {status: targets | ({"PARTITIONED"} if status in ON_AGENT_OR_STOPPING else set())
                         for status, targets in LEGAL.items()}
LEGAL_PARTITION_AWARE["PARTITIONED"] = ON_AGENT_OR_STOPPING | TERMINAL
TIMES_OUT = {"ASSIGNED", "PREEMPTING", "RESTARTING", "KILLING", "DRAINING"}
NEVER_FLAPPING_AFTER = {"RESTARTING", "KILLING", "DRAINING"}
FLAPPING_MS = 5 * 60_000
PENALTY_BASE_MS = {1: 30_000, 2: 60_000, 3: 120_000, 4: 240_000}  # 5 and more consecutive: 5 minutes
NAME = re.compile(r"[A-Za-z0-9_.\-]+")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
PENALIZED = re.compile(r"Rescheduled, penalized for (\d+) ms for flapping")
PREEMPTING = re.compile(r"Preempting in favor of (\S+)")
PARTITION_LOST = "Action performed on partitioned task, marking as LOST."


def statuses(task: Any) -> list[str]:
    return [e.status.name for e in task.taskEvents]


def flapping(task: Any) -> bool:
    """Ended less than 5 minutes after its last active status, never RESTARTING/KILLING/DRAINING."""
    names = statuses(task)
    if NEVER_FLAPPING_AFTER & set(names):
        return False
    active = [e.timestamp for e in task.taskEvents if e.status.name not in TERMINAL]
    return task.taskEvents[-1].timestamp - active[-1] < FLAPPING_MS


@dataclass
class Seen:
    """What the rules were exercised on, summed over runs (so a test can show they were)."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] += n


class Checker:
    """Feed it one stream in posting order; it asserts each rule as the events come."""

    def __init__(self, *, partition_aware: bool, complete_history: bool, seen: Seen) -> None:
        self.legal = LEGAL_PARTITION_AWARE if partition_aware else LEGAL
        self.complete_history = complete_history
        self.seen = seen
        self.latest: dict[str, Any] = {}  # task id -> its newest snapshot (most task events)
        self.lengths: dict[str, set[int]] = {}  # task id -> taskEvents lengths of its transition events
        self.ended: dict[str, Any] = {}  # task id -> its final snapshot
        self.chain: dict[str, int] = {}  # task id -> consecutive flapping ancestors
        self.penalty: dict[str, int] = {}  # THROTTLED task id -> its penalty
        self.waiting_ancestor: dict[str, tuple[int, Any]] = {}  # ancestor id -> (index, replacement's task)
        self.waiting_partition: dict[tuple[str, int], int] = {}  # (task id, length) of X -> PARTITIONED due
        self.burst: list[Any] = []
        self.index = 0

    def feed(self, events: Iterable[TaskStateChange], *, cut: bool = False) -> None:
        """``cut``: the stream was cut off, maybe between events the scheduler posted together."""
        for self.index, event in enumerate(events):
            old = None if event.old_state is None else event.old_state.name
            if old is None:  # a scheduler start; one straight after another shows as a task seen again
                if any(t.assignedTask.taskId == event.task.assignedTask.taskId for t in self.burst):
                    self._end_burst()
                self.burst.append(event.task)
                continue
            self._end_burst()
            self._transition(old, event)
        self._end_burst()
        if cut:
            return
        assert not self.waiting_ancestor, f"replacements whose ancestor never ended: {list(self.waiting_ancestor)}"
        assert not self.waiting_partition, f"PARTITIONED -> LOST without X -> PARTITIONED: {self.waiting_partition}"
        for tid, lengths in self.lengths.items():
            assert sorted(lengths) == list(range(min(lengths), max(lengths) + 1)), f"{tid}: a change not posted once"
            if tid in self.ended:
                assert len(self.ended[tid].taskEvents) == max(lengths), f"{tid} moved after it ended"

    # -- startup events -------------------------------------------------------------------
    def _end_burst(self) -> None:
        if not self.burst:
            return
        tasks, self.burst = self.burst, []
        self.seen.add("startup bursts")
        ids = [t.assignedTask.taskId for t in tasks]
        stamps = [t.taskEvents[-1].timestamp for t in tasks]
        assert stamps == sorted(stamps), "startup events not ordered by latest task event, oldest first"
        first = not self.latest
        for task in tasks:
            self._names(task)
            tid = task.assignedTask.taskId
            if not first:
                assert tid in self.latest, f"{tid} appears first at a later scheduler start"
                assert task == self.latest[tid], f"{tid}: stored task differs from its last posted state"
            self.latest[tid] = task
            if task.status.name in TERMINAL:
                self.seen.add("terminal tasks at startup")
                self.ended.setdefault(tid, task)
            if first and task.ancestorId is not None:
                ancestor = self.latest.get(task.ancestorId)
                self.chain[tid] = 0 if ancestor is None or not flapping(ancestor) else 1
        if self.complete_history:  # every stored task: the ended, and all that are not waiting to be deleted
            stored = {tid for tid, t in self.latest.items() if t.status.name not in ("PENDING", "THROTTLED")}
            missing = stored - set(ids)
            assert not missing, f"tasks in storage without a startup event: {sorted(missing)[:3]}"

    # -- transitions ----------------------------------------------------------------------
    def _transition(self, old: str, event: TaskStateChange) -> None:
        task, new = event.task, event.new_state.name
        tid, names, n = task.assignedTask.taskId, statuses(task), len(task.taskEvents)
        self._names(task)
        assert task.status.name == new == names[-1]
        stamps = [e.timestamp for e in task.taskEvents]
        assert all(a < b for a, b in itertools.pairwise(stamps)), f"{tid}: timestamps {stamps}"
        assert all(e.scheduler == "aurora" for e in task.taskEvents)
        assert new in self.legal[old], f"{tid}: {old} -> {new} is not a move Aurora makes"
        assert not (old in ("PENDING", "THROTTLED") and new == "KILLING"), "killing a waiting task posts nothing"
        self._message_left_out_when_null(event)
        if old == "INIT":
            assert n == 1 and tid not in self.latest, f"{tid} created twice"
            self._created(task)
        else:
            assert names[-2] == old, f"{tid}: event says {old} -> {new}, task events say {names[-2]}"
            assert tid in self.latest, f"{tid} moves before it was created"
        lengths = self.lengths.setdefault(tid, set())
        assert n not in lengths, f"{tid}: the same change posted twice"
        lengths.add(n)
        if n >= len(self.latest.get(tid, task).taskEvents):
            self.latest[tid] = task
        self._agent(task)
        self._messages(old, new, task)
        if old == "THROTTLED":
            assert stamps[-1] - stamps[-2] == self.penalty[tid], f"{tid} left THROTTLED before its penalty"
        if new == "PARTITIONED":
            self.seen.add("partitioned")
            self.waiting_partition.pop((tid, n), None)
        if old == "PARTITIONED" and new == "LOST":
            self.seen.add("partitioned -> lost")
            assert task.taskEvents[-1].message == PARTITION_LOST
            self.waiting_partition[(tid, n - 1)] = self.index  # X -> PARTITIONED must still come
        if new in TERMINAL:
            assert tid not in self.ended, f"{tid} ended twice"
            self.ended[tid] = task
            self._ancestor_ended(task)

    def _created(self, task: Any) -> None:
        tid, first = task.assignedTask.taskId, task.taskEvents[0]
        assert task.assignedTask.slaveHost is None and task.assignedTask.slaveId is None
        assert not task.assignedTask.assignedPorts
        if task.ancestorId is None:  # a new task: INIT -> PENDING, one PENDING event without a message
            assert task.status.name == "PENDING" and first.message is None and task.failureCount == 0
            self.chain[tid] = 0
            self.seen.add("new tasks")
            return
        assert task.ancestorId != tid and task.ancestorId not in self.ended, "posted after the ancestor's end"
        self.waiting_ancestor[task.ancestorId] = (self.index, task)
        if task.status.name == "PENDING":
            assert first.message == "Rescheduled"
        else:
            found = PENALIZED.fullmatch(first.message or "")
            assert found and int(found.group(1)) > 0, first.message
            self.penalty[tid] = int(found.group(1))

    def _ancestor_ended(self, ancestor: Any) -> None:
        waiting = self.waiting_ancestor.pop(ancestor.assignedTask.taskId, None)
        if waiting is None:
            return
        index, task = waiting
        self.seen.add("reschedules")
        assert index < self.index  # the replacement's first event came before the ancestor's final one
        assert task.failureCount == ancestor.failureCount, "failureCount not carried over"
        assert task.assignedTask.instanceId == ancestor.assignedTask.instanceId
        assert task.assignedTask.task.job == ancestor.assignedTask.task.job
        tid = task.assignedTask.taskId
        if flapping(ancestor):
            chain = self.chain.get(ancestor.assignedTask.taskId, 0) + 1
            base = PENALTY_BASE_MS.get(chain, 300_000)
            assert task.status.name == "THROTTLED", f"{tid}: its ancestor was flapping"
            assert base <= self.penalty[tid] <= 2 * base, f"{tid}: penalty {self.penalty[tid]} for {chain} flaps"
            self.seen.add("throttled")
            self.seen.add(f"throttled after {min(chain, 5)} flapping")
        else:
            chain = 0
            assert task.status.name == "PENDING", f"{tid} THROTTLED though its ancestor was not flapping"
        self.chain[tid] = chain

    # -- fields and messages ---------------------------------------------------------------
    def _names(self, task: Any) -> None:
        job, assigned = task.assignedTask.task.job, task.assignedTask
        for part in (job.role, job.environment, job.name):
            assert NAME.fullmatch(part), f"{part!r} is not an Aurora name"
        prefix = f"{job.role}-{job.environment}-{job.name}-{assigned.instanceId}-".replace(".", "-")
        tid = assigned.taskId
        assert tid.startswith(prefix) and UUID.fullmatch(tid[len(prefix):]), tid
        if "." in job.name:
            self.seen.add("dotted names")

    def _agent(self, task: Any) -> None:
        assigned = task.assignedTask
        if "ASSIGNED" in statuses(task):
            ports = {r.field_value for r in assigned.task.resources if r.set_field == "namedPort"}
            assert assigned.slaveHost and assigned.slaveId and set(assigned.assignedPorts) == ports
            assert len(set(assigned.assignedPorts.values())) == len(ports)
        else:
            assert assigned.slaveHost is None and assigned.slaveId is None and not assigned.assignedPorts

    def _messages(self, old: str, new: str, task: Any) -> None:
        note = task.taskEvents[-1].message
        if note == "Task timed out":
            assert new == "LOST" and old in TIMES_OUT, f"timed out from {old}"
            self.seen.add(f"timeout from {old}")
        if new == "DRAINING":
            assert note == "Draining machine for maintenance."
        if new == "RESTARTING":
            assert note and re.fullmatch(r"Restarted by \S+", note), note
        if new == "KILLING":
            assert note and re.fullmatch(r"Killed by \S+", note), note
            self.seen.add("kills")
        if new == "PREEMPTING":
            found = PREEMPTING.fullmatch(note or "")
            assert found, note
            preemptor = self.latest.get(found.group(1))
            assert preemptor is not None and preemptor.status.name == "PENDING", "preempting for no waiting task"
            assert preemptor.assignedTask.task.production and not task.assignedTask.task.production
            self.seen.add("preemptions")

    def _message_left_out_when_null(self, event: TaskStateChange) -> None:
        written = json.loads(event.encode())["task"]["taskEvents"]
        for model, tree in zip(event.task.taskEvents, written):
            assert ("message" in tree) == (model.message is not None)
            assert set(tree) <= {"cachedHashCode", "timestamp", "status", "message", "scheduler"}


def check(sims: Iterable[Simulator], *, partition_aware: bool = False, complete_history: bool = True,
          limit: int | None = None) -> Seen:
    seen = Seen()
    for sim in sims:
        checker = Checker(partition_aware=partition_aware, complete_history=complete_history, seen=seen)
        checker.feed(itertools.islice(sim.transitions(), limit), cut=limit is not None)
        if limit is None:  # the run ended: nothing alive but the deleted
            left = Counter(t.status.name for tid, t in checker.latest.items() if tid not in checker.ended)
            assert set(left) <= {"PENDING", "THROTTLED"}, left
            seen.add("deleted unannounced", sum(left.values()))
    return seen


SEEDS = range(12)


def test_0_14_runs_obey_every_rule_startup_events_included() -> None:
    seen = check(Simulator(8, 3, "0.14", seed, renew_jobs=False, history=10**6) for seed in SEEDS)
    for what in ("startup bursts", "terminal tasks at startup", "reschedules", "throttled",
                 "throttled after 2 flapping", "kills", "preemptions", "deleted unannounced", "dotted names",
                 "timeout from ASSIGNED", "timeout from KILLING", "timeout from RESTARTING",
                 "timeout from DRAINING"):
        assert seen.counts[what] > 0, f"never exercised: {what} ({seen.counts})"
    assert seen.counts["startup bursts"] > len(SEEDS)  # failovers start the scheduler again
    assert seen.counts["partitioned"] == 0


def test_0_22_partition_aware_runs_obey_every_rule() -> None:
    seen = check((Simulator(8, 3, "0.22", seed, renew_jobs=False, partition_aware=True, history=10**6)
                  for seed in SEEDS), partition_aware=True)
    for what in ("partitioned", "partitioned -> lost", "reschedules", "throttled", "preemptions",
                 "timeout from ASSIGNED", "timeout from PREEMPTING"):
        assert seen.counts[what] > 0, f"never exercised: {what} ({seen.counts})"


def test_endless_streams_with_pruned_history_obey_every_rule() -> None:
    seen = check((Simulator(10, 4, version, seed) for version in ("0.14", "0.22") for seed in range(3)),
                 complete_history=False, limit=4000)
    assert seen.counts["new tasks"] > 0  # jobs ended and new ones came
    assert seen.counts["throttled after 3 flapping"] + seen.counts["throttled after 4 flapping"] > 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**63), jobs=st.integers(1, 6), instances=st.integers(1, 4),
       release=st.sampled_from(["0.14", "0.16", "0.19", "0.22", "0.22 partition-aware"]),
       failover_hours=st.sampled_from([0, 1, 6]))
def test_any_seed_and_size_obeys_every_rule(seed: int, jobs: int, instances: int, release: str,
                                            failover_hours: int) -> None:
    from aurorakit.generated import aurora_0_14, aurora_0_22

    version, _, aware = release.partition(" ")
    models = aurora_0_14 if version in ("0.14", "0.16") else aurora_0_22
    sim = Simulator(jobs, instances, version, seed, models=models, renew_jobs=False, history=10**6,
                    partition_aware=bool(aware), failover_every_ms=failover_hours * 3_600_000)
    check([sim], partition_aware=bool(aware))


def test_the_simulators_tables_are_these() -> None:
    from aurorakit.runtime.simulate.lifecycle import TIMES_OUT as SIMULATED_TIMEOUTS
    from aurorakit.runtime.simulate.lifecycle import transitions

    assert {status: set(targets) for status, targets in transitions().items()} == LEGAL
    assert {status: set(targets) for status, targets in transitions(partition_aware=True).items()} == \
        LEGAL_PARTITION_AWARE
    assert SIMULATED_TIMEOUTS == TIMES_OUT


def test_partitioned_is_off_by_default() -> None:
    seen = check(Simulator(8, 3, "0.22", seed, renew_jobs=False, history=10**6) for seed in range(4))
    assert seen.counts["partitioned"] == 0 and seen.counts["reschedules"] > 0


@pytest.mark.parametrize("version", ["0.14", "0.19"])
def test_partition_awareness_needs_0_20(version: str) -> None:
    from aurorakit.generated import aurora_0_22
    with pytest.raises(SimulationError, match="PARTITIONED"):
        Simulator(1, 1, version, models=aurora_0_22, partition_aware=True)


def test_the_checker_catches_a_wrong_order() -> None:
    """The posting-order rule can fail: the same stream with a replacement moved after its ancestor's end."""
    events = list(Simulator(6, 2, "0.22", 4, renew_jobs=False, history=10**6).transitions())
    at = next(i for i, e in enumerate(events) if e.old_state is not None and e.old_state.name == "INIT"
              and e.task.ancestorId is not None)
    events.insert(at + 2, events.pop(at))  # now after the ancestor's final event
    with pytest.raises(AssertionError, match="ancestor"):
        Checker(partition_aware=False, complete_history=True, seen=Seen()).feed(events)
