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


def test_constraints_become_limit_and_value_constraints() -> None:
    spec = dataclasses.replace(random_job(random.Random(3)),
                               constraints=(("host", 1), ("rack", (False, ("r1", "r2"))), ("dedicated", (True, ("x",)))))
    task = make_task_config(spec, profile_for("0.22").models())
    found = {c.name: c.constraint for c in task.constraints}
    assert found["host"].limit.limit == 1 and found["host"].value is None
    assert (found["rack"].value.negated, sorted(found["rack"].value.values)) == (False, ["r1", "r2"])
    assert (found["dedicated"].value.negated, list(found["dedicated"].value.values)) == (True, ["x"])


def test_random_jobs_carry_aurora_s_usual_constraints() -> None:
    rng = random.Random(4)
    seen: dict[str, set[str]] = {}
    for _ in range(200):
        task = make_task_config(random_job(rng), profile_for("0.22").models())
        for c in task.constraints:
            seen.setdefault(c.name, set()).add("limit" if c.constraint.limit is not None else "value")
    assert seen == {"host": {"limit"}, "rack": {"value"}, "dedicated": {"value"}}


def test_thermos_processes_each_have_a_command_line() -> None:
    import json

    from aurorakit.runtime.simulate.jobs import executor_data
    spec = dataclasses.replace(random_job(random.Random(3)), ports=("http",))
    processes = json.loads(executor_data(spec, random.Random(1)))["task"]["processes"]
    commands = {p["name"]: p["cmdline"] for p in processes}
    assert commands["fetch"].startswith(f"curl -sSf https://artifacts.example.com/{spec.role}/{spec.name}.tar.gz")
    assert commands["run"].startswith(f"./{spec.name} --http={{{{thermos.ports[http]}}}}")
