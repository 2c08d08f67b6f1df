"""A payload read as the default release when it is another's: the error line names the --aurora to give."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURORAKIT_")}
    return subprocess.run([sys.executable, "-m", "aurorakit.runtime.cli.main", *args], capture_output=True,
                          text=True, timeout=120, env=env, check=False)


def test_example_output_decodes_or_names_the_release(tmp_path: Path) -> None:
    example = _cli("example")
    assert example.returncode == 0, example.stderr
    path = tmp_path / "ex.json"
    path.write_text(example.stdout)
    done = _cli("decode", str(path))
    assert done.returncode != 0
    [line] = done.stderr.splitlines()
    assert line.endswith("(read as Aurora 0.22, the default; it reads as 0.14: --aurora 0.14)")
    assert _cli("decode", "--aurora", "0.14", str(path)).returncode == 0
    # Told the release, no hint: the option was chosen.
    assert "the default" not in _cli("decode", "--aurora", "0.22", str(path)).stderr


def test_a_payload_no_release_reads_says_so(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"task": {"status": 1}, "oldState": null}\n')
    [line] = _cli("decode", str(path)).stderr.splitlines()
    assert line.endswith("(read as Aurora 0.22, the default; --aurora names the file's release)")
