"""``mypy --strict`` on generated/ and on a typed usage example; and mypy catches misuse.

The command, from the project root::

    python -m mypy --strict generated/ runtime/ codegen/ tests/typing_example.py

mypy cannot follow setuptools' editable-install import hook, so it would not
find ``aurorakit.runtime``; the test points MYPYPATH at a temporary folder
where ``aurorakit/{codegen,runtime,generated}`` link to the project folders
(a non-editable or ``editable_mode=strict`` install needs no MYPYPATH).
``--follow-imports=silent`` checks the named files fully against the types
of what they import, without reporting on the runtime modules themselves.
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
COMMAND = ["--strict", "generated/", "runtime/", "codegen/", "tests/typing_example.py"]

# Each line says which mypy error code it must get; mypy must find exactly these.
MISTAKES = textwrap.dedent("""\
    from aurorakit.generated import aurora_0_22 as api

    api.JobKey(role=1)  # arg-type
    api.JobKey(rol="www")  # call-arg
    api.JobKey("www")  # call-arg
    api.TaskConfig().tier.upper()  # union-attr
    cpus: int = api.Resource(numCpus=1.0).numCpus  # assignment
    api.TaskConfig(resources=[api.JobKey()])  # list-item
    api.ScheduleStatus.RUNNIN  # attr-defined
    api.TaskConfig(taskLinks={"a": 1})  # dict-item
    api.AURORA_EXECUTOR_NAME = "x"  # misc
    api.TaskConfig(container=api.MesosContainer())  # arg-type
    """)


@pytest.fixture(scope="module")
def mypy_output() -> str:
    # A fixed folder (git-ignored) so that mypy's incremental cache serves the next run: the
    # cache is keyed on each file's path and contents, so a change is still checked in full.
    tmp = REPO / ".mypy_cache" / "aurorakit-tests"
    (tmp / "path" / "aurorakit").mkdir(parents=True, exist_ok=True)
    for folder in ("codegen", "runtime", "generated"):
        link = tmp / "path" / "aurorakit" / folder
        if not link.is_symlink() or link.resolve() != (REPO / folder).resolve():
            link.unlink(missing_ok=True)
            os.symlink(REPO / folder, link)
    (tmp / "typing_mistakes.py").write_text(MISTAKES, encoding="utf-8")
    env = dict(os.environ, MYPYPATH=str(tmp / "path"))
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp / "cache"), "--no-error-summary",
         *COMMAND, str(tmp / "typing_mistakes.py")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # 2 would be a crash or bad usage
    return proc.stdout


def errors_in(output: str, path_part: str) -> list[str]:
    return [line for line in output.splitlines() if path_part in line and ": error:" in line]


def test_generated_packages_pass_strict(mypy_output: str) -> None:
    assert errors_in(mypy_output, "generated/") == []


def test_runtime_and_codegen_pass_strict(mypy_output: str) -> None:
    assert errors_in(mypy_output, "runtime/") == [] and errors_in(mypy_output, "codegen/") == []


def test_typed_usage_example_passes_strict(mypy_output: str) -> None:
    assert errors_in(mypy_output, "typing_example.py") == []


def test_mypy_catches_misuse_of_the_models(mypy_output: str) -> None:
    expected = {number: line.rsplit("# ", 1)[1] for number, line in enumerate(MISTAKES.splitlines(), start=1)
                if "  # " in line}
    found: dict[int, set[str]] = {}
    for line in errors_in(mypy_output, "typing_mistakes.py"):
        match = re.search(r":(\d+): error: .*\[([a-z-]+)\]$", line)
        assert match, line
        found.setdefault(int(match.group(1)), set()).add(match.group(2))
    assert found == {number: {code} for number, code in expected.items()}, mypy_output


def test_typing_example_runs() -> None:
    import typing_example

    assert typing_example.exercise() == ["HTTP", "rack<=1", "http=http://localhost", "RUNNING",
                                         "FINISHED", "FAILED", "KILLED", "LOST"]
