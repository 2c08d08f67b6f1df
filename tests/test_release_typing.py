"""A user's own tool, outside the project, type-checks with ``mypy --strict`` against the models.

``decode_event`` and ``TaskStateChange`` carry the models' own classes: a
release string, a ``ScheduledTask`` class or a constructed task decides the
type of ``event.task``, so a field that release does not have is a mypy
error, not ``Any``. mypy cannot follow setuptools' editable-install hook, so
(as in test_mypy.py) MYPYPATH points at a folder linking
``aurorakit/{codegen,runtime,generated}`` to the project folders; an install
made with ``pip install . `` or ``pip install -e . --config-settings
editable_mode=strict`` needs none.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")

REPO = Path(__file__).resolve().parent.parent

TOOL = textwrap.dedent("""\
    from typing import assert_type

    from aurorakit.generated import aurora_0_14, aurora_0_19, aurora_0_22, aurora_0_27
    from aurorakit.runtime.aurora.event import TaskStateChange, decode_event


    def failures(body: bytes) -> int:
        event = decode_event(body, "0.19")
        assert_type(event, TaskStateChange[aurora_0_19.ScheduledTask])
        assert_type(event.task.status, aurora_0_19.ScheduleStatus | None)
        assigned = event.task.assignedTask
        cpus = 0.0 if assigned is None or assigned.task is None else assigned.task.numCpus
        assert_type(cpus, float)
        return event.task.failureCount


    def fork(body: bytes) -> int:
        event = decode_event(body, "0.24")
        assert_type(event.task, aurora_0_27.ScheduledTask)
        return event.task.timesPartitioned


    def by_class(body: str) -> aurora_0_22.ScheduledTask:
        return decode_event(body, aurora_0_22.ScheduledTask).task


    def made() -> bytes:
        event = TaskStateChange(aurora_0_14.ScheduledTask(status=aurora_0_14.ScheduleStatus.RUNNING), "STARTING")
        assert_type(event.task, aurora_0_14.ScheduledTask)
        return event.wire("0.14")
    """)

# Each marked line must get exactly that mypy error code: the types are the release's, not Any.
MISTAKES = textwrap.dedent("""\
    from aurorakit.generated import aurora_0_19, aurora_0_22
    from aurorakit.runtime.aurora.event import TaskStateChange, decode_event

    decode_event(b"", "0.19").task.timesPartitioned  # attr-defined
    decode_event(b"", "0.22").task.assignedTask.task.numCpus  # union-attr
    x: aurora_0_22.ScheduledTask = decode_event(b"", "0.19.1").task  # assignment
    y: aurora_0_19.ScheduledTask = TaskStateChange(aurora_0_22.ScheduledTask()).task  # assignment
    decode_event(b"", aurora_0_22.ScheduledTask).task.failureCount.upper()  # attr-defined
    """)


@pytest.fixture(scope="module")
def mypy_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    tmp = tmp_path_factory.mktemp("usertool")
    (tmp / "path" / "aurorakit").mkdir(parents=True)
    for folder in ("codegen", "runtime", "generated"):
        os.symlink(REPO / folder, tmp / "path" / "aurorakit" / folder)
    tool = tmp / "tool"
    tool.mkdir()
    (tool / "aurora_tool.py").write_text(TOOL, encoding="utf-8")
    (tool / "mistakes.py").write_text(MISTAKES, encoding="utf-8")
    env = dict(os.environ, MYPYPATH=str(tmp / "path"))
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp / "cache"), "--no-error-summary",
         "--follow-imports=silent", "aurora_tool.py", "mistakes.py"],
        cwd=tool, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc


def test_the_users_tool_passes_strict(mypy_run: subprocess.CompletedProcess[str]) -> None:
    assert [line for line in mypy_run.stdout.splitlines() if line.startswith("aurora_tool.py")] == []


def test_the_release_types_catch_mistakes(mypy_run: subprocess.CompletedProcess[str]) -> None:
    expected = {number: line.rsplit("# ", 1)[1] for number, line in enumerate(MISTAKES.splitlines(), start=1)
                if "  # " in line}
    found: dict[int, set[str]] = {}
    for line in mypy_run.stdout.splitlines():
        match = re.match(r"mistakes\.py:(\d+): error: .*\[([a-z-]+)\]$", line)
        if match:
            found.setdefault(int(match.group(1)), set()).add(match.group(2))
    assert found == {number: {code} for number, code in expected.items()}, mypy_run.stdout
