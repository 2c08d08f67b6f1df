"""A payload read as the default release when it is another's: the error line names the --aurora to give."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RunCli

Aurorakit = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture()
def aurorakit(cli: RunCli) -> Aurorakit:
    """``aurorakit ARGS`` in this process (conftest's ``cli``), no AURORAKIT_ setting from the environment."""
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("AURORAKIT_")}
    return lambda *args: cli(args, env=unset)


def test_example_output_decodes_or_names_the_release(tmp_path: Path, aurorakit: Aurorakit) -> None:
    example = aurorakit("example")
    assert example.returncode == 0, example.stderr
    path = tmp_path / "ex.json"
    path.write_text(example.stdout)
    done = aurorakit("decode", str(path))
    assert done.returncode != 0
    [line] = done.stderr.splitlines()
    assert line.endswith("(read as Aurora 0.22, the default; it reads as 0.14: --aurora 0.14)")
    assert aurorakit("decode", "--aurora", "0.14", str(path)).returncode == 0
    # Told the release, no hint: the option was chosen.
    assert "the default" not in aurorakit("decode", "--aurora", "0.22", str(path)).stderr


def test_a_payload_no_release_reads_says_so(tmp_path: Path, aurorakit: Aurorakit) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"task": {"status": 1}, "oldState": null}\n')
    [line] = aurorakit("decode", str(path)).stderr.splitlines()
    assert line.endswith("(read as Aurora 0.22, the default; --aurora names the file's release)")
