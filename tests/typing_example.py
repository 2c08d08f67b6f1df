"""A typed use of the generated Aurora models, checked by ``mypy --strict`` (tests/test_mypy.py).

``assert_type`` makes mypy confirm the exact type it infers for each
expression: the generated annotations must be precise (no ``Any`` leaking
out), not merely permissive. At run time ``assert_type`` returns its argument
unchanged, so this module also runs as plain Python (see test_mypy.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import assert_type

from aurorakit.generated import aurora_0_22 as api
from aurorakit.runtime.containers import FrozenMap, OrderedSet


def hello_world_task() -> api.ScheduledTask:
    """A task as the documented example has it, built with keyword constructors."""
    config = api.TaskConfig(
        job=api.JobKey(role="www-data", environment="prod", name="hello"),
        isService=True,
        priority=0,
        resources=[api.Resource(numCpus=0.5), api.Resource(ramMb=256), api.Resource(namedPort="http")],
        constraints={api.Constraint(name="rack", constraint=api.TaskConstraint(limit=api.LimitConstraint(limit=1)))},
        taskLinks={"http": "http://localhost"},
        metadata=(api.Metadata(key="k", value="v") for _ in range(2)),
    )
    assigned = api.AssignedTask(taskId="hello-0", task=config, instanceId=0, assignedPorts={"http": 31000})
    return api.ScheduledTask(
        assignedTask=assigned,
        status=api.ScheduleStatus.RUNNING,
        taskEvents=[api.TaskEvent(timestamp=1, status=api.ScheduleStatus.PENDING, message="queued")],
    )


def read_task(task: api.ScheduledTask) -> list[str]:
    """Reads back every kind of field, with the types mypy must infer."""
    assert_type(task.status, api.ScheduleStatus | None)
    assert_type(task.failureCount, int)
    assert_type(task.taskEvents, tuple[api.TaskEvent, ...])
    assigned = task.assignedTask
    assert_type(assigned, api.AssignedTask | None)
    if assigned is None or assigned.task is None:
        return []
    config = assigned.task
    assert_type(config.isService, bool)
    assert_type(config.tier, str | None)
    assert_type(config.resources, OrderedSet[api.Resource])
    assert_type(config.taskLinks, FrozenMap[str, str])
    assert_type(assigned.assignedPorts, FrozenMap[str, int])
    assert_type(config.container, api.Container | None)

    lines = []
    for resource in config.resources:
        assert_type(resource.set_field, str)
        assert_type(resource.numCpus, float | None)
        assert_type(resource.ramMb, int | None)
        if resource.namedPort is not None:
            lines.append(resource.namedPort.upper())
    for constraint in config.constraints:
        arm = constraint.constraint
        if arm is not None and arm.limit is not None:
            assert_type(arm.limit.limit, int)
            lines.append(f"{constraint.name}<={arm.limit.limit}")
    for name, url in config.taskLinks.items():
        lines.append(f"{name}={url}")
    status_name: str = task.status.name if task.status is not None else "?"
    lines.append(status_name)
    return lines


def changed(task: api.ScheduledTask) -> api.ScheduledTask:
    """``replace`` returns the same type."""
    return assert_type(task.replace(failureCount=task.failureCount + 1), api.ScheduledTask)


def constants() -> Iterable[api.ScheduleStatus]:
    assert_type(api.ACTIVE_STATES, OrderedSet[api.ScheduleStatus])
    assert_type(api.AURORA_EXECUTOR_NAME, str)
    return api.TERMINAL_STATES


def summary(service: api.ReadOnlyScheduler) -> api.ResponseCode | None:
    """Services are Protocols: a client object is typed by them."""
    return assert_type(service.getJobSummary("www-data").responseCode, api.ResponseCode | None)


def exercise() -> list[str]:
    task = hello_world_task()
    lines = read_task(changed(task))
    lines.extend(status.name for status in constants())
    return lines
