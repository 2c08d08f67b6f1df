"""A simulated Aurora scheduler: realistic tasks through Aurora's task state machine.

``Simulator(jobs, instances, profile, seed).events()`` yields the
``TaskStateChange`` events an Aurora scheduler of that release would have
posted to its webhook, in time order, deterministically for a seed.

What is simulated
    The scheduler has just started (a failover): every job's tasks are in
    storage, most PENDING, some already RUNNING with their history. Aurora
    0.14/0.15 posted one event per task at that point, with ``oldState``
    absent (:meth:`Profile.posts` drops them for later releases). Then tasks
    move through Aurora's task lifecycle (``simulate_rules.AURORA_TRANSITIONS``):
    PENDING -> ASSIGNED (an agent, ``slaveId``, ``slaveHost`` and a port for
    each named port) -> STARTING -> RUNNING, then FINISHED, FAILED or LOST,
    or RESTARTING / DRAINING / PREEMPTING -> KILLED; a job's end (its user
    kills it) sends active tasks through KILLING -> KILLED and deletes
    PENDING ones without an event, as Aurora does.
Reschedules
    Where Aurora reschedules (a service that ended, a FAILED task under its
    ``maxTaskFailures``, LOST, KILLED other than by KILLING, anything after
    RESTARTING/DRAINING/PREEMPTING), a new task is made: new ``taskId``,
    ``ancestorId`` the old one, ``failureCount`` carried over (FAILED counts
    one more first), no host, ports or events, INIT -> PENDING
    ("Rescheduled"), or INIT -> THROTTLED when the ancestor was flapping.
Hashes
    All instances of a job share one ``TaskConfig``; each event hashes it
    (policy ``taskconfig``) with :attr:`Simulator.identity`, the identity
    table of this one simulated scheduler process. Sets of two or more hash
    their elements when built, which happens under that table too.
Memory
    Only live tasks and live jobs are kept; a finished task is dropped, and
    with ``renew_jobs`` (the default) a job that ends is replaced by a new
    one, so the stream never ends and memory stays bounded.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ..event import TaskStateChange
from ..identity import IdentityTable, arm_constant, arm_key, default_identity, use_identity
from ..profiles import Profile, profile_for
from ..struct import ThriftUnion

from .simulate_jobs import JobSpec, make_task_config, random_job
from .simulate_rules import (AURORA_TRANSITIONS, HOUR, MINUTE, SECOND, TERMINAL, counts_failure, dwell_ms,
                             flap_penalty, message, next_status, reschedules)

__all__ = ["AURORA_TRANSITIONS", "DEFAULT_START_MS", "SimulationStats", "Simulator", "scheduler_identity"]

DEFAULT_START_MS = 1_500_000_000_000  # simulated clock start (2017-07-14), so runs repeat exactly


def scheduler_identity(models: ModuleType, given: IdentityTable | None = None) -> IdentityTable:
    """One scheduler process's identity table, with an explicit entry for every constant.

    Entries of ``given`` are kept; every other enum constant and union arm of
    ``models`` gets the documented default. Being explicit (not "defaulted"),
    the entries are saved with the table and used by ``verify``.
    """
    known = given.known() if given is not None else {}
    table = IdentityTable(known)
    for value in vars(models).values():
        if isinstance(value, type) and issubclass(value, enum.Enum):
            keys = [f"{value.__name__}.{member.name}" for member in value]
        elif isinstance(value, type) and issubclass(value, ThriftUnion) and value is not ThriftUnion:
            keys = [arm_key(value.__name__, arm_constant(spec.name)) for spec in value._fields]
        else:
            continue
        for key in keys:
            if key not in known:
                table.set(key, default_identity(key))
    return table


@dataclass
class SimulationStats:
    transitions: int = 0  # state changes, posted or not (initial events included)
    tasks: int = 0
    jobs_started: int = 0
    jobs_ended: int = 0


@dataclass(eq=False)
class _Job:
    spec: JobSpec
    config: Any  # the TaskConfig all instances share
    live: dict[int, _LiveTask] = field(default_factory=dict)  # instance id -> its current task
    killed: bool = False


@dataclass(eq=False)
class _LiveTask:
    job: _Job
    task: Any  # ScheduledTask
    last_ms: int  # timestamp of its last task event
    running_since: int | None = None
    penalty_ms: int = 0  # THROTTLED: how long until PENDING
    version: int = 0  # bumped when its queued move is no longer wanted
    removed: bool = False


class Simulator:
    """Simulated scheduler; see the module docstring.

    ``profile``: a :class:`Profile` or release (``"0.14"``); ``models``:
    generated models (default the profile's shipped ones); ``statuses``: the
    webhook config's list (None: all); ``identity``: the process's identity
    table (default: the documented defaults); ``renew_jobs``: replace each
    ended job with a new one (endless stream) or stop when all have ended.
    """

    def __init__(self, jobs: int, instances: int, profile: Profile | str = "0.22", seed: int = 0, *,
                 statuses: Iterable[str] | None = None, identity: IdentityTable | None = None,
                 models: ModuleType | None = None, renew_jobs: bool = True,
                 start_ms: int = DEFAULT_START_MS, cluster: str = "dc1", scheduler_host: str = "aurora") -> None:
        if jobs < 1 or instances < 1:
            raise ValueError("a simulation needs at least one job and one instance")
        self.profile = profile if isinstance(profile, Profile) else profile_for(profile)
        self.models = models if models is not None else self.profile.models()
        self.identity = scheduler_identity(self.models, identity)
        self.statuses = None if statuses is None else frozenset(statuses)
        self.jobs, self.instances, self.seed = jobs, instances, seed
        self.renew_jobs = renew_jobs
        self.cluster, self.scheduler_host = cluster, scheduler_host
        self.stats = SimulationStats()
        self._rng = random.Random(seed)
        self._status = self.models.ScheduleStatus
        self._clock = start_ms
        self._queue: list[tuple[int, int, int, Any]] = []  # (at ms, tie-breaker, version, task or job)
        self._ticket = itertools.count()
        self._live_jobs: dict[tuple[str, str, str], _Job] = {}
        agent_prefix = self._uuid()
        self._agents = [(f"{agent_prefix}-S{n}", f"agent-{n}.{cluster}.example.com")
                        for n in range(max(3, min(500, jobs * instances // 2 + 3)))]
        self._posted: dict[tuple[Any, Any], bool] = {}
        self._started = False

    # -- public ------------------------------------------------------------------

    def events(self) -> Iterator[TaskStateChange]:
        """The events the profile posts (with the config's ``statuses``), in time order."""
        return (event for event in self.transitions() if self.posts(event))

    def posts(self, event: TaskStateChange) -> bool:
        """Whether the profile's release posted ``event`` (with the config's ``statuses``)."""
        key = (event.new_state, event.old_state)
        posted = self._posted.get(key)
        if posted is None:  # a handful of (new, old) pairs: decide each once
            old = None if event.old_state is None else event.old_state.name
            posted = self._posted[key] = self.profile.posts(event.new_state.name, old, self.statuses)
        return posted

    def transitions(self) -> Iterator[TaskStateChange]:
        """Every state change the scheduler makes, posted or not (initial events first)."""
        if not self._started:
            self._started = True
            yield from self._scheduler_start()
        while self._queue:
            at, _, version, item = heapq.heappop(self._queue)
            self._clock = max(self._clock, at)
            if isinstance(item, _Job):
                yield from self._kill_job(item)
            elif not item.removed and item.version == version:
                yield from self._advance(item)

    @property
    def live_tasks(self) -> int:
        return sum(len(job.live) for job in self._live_jobs.values())

    # -- the scheduler's work ---------------------------------------------------------

    def _scheduler_start(self) -> list[TaskStateChange]:
        """Tasks found in storage at startup; 0.14/0.15 posted each with oldState absent."""
        made = []
        for _ in range(self.jobs):
            job = self._new_job()
            for instance in range(self.instances):
                live = self._restore(job, instance)
                made.append(self._event(live.task, None))
                self._queue_move(live, self._delay(live))
        return made

    def _new_job(self) -> _Job:
        spec = random_job(self._rng, self.cluster, self._live_jobs)
        with use_identity(self.identity):  # sets of two or more hash their elements as they are built
            config = make_task_config(spec, self.models)
        job = _Job(spec, config)
        self._live_jobs[spec.key] = job
        self.stats.jobs_started += 1
        lifetime = self._rng.randint(1 * HOUR, 12 * HOUR) if spec.is_service else 8 * HOUR
        self._push(self._clock + lifetime, 0, job)
        return job

    def _restore(self, job: _Job, instance: int) -> _LiveTask:
        """A task as stored before this scheduler started: PENDING, or RUNNING with its history."""
        rng = self._rng
        if rng.random() < 0.7:
            return self._make_task(job, instance, None, self._clock - rng.randint(SECOND, 2 * MINUTE))
        at = self._clock - rng.randint(10 * MINUTE, 6 * HOUR)
        live = self._make_task(job, instance, None, at)
        for status in ("ASSIGNED", "STARTING", "RUNNING"):
            at += rng.randint(SECOND, MINUTE)
            self._record(live, status, message(rng, live.task.status.name, status, job.spec), at)
        return live

    def _make_task(self, job: _Job, instance: int, ancestor: Any, at: int, penalty_ms: int = 0) -> _LiveTask:
        """A new task of ``job`` (a reschedule of ``ancestor`` if given), PENDING or THROTTLED."""
        m, spec = self.models, job.spec
        status = "THROTTLED" if penalty_ms else "PENDING"
        message = None
        if ancestor is not None:
            message = f"Rescheduled, penalized for {penalty_ms} ms for flapping" if penalty_ms else "Rescheduled"
        task = m.ScheduledTask(
            assignedTask=m.AssignedTask(taskId=f"{spec.role}-{spec.environment}-{spec.name}-{instance}-{self._uuid()}",
                                        task=job.config, instanceId=instance),
            status=self._status[status],
            failureCount=0 if ancestor is None else ancestor.failureCount,
            taskEvents=[m.TaskEvent(timestamp=at, status=self._status[status], message=message,
                                    scheduler=self.scheduler_host)],
            ancestorId=None if ancestor is None else ancestor.assignedTask.taskId)
        live = _LiveTask(job, task, at, penalty_ms=penalty_ms)
        job.live[instance] = live
        self.stats.tasks += 1
        return live

    def _advance(self, live: _LiveTask) -> list[TaskStateChange]:
        """Move ``live`` on to the status its current one leads to, with what follows from that."""
        new = next_status(self._rng, live.task.status.name, live.job.spec)
        return [] if new is None else self._move(live, new)

    def _move(self, live: _LiveTask, new: str) -> list[TaskStateChange]:
        old = live.task.status
        failures_before = live.task.failureCount
        self._record(live, new, message(self._rng, old.name, new, live.job.spec),
                     max(self._clock, live.last_ms + 1), count_failure=counts_failure(old.name, new))
        made = [self._event(live.task, old)]
        if new not in TERMINAL:
            self._queue_move(live, self._delay(live))
            return made
        job = live.job
        instance = live.task.assignedTask.instanceId
        self._drop(live)
        if not job.killed and reschedules(old.name, new, job.spec, failures_before):
            ran_for = None if live.running_since is None else live.last_ms - live.running_since
            penalty = flap_penalty(self._rng, new, ran_for, live.task.failureCount)
            replacement = self._make_task(job, instance, live.task, live.last_ms, penalty)
            made.append(self._event(replacement.task, self._status.INIT))
            self._queue_move(replacement, self._delay(replacement))
        if not job.live:
            made += self._job_ended(job)
        return made

    def _record(self, live: _LiveTask, status: str, message: str | None, at: int, *,
                count_failure: bool = False) -> None:
        """Set ``live``'s status, appending its task event (and its host and ports when ASSIGNED)."""
        m, task = self.models, live.task
        changes: dict[str, Any] = {
            "status": self._status[status],
            "taskEvents": task.taskEvents + (m.TaskEvent(timestamp=at, status=self._status[status],
                                                         message=message, scheduler=self.scheduler_host),)}
        if count_failure:
            changes["failureCount"] = task.failureCount + 1  # INCREMENT_FAILURES runs before the save
        if status == "ASSIGNED":
            slave_id, host = self._rng.choice(self._agents)
            ports = self._rng.sample(range(31000, 32000), len(live.job.spec.ports))
            changes["assignedTask"] = task.assignedTask.replace(
                slaveId=slave_id, slaveHost=host, assignedPorts=dict(zip(live.job.spec.ports, ports)))
        if status == "RUNNING":
            live.running_since = at
        live.task = task.replace(**changes)
        live.last_ms = at

    def _kill_job(self, job: _Job) -> list[TaskStateChange]:
        """The job's user kills it: active tasks go to KILLING, PENDING ones are deleted unannounced."""
        if job.killed:
            return []
        job.killed = True
        made: list[TaskStateChange] = []
        for live in list(job.live.values()):
            status = live.task.status.name
            if status in ("PENDING", "THROTTLED"):
                self._drop(live)  # PENDING -> KILLING deletes the task without saving it: no event
            elif status != "KILLING":
                made += self._move(live, "KILLING")
        if not job.live:
            made += self._job_ended(job)
        return made

    def _job_ended(self, job: _Job) -> list[TaskStateChange]:
        self._live_jobs.pop(job.spec.key, None)
        job.killed = True  # its queued end, if still coming, does nothing
        self.stats.jobs_ended += 1
        if not self.renew_jobs:
            return []
        replacement = self._new_job()
        made = []
        for instance in range(self.instances):
            live = self._make_task(replacement, instance, None, self._clock)
            made.append(self._event(live.task, self._status.INIT))
            self._queue_move(live, self._delay(live))
        return made

    # -- plumbing ------------------------------------------------------------------------

    def _event(self, task: Any, old_state: Any) -> TaskStateChange:
        self.stats.transitions += 1
        return TaskStateChange(task, old_state, hashed="taskconfig", identity=self.identity,
                               optional_style=self.profile.optional_style)

    def _delay(self, live: _LiveTask) -> int:
        return dwell_ms(self._rng, live.task.status.name, live.job.spec, live.penalty_ms)

    def _queue_move(self, live: _LiveTask, delay: int) -> None:
        live.version += 1
        self._push(max(self._clock, live.last_ms) + max(1, delay), live.version, live)

    def _push(self, at: int, version: int, item: Any) -> None:
        heapq.heappush(self._queue, (at, next(self._ticket), version, item))

    def _drop(self, live: _LiveTask) -> None:
        live.removed = True
        job = live.job
        instance = live.task.assignedTask.instanceId
        if job.live.get(instance) is live:
            del job.live[instance]

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
