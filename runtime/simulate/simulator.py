"""A simulated Aurora scheduler: realistic tasks through Aurora's task lifecycle.

``Simulator(jobs, instances, profile, seed).events()`` yields the
``TaskStateChange`` events an Aurora scheduler of that release would have
posted to its webhook, in the order it posted them, deterministically for a
seed. The lifecycle rules are the facts of ``simulate_lifecycle``; the
chances and durations are ``simulate_rules``'.

Scheduler starts
    The scheduler has just started: every job's tasks are in storage, most
    PENDING, some RUNNING with their history, some with an ended ancestor
    (terminal tasks stay in storage, up to ``history`` of them). At that start,
    and at every failover (every ``failover_every_ms`` of simulated time),
    0.14/0.15 posted one event per stored task with ``oldState`` absent,
    terminal tasks included, ordered by latest task event, oldest first;
    :meth:`Profile.posts` drops them for later releases.
Tasks
    A new task's first event is INIT -> PENDING with one PENDING task event
    and no message. PENDING -> ASSIGNED sets the agent (``slaveId``,
    ``slaveHost``) and a port per named port. ASSIGNED, PREEMPTING,
    RESTARTING, KILLING and DRAINING may time out to LOST ("Task timed out");
    STARTING never does. A job's end (its user kills it) sends active tasks to
    KILLING ("Killed by <user>") and deletes PENDING and THROTTLED ones
    without an event. A production task waiting for a slot lets a
    non-production one be preempted ("Preempting in favor of <taskId>").
Reschedules
    A replacement gets a new ``taskId``, ``ancestorId``, the ``failureCount``
    carried over, no host or ports, and "Rescheduled"; THROTTLED with
    "Rescheduled, penalized for N ms for flapping" when its ancestor was
    flapping. Its INIT -> PENDING (or THROTTLED) event is posted before the
    ancestor's final event, as Aurora posted them.
Partitions (0.20 and later, ``partition_aware=True`` only)
    A task on an agent becomes PARTITIONED and comes back (to its status, or
    ended); one being stopped is marked LOST at once ("Action performed on
    partitioned task, marking as LOST."), that event posted before the one
    entering PARTITIONED. A job killed meanwhile kills it once it is back.
Hashes
    All instances of a job share one ``TaskConfig``; each event hashes it
    (policy ``taskconfig``) with :attr:`Simulator.identity`, the identity
    table of this one simulated scheduler process.
Memory
    Only live tasks, live jobs and the kept terminal tasks are held; with
    ``renew_jobs`` (the default) an ended job is replaced by a new one, so the
    stream never ends and memory stays bounded.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any

from ..aurora.event import TaskStateChange
from ..aurora.profiles import Profile, profile_for
from ..aurora.releases import DEFAULT_RELEASE
from ..errors import AurorakitError
from ..identity import IdentityTable, use_identity
from .jobs import make_task_config, random_job
from .lifecycle import (
    DRAINING_MESSAGE,
    PARTITION_LOST,
    PARTITION_MIN_MINOR,
    STOPPING_TO_RETURN,
    TERMINAL,
    base_penalty_ms,
    counts_failure,
    is_flapping,
    killed_message,
    preempting_message,
    reschedules,
    restarted_message,
    transitions,
)
from .preemption import Preemption
from .rules import HOUR, MINUTE, PREEMPT_DELAY_MS, SECOND, message, next_move
from .state import Job, LiveTask, SimulationStats, scheduler_identity
from .task_records import TaskRecords

__all__ = ["AURORA_TRANSITIONS", "DEFAULT_START_MS", "SimulationError", "SimulationStats", "Simulator",
           "scheduler_identity"]

AURORA_TRANSITIONS = transitions()  # without partition awareness
DEFAULT_START_MS = 1_500_000_000_000  # simulated clock start (2017-07-14), so runs repeat exactly
_FAILOVER = "failover"  # a queued scheduler restart


class SimulationError(AurorakitError, ValueError):
    """A simulation that cannot be run as asked (too small, or partitions where Aurora had none)."""


class Simulator:
    """Simulated scheduler; see the module docstring.

    ``profile``: a :class:`Profile` or release (``"0.14"``); ``models``:
    generated models (default the profile's shipped ones); ``statuses``: the
    webhook config's list (None: all); ``identity``: the process's identity
    table (default: the documented defaults); ``renew_jobs``: replace each
    ended job with a new one (endless stream) or stop when all have ended;
    ``partition_aware``: PARTITIONED (0.20 and later; off, as in Aurora);
    ``failover_every_ms``: simulated time between scheduler restarts (0: none);
    ``history``: terminal tasks kept in storage (default twice the tasks).
    """

    def __init__(self, jobs: int, instances: int, profile: Profile | str = DEFAULT_RELEASE, seed: int = 0, *,
                 statuses: Iterable[str] | None = None, identity: IdentityTable | None = None,
                 models: ModuleType | None = None, renew_jobs: bool = True, partition_aware: bool = False,
                 failover_every_ms: int = 6 * HOUR, history: int | None = None,
                 start_ms: int = DEFAULT_START_MS, cluster: str = "dc1", scheduler_host: str = "aurora") -> None:
        if jobs < 1 or instances < 1:
            raise SimulationError("a simulation needs at least one job and one instance")
        self.profile = profile if isinstance(profile, Profile) else profile_for(profile)
        self.models = models if models is not None else self.profile.models()
        if partition_aware and (self.profile.minor < PARTITION_MIN_MINOR
                                or not hasattr(self.models.ScheduleStatus, "PARTITIONED")):
            raise SimulationError(f"partition awareness: Aurora {self.profile.version} has no PARTITIONED status "
                                  f"(it came with 0.{PARTITION_MIN_MINOR})")
        if failover_every_ms < 0:
            raise SimulationError("failover_every_ms: must be 0 (no failovers) or more")
        self.identity = scheduler_identity(self.models, identity)
        self.statuses = None if statuses is None else frozenset(statuses)
        self.jobs, self.instances, self.seed = jobs, instances, seed
        self.renew_jobs, self.partition_aware = renew_jobs, partition_aware
        self.failover_every_ms = failover_every_ms
        self.history = 2 * jobs * instances if history is None else history
        self.cluster, self.scheduler_host = cluster, scheduler_host
        self.stats = SimulationStats()
        self._rng = random.Random(seed)
        self._status = self.models.ScheduleStatus
        self._clock = start_ms
        self._queue: list[tuple[int, int, int, Any]] = []  # (at ms, tie-breaker, version, task, job or failover)
        self._ticket = itertools.count()
        self._live_jobs: dict[tuple[str, str, str], Job] = {}
        self._ended: dict[str, Any] = {}  # terminal tasks still in storage, oldest first
        self._preemption = Preemption(self._rng)
        self._records = TaskRecords(self.models, self._rng, max(3, min(500, jobs * instances // 2 + 3)),
                                    cluster, scheduler_host)
        self._posted: dict[tuple[Any, Any], bool] = {}
        self._started = False

    # -- public ------------------------------------------------------------------

    def events(self) -> Iterator[TaskStateChange]:
        """The events the profile posts (with the config's ``statuses``), in posting order."""
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
        """Every event the scheduler makes, posted or not, in posting order."""
        if not self._started:
            self._started = True
            for _ in range(self.jobs):
                job = self._new_job()
                for instance in range(self.instances):
                    self._plan(self._restore(job, instance))
            yield from self._scheduler_start()
        while self._queue:
            at, _, version, item = heapq.heappop(self._queue)
            self._clock = max(self._clock, at)
            if item is _FAILOVER:
                if self._live_jobs:
                    yield from self._scheduler_start()
            elif isinstance(item, Job):
                yield from self._kill_job(item)
            elif not item.removed and item.version == version:
                yield from self._advance(item)

    @property
    def live_tasks(self) -> int:
        return sum(len(job.live) for job in self._live_jobs.values())

    # -- the scheduler's work ---------------------------------------------------------

    def _scheduler_start(self) -> list[TaskStateChange]:
        """One event per stored task, oldState absent, by latest task event (oldest first)."""
        self.stats.scheduler_starts += 1
        stored = [live.task for job in self._live_jobs.values() for live in job.live.values()]
        stored += self._ended.values()
        stored.sort(key=lambda task: (task.taskEvents[-1].timestamp, task.assignedTask.taskId))
        if self.failover_every_ms:
            self._push(self._clock + self.failover_every_ms, 0, _FAILOVER)
        return [self._event(task, None) for task in stored]

    def _new_job(self) -> Job:
        spec = random_job(self._rng, self.cluster, self._live_jobs)
        with use_identity(self.identity):  # sets of two or more hash their elements as they are built
            config = make_task_config(spec, self.models)
        job = Job(spec, config)
        self._live_jobs[spec.key] = job
        self.stats.jobs_started += 1
        lifetime = self._rng.randint(1 * HOUR, 12 * HOUR) if spec.is_service else 8 * HOUR
        self._push(self._clock + lifetime, 0, job)
        return job

    def _restore(self, job: Job, instance: int) -> LiveTask:
        """A task stored before this scheduler started: PENDING, or RUNNING with its history.

        A RUNNING one may replace an ended ancestor (lost, or restarted), kept in storage.
        """
        rng = self._rng
        if rng.random() < 0.6:
            return self._make_task(job, instance, None, self._clock - rng.randint(SECOND, 2 * MINUTE))
        at = self._clock - rng.randint(30 * MINUTE, 6 * HOUR)
        live = self._make_task(job, instance, None, at)
        self._run_up(live)
        if rng.random() < 0.4:  # it already ran, and ended more than 5 minutes later: not flapping
            ending = ("RESTARTING", "KILLED") if rng.random() < 0.5 else ("LOST",)
            for status in ending:
                live.last_ms += rng.randint(10 * MINUTE, 20 * MINUTE) if status != "KILLED" else SECOND
                self._record(live, status, self._message(live, status), live.last_ms)
            self._drop(live)
            self._retire(live.task)
            live = self._make_task(job, instance, live, live.last_ms)
            self._run_up(live)
        return live

    def _run_up(self, live: LiveTask) -> None:
        for status in ("ASSIGNED", "STARTING", "RUNNING"):
            at = live.last_ms + self._rng.randint(SECOND, MINUTE)
            self._record(live, status, self._message(live, status), at)

    def _make_task(self, job: Job, instance: int, ancestor: LiveTask | None, at: int, penalty_ms: int = 0,
                   flapping_ancestors: int = 0) -> LiveTask:
        """A new task of ``job`` (a reschedule of ``ancestor`` if given), PENDING or THROTTLED."""
        task = self._records.new_task(job, instance, None if ancestor is None else ancestor.task, at, penalty_ms)
        live = LiveTask(job, task, at, penalty_ms=penalty_ms, flapping_ancestors=flapping_ancestors)
        job.live[instance] = live
        self._note_pending(live)
        self.stats.tasks += 1
        return live

    def _advance(self, live: LiveTask) -> list[TaskStateChange]:
        """Make ``live``'s planned move, with what follows from it."""
        new, timed_out = live.planned
        note: str | None
        if new == "PREEMPTING":
            if live.preemptor not in self._preemption.waiting:  # it no longer waits (its job was killed)
                self._plan(live)
                return []
            note = preempting_message(live.preemptor)
        elif new == "BACK":  # the partitioned task's agent is back
            new = live.before_partition
            note = self._message(live, new) if new not in STOPPING_TO_RETURN | {"KILLING"} else None
        else:
            note = self._message(live, new, timed_out)
        return self._move(live, new, note)

    def _message(self, live: LiveTask, new: str, timed_out: bool = False) -> str | None:
        user = live.job.spec.role
        if new == "RESTARTING":
            return restarted_message(user)
        if new == "DRAINING":
            return DRAINING_MESSAGE
        if new == "KILLING":
            return killed_message(user)
        if new == "PARTITIONED":
            return None
        return message(self._rng, live.status, new, live.job.spec, timed_out)

    def _move(self, live: LiveTask, new: str, note: str | None) -> list[TaskStateChange]:
        """Move ``live`` to ``new``: the events in the order the scheduler posted them."""
        old = live.task.status
        before = live.before_partition if old.name == "PARTITIONED" else old.name
        failures_before = live.task.failureCount
        self._record(live, new, note, max(self._clock, live.last_ms + 1), count_failure=counts_failure(before, new))
        event = self._event(live.task, old)
        if new == "PARTITIONED":
            live.before_partition = old.name
            if old.name in STOPPING_TO_RETURN or old.name == "KILLING":
                # An action is under way on it: marked LOST at once, and that event is posted first.
                return self._move(live, "LOST", PARTITION_LOST) + [event]
        if new not in TERMINAL:
            self._plan(live)
            if old.name == "PARTITIONED" and live.job.killed and new != "KILLING":
                return [event] + self._move(live, "KILLING", self._message(live, "KILLING"))
            return [event]
        job, spec = live.job, live.job.spec
        self._drop(live)
        self._retire(live.task)
        made = []
        if not job.killed and reschedules(before, new, spec.is_service, spec.max_task_failures, failures_before):
            events = live.task.taskEvents
            flapping = is_flapping([e.status.name for e in events], [e.timestamp for e in events])
            chain = live.flapping_ancestors + 1 if flapping else 0
            base = base_penalty_ms(chain)
            penalty = base + self._rng.randint(0, base) if base else 0  # up to 100% jitter
            replacement = self._make_task(job, live.task.assignedTask.instanceId, live, live.last_ms, penalty, chain)
            made.append(self._event(replacement.task, self._status.INIT))  # posted before the ancestor's end
            self._plan(replacement)
        made.append(event)
        if not job.live:
            made += self._job_ended(job)
        return made

    def _record(self, live: LiveTask, status: str, note: str | None, at: int, *,
                count_failure: bool = False) -> None:
        """Set ``live``'s status, saving its task with the move's task event (see TaskRecords.moved)."""
        live.task = self._records.moved(live.task, live.job.spec.ports, status, note, at, count_failure=count_failure)
        live.last_ms = at
        self._note_pending(live)

    def _kill_job(self, job: Job) -> list[TaskStateChange]:
        """The job's user kills it: active tasks go to KILLING, PENDING and THROTTLED ones are deleted."""
        if job.killed:
            return []
        job.killed = True
        made: list[TaskStateChange] = []
        for live in list(job.live.values()):
            status = live.status
            if status in ("PENDING", "THROTTLED"):
                self._drop(live)  # deleted without being saved again: no event
            elif status not in ("KILLING", "PARTITIONED"):  # a partitioned one is killed when it is back
                made += self._move(live, "KILLING", self._message(live, "KILLING"))
        if not job.live:
            made += self._job_ended(job)
        return made

    def _job_ended(self, job: Job) -> list[TaskStateChange]:
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
            self._plan(live)
        return made

    # -- plumbing ------------------------------------------------------------------------

    def _event(self, task: Any, old_state: Any) -> TaskStateChange:
        self.stats.transitions += 1
        return TaskStateChange(task, old_state, hashed="taskconfig", identity=self.identity,
                               optional_style=self.profile.optional_style)

    def _plan(self, live: LiveTask) -> None:
        """Decide ``live``'s next move and queue it."""
        if live.status == "THROTTLED":
            new, delay, timed_out = "PENDING", live.penalty_ms, False
        else:
            new, delay, timed_out = next_move(self._rng, live.status, live.job.spec,
                                              partition_aware=self.partition_aware)
        live.planned = (new, timed_out)
        live.version += 1
        self._push(max(self._clock, live.last_ms) + max(1, delay), live.version, live)

    def _push(self, at: int, version: int, item: Any) -> None:
        heapq.heappush(self._queue, (at, next(self._ticket), version, item))

    def _note_pending(self, live: LiveTask) -> None:
        """Keep the preemption bookkeeping current; queue the PREEMPTING of a task it chooses."""
        victim = self._preemption.note(live)
        if victim is not None:
            victim.version += 1
            self._push(max(self._clock, victim.last_ms) + self._rng.randint(*PREEMPT_DELAY_MS), victim.version, victim)

    def _drop(self, live: LiveTask) -> None:
        live.removed = True
        self._note_pending(live)
        job = live.job
        instance = live.task.assignedTask.instanceId
        if job.live.get(instance) is live:
            del job.live[instance]

    def _retire(self, task: Any) -> None:
        """Keep an ended task in storage; the oldest beyond ``history`` are pruned."""
        self._ended[task.assignedTask.taskId] = task
        while len(self._ended) > self.history:
            del self._ended[next(iter(self._ended))]
