"""The ScheduledTask records the simulated scheduler saves: a new task's, and each move's.

A move appends its task event; the first ASSIGNED also places the task on an
agent (``slaveId``, ``slaveHost``) with a port per named port. Records are
immutable model objects: each save makes a new one.
"""

from __future__ import annotations

import random
import uuid
from types import ModuleType
from typing import Any

from .lifecycle import rescheduled_message, task_id
from .state import Job


class TaskRecords:
    """Makes the saved records of one simulated scheduler's tasks (``models``' ScheduledTask)."""

    def __init__(self, models: ModuleType, rng: random.Random, agents: int, cluster: str, scheduler_host: str) -> None:
        self.models, self.scheduler_host = models, scheduler_host
        self._rng = rng
        self._status = models.ScheduleStatus
        agent_prefix = self.uuid()
        self._agents = [(f"{agent_prefix}-S{n}", f"agent-{n}.{cluster}.example.com") for n in range(agents)]

    def new_task(self, job: Job, instance: int, ancestor: Any, at: int, penalty_ms: int) -> Any:
        """A new task of ``job``, PENDING (THROTTLED for a penalty), replacing ``ancestor`` if not None."""
        m, spec = self.models, job.spec
        status = self._status["THROTTLED" if penalty_ms else "PENDING"]
        note = None if ancestor is None else rescheduled_message(penalty_ms)
        return m.ScheduledTask(
            assignedTask=m.AssignedTask(taskId=task_id(spec.role, spec.environment, spec.name, instance, self.uuid()),
                                        task=job.config, instanceId=instance),
            status=status,
            failureCount=0 if ancestor is None else ancestor.failureCount,
            taskEvents=[m.TaskEvent(timestamp=at, status=status, message=note, scheduler=self.scheduler_host)],
            ancestorId=None if ancestor is None else ancestor.assignedTask.taskId)

    def moved(self, task: Any, ports: tuple[str, ...], status: str, note: str | None, at: int, *,
              count_failure: bool) -> Any:
        """``task`` saved in ``status``: its task event appended (and its host and ``ports`` when first ASSIGNED)."""
        changes: dict[str, Any] = {
            "status": self._status[status],
            "taskEvents": task.taskEvents + (self.models.TaskEvent(timestamp=at, status=self._status[status],
                                                                   message=note, scheduler=self.scheduler_host),)}
        if count_failure:
            changes["failureCount"] = task.failureCount + 1  # counted before the save
        if status == "ASSIGNED" and task.assignedTask.slaveHost is None:  # not on coming back from a partition
            slave_id, host = self._rng.choice(self._agents)
            numbers = self._rng.sample(range(31000, 32000), len(ports))
            changes["assignedTask"] = task.assignedTask.replace(
                slaveId=slave_id, slaveHost=host, assignedPorts=dict(zip(ports, numbers)))
        return task.replace(**changes)

    def uuid(self) -> str:
        """A random (version 4) UUID from the simulation's seed."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
