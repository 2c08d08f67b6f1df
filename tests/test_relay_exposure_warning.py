"""``aurorakit relay`` warns on stderr when it listens beyond loopback with no token, and only then."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

WARNING = "accepts posts from anyone who can reach it"


@pytest.mark.parametrize(("options", "warned"), [
    (["--host", "0.0.0.0", "--allow-unauthenticated"], True),
    (["--host", "127.0.0.1"], False),
    (["--host", "0.0.0.0", "--auth-token-file", "token"], False),
])
def test_relay_warns_only_when_open_to_anyone(tmp_path: Path, options: list[str], warned: bool) -> None:
    (tmp_path / "token").write_text("s3cret-token-for-the-relay-test\n", encoding="utf-8")
    os.chmod(tmp_path / "token", 0o600)
    proc = subprocess.Popen(
        [sys.executable, "-m", "aurorakit.runtime.cli.main", "relay", "--aurora", "0.22", "--port", "0",
         "--target", "http://127.0.0.1:9/", "--record", str(tmp_path / "relay.db"), *options],
        cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline() if proc.stdout else ""  # the relay is listening once it says so
        assert first.startswith("relaying on "), first + (proc.stderr.read() if proc.stderr else "")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (WARNING in err) is warned, err
