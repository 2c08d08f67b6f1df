"""The CLI loads codegen (jinja2, thriftpy2) only for the codegen command, and `--help` and `decode`
start without the delivery, receiver and progress-bar libraries either (each command imports its own
modules when it runs)."""

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


# Any of these loaded by `--help` or `decode` is a command importing another's modules.
DELIVERY_AND_CODEGEN = ("requests", "urllib3", "h11", "tqdm", "ijson", "jinja2", "thriftpy2")

LIBRARIES_PROBE = """
import sys
from aurorakit.runtime.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(" ".join(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def libraries_loaded_by(*argv: str) -> list[str]:
    run = subprocess.run([sys.executable, "-c", LIBRARIES_PROBE.format(heavy=DELIVERY_AND_CODEGEN), *argv],
                         capture_output=True, text=True, timeout=120, check=False)
    return run.stderr.strip().splitlines()[-1].split() if run.stderr.strip() else []


@pytest.mark.parametrize("argv", [("decode", "--help"), ("--help",), ("relay", "--help")])
def test_help_loads_no_delivery_or_codegen_library(argv: tuple[str, ...]) -> None:
    assert libraries_loaded_by(*argv) == []


def test_decode_loads_only_the_payload_reader() -> None:
    from shared import vector_path
    assert libraries_loaded_by("decode", "-q", str(vector_path("aurora-0.22.0.json"))) == ["ijson"]
