"""The CLI loads codegen (jinja2, thriftpy2) only for the codegen command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Runs the CLI in a fresh interpreter and prints which of HEAVY it imported.
PROBE = """
import contextlib, io, json, sys
from aurorakit.runtime.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {"jinja2", "thriftpy2"}
                        or m.startswith("aurorakit.codegen"))))
"""


def loaded_by(*args: str, cwd: Path | None = None) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True, cwd=cwd)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [
    ("--help",),
    ("--version",),
    ("example",),
    ("send", "--help"),
    ("simulate", "--jobs", "1", "--instances", "1", "--dry-run", "events.json", "--aurora", "0.14"),
])
def test_non_codegen_commands_do_not_load_codegen(args: tuple[str, ...], tmp_path: Path) -> None:
    assert loaded_by(*args, cwd=tmp_path) == []


def test_codegen_command_loads_codegen() -> None:
    # The probe itself must be able to see codegen loading, else the test above proves nothing.
    loaded = loaded_by("codegen", "missing.thrift", "--package", "p", "--out", "/nonexistent", "--check")
    assert {"aurorakit.codegen", "jinja2", "thriftpy2"} <= set(loaded)
