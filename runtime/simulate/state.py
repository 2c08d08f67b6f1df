"""What the simulated scheduler holds: its jobs and their live tasks, its identity table, its counters."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ..fields import arm_names
from ..identity import IdentityTable, arm_constant, arm_key, default_identity, enum_key
from ..struct import ThriftUnion
from .jobs import JobSpec


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
            keys = [enum_key(value.__name__, member.name) for member in value]
        elif isinstance(value, type) and issubclass(value, ThriftUnion) and value is not ThriftUnion:
            keys = [arm_key(value.__name__, arm_constant(name)) for name in arm_names(value)]
        else:
            continue
        for key in keys:
            if key not in known:
                table.set(key, default_identity(key))
    return table


@dataclass
class SimulationStats:
    """What a run has done so far."""

    transitions: int = 0  # events made, posted or not (startup events included)
    tasks: int = 0
    jobs_started: int = 0
    jobs_ended: int = 0
    scheduler_starts: int = 0


@dataclass(eq=False)
class Job:
    """A live job: its spec, its shared TaskConfig, the current task of each instance."""

    spec: JobSpec
    config: Any  # the TaskConfig all instances share
    live: dict[int, LiveTask] = field(default_factory=dict)  # instance id -> its current task
    killed: bool = False


@dataclass(eq=False)
class LiveTask:
    """The current task of one instance, and what the scheduler knows about it beyond the task."""

    job: Job
    task: Any  # ScheduledTask
    last_ms: int  # timestamp of its last task event
    penalty_ms: int = 0  # THROTTLED: how long until PENDING
    flapping_ancestors: int = 0  # consecutive flapping ancestors (what its penalty grew from)
    planned: tuple[str, bool] = ("", False)  # its next status ("BACK": out of PARTITIONED), timed out?
    before_partition: str = ""  # PARTITIONED: the status it had
    preemptor: str = ""  # planned PREEMPTING: the production task it makes room for
    version: int = 0  # bumped when its queued move is no longer wanted
    removed: bool = False

    @property
    def status(self) -> str:
        return str(self.task.status.name)
