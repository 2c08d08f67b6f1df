"""The task links a simulated job's TaskConfig carries: Aurora's UI links to a task's http and admin
ports as ``http://%host%:%port:NAME%`` (the admin page at /vars), and to no port the job lacks."""

from __future__ import annotations

import dataclasses
import random

import pytest
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.simulate.jobs import make_task_config, random_job


@pytest.mark.parametrize("ports, links", [
    (("http", "admin"), {"http": "http://%host%:%port:http%", "admin": "http://%host%:%port:admin%/vars"}),
    (("admin",), {"admin": "http://%host%:%port:admin%/vars"}),
    (("http",), {"http": "http://%host%:%port:http%"}),
    (("metrics",), {}),
])
def test_task_links_follow_the_named_ports(ports: tuple[str, ...], links: dict[str, str]) -> None:
    spec = dataclasses.replace(random_job(random.Random(3)), ports=ports)
    task = make_task_config(spec, profile_for("0.22").models())
    assert dict(task.taskLinks) == links
