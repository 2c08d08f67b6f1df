"""The tree ``aurorakit decode`` prints (runtime/treeview.py), written out by hand.

Two spaces a level; a container is "kind of N" with its members one level in,
an empty list ``[]``, an empty set or map ``{}``; unset fields are left out.
Hashes are masked: their values are checked against the JDK elsewhere, and
this file is about the layout.
"""

from __future__ import annotations

import re

from aurorakit.generated.aurora_0_22 import enums, types
from aurorakit.runtime.aurora.event import TaskStateChange
from aurorakit.runtime.treeview import render_event

EXPECTED = """\
TaskStateChange: oldState PENDING -> RUNNING
  task: ScheduledTask #H
    assignedTask: AssignedTask #H
      taskId: 't-1'
      task: TaskConfig #H
        job: JobKey #H
          role: 'www'
          environment: 'prod'
          name: 'hello'
        isService: False
        priority: 0
        maxTaskFailures: 0
        production: False
        resources: {}
        constraints: {}
        mesosFetcherUris: {}
        taskLinks: {}
        metadata: set of 1
          [0]: Metadata #H
            key: 'k'
            value: 'v'
        container: Container #H
          mesos: MesosContainer #H
            volumes: []
      assignedPorts: map of 2
        ['http']: 31000
        ['admin']: 31001
      instanceId: 0
    status: RUNNING
    failureCount: 0
    timesPartitioned: 0
    taskEvents: list of 1
      [0]: TaskEvent #H
        timestamp: 5
        status: PENDING"""


def _task() -> types.ScheduledTask:
    config = types.TaskConfig(job=types.JobKey(role="www", environment="prod", name="hello"),
                              metadata={types.Metadata(key="k", value="v")})
    assigned = types.AssignedTask(taskId="t-1", task=config, assignedPorts={"http": 31000, "admin": 31001})
    return types.ScheduledTask(assignedTask=assigned, status=enums.ScheduleStatus.RUNNING,
                               taskEvents=[types.TaskEvent(timestamp=5, status=enums.ScheduleStatus.PENDING)])


def _masked(text: str) -> str:
    return re.sub(r"#-?\d+", "#H", text)


def test_every_kind_of_member_is_laid_out_one_level_below_its_owner() -> None:
    assert _masked(render_event(TaskStateChange(_task(), "PENDING"))) == EXPECTED


def test_an_event_without_an_old_state_says_absent() -> None:
    first = render_event(TaskStateChange(_task())).splitlines()[0]
    assert first == "TaskStateChange: oldState absent -> RUNNING"
