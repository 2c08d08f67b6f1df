"""What pip installs: every package of the namespace, its templates and py.typed markers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_folder_is_listed() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    folders = {"codegen": "aurorakit.codegen", "runtime": "aurorakit.runtime", "generated": "aurorakit.generated",
               "thrift": "aurorakit.thrift"}
    found = set()
    for folder, package in folders.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([package, *rel.parts]))
    assert found == listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}; stale: {sorted(listed - found)}"


def test_console_script_runs_help() -> None:
    out = subprocess.run([sys.executable, "-m", "aurorakit.runtime.cli.main", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("codegen", "conformance", "example", "decode", "verify", "calibrate", "receive", "send", "simulate",
                    "diff", "convert"):
        assert command in out.stdout


def test_a_closed_pipe_is_not_an_error() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "aurorakit.runtime.cli.main", "example"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the command has printed anything
    assert proc.wait(timeout=60) == 0
    assert b"Traceback" not in proc.stderr.read()


def test_the_accelerator_is_declared_in_pyproject_and_there_is_no_setup_py() -> None:
    """The top level is the design card's (plus benchmarks/): the optional C extension lives in
    pyproject.toml, optional so that a machine without a compiler installs the pure package."""
    assert not (ROOT / "setup.py").exists()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["setuptools"]["ext-modules"] == [
        {"name": "aurorakit.runtime._speedups", "sources": ["runtime/_speedups.c"],
         "depends": ["runtime/_decode.c"], "optional": True}]
