"""What every command's last moments look like: the error line, lines flushed as they are printed,
and the exit statuses of ``aurorakit diff --release-notes`` (writing and checking the file).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from aurorakit.runtime.cli.main import build_parser, main
from aurorakit.runtime.cli.output import run_command, sigterm_as_ctrl_c
from aurorakit.runtime.errors import UsageError
from shared import ROOT


def test_an_error_raised_on_purpose_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    def handler(args: argparse.Namespace) -> int:
        raise UsageError("--port: 70000 is not a port")

    assert run_command(handler, argparse.Namespace()) == 2
    captured = capsys.readouterr()
    assert captured.err == "aurorakit: --port: 70000 is not a port\n"
    assert captured.out == ""


# A command's process may be killed (SIGKILL, a container stopped) right after a line:
# os._exit skips the buffers' flush at exit, so only lines already flushed arrive.
_EMIT = 'emit(argparse.Namespace(json=True), "file", path="a.json", passed=3)'
_SAY = 'say(argparse.Namespace(json=False), "a.json: 3 passed")'


@pytest.mark.parametrize(("call", "line"), [(_EMIT, '{"type": "file", "path": "a.json", "passed": 3}'),
                                            (_SAY, "a.json: 3 passed")])
def test_a_line_reaches_the_reader_before_the_process_dies(call: str, line: str) -> None:
    script = f"import argparse, os\nfrom aurorakit.runtime.cli.output import emit, say\n{call}\nos._exit(0)\n"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout block-buffered, as usual
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, env=env, check=False)
    assert proc.stdout == line + "\n"


def test_release_notes_written_then_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "CHANGES.md"
    assert main(["diff", "--release-notes", "-o", str(out)]) == 0
    assert f"{out}: written" in capsys.readouterr().err
    # What it wrote is the file the repository keeps current.
    assert out.read_text(encoding="utf-8") == (ROOT / "thrift/aurora/CHANGES.md").read_text(encoding="utf-8")
    assert main(["diff", "--release-notes", "--check", "-o", str(out)]) == 0
    assert f"{out}: up to date" in capsys.readouterr().err
    out.write_text(out.read_text(encoding="utf-8") + "\nedited by hand\n", encoding="utf-8")
    assert main(["diff", "--release-notes", "--check", "-o", str(out)]) == 1
    assert f"{out}: stale" in capsys.readouterr().err
    assert main(["diff", "--release-notes", "--check", "-o", str(tmp_path / "missing.md")]) == 2
    assert "missing.md" in capsys.readouterr().err


def test_sigterm_within_a_command_is_ctrl_c_and_the_old_handler_comes_back() -> None:
    class NotTurned(Exception):
        pass

    def before(signum: int, frame: object) -> None:
        raise NotTurned

    original = signal.signal(signal.SIGTERM, before)
    try:
        with pytest.raises(KeyboardInterrupt), sigterm_as_ctrl_c():
            signal.raise_signal(signal.SIGTERM)
        with pytest.raises(NotTurned):
            signal.raise_signal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, original)


def test_a_command_run_off_the_main_thread_leaves_signals_alone() -> None:
    # Only the main thread may set signal handlers; a command run by a worker thread still runs.
    results: list[int] = []
    worker = threading.Thread(target=lambda: results.append(run_command(lambda args: 7, argparse.Namespace())))
    worker.start()
    worker.join(30)
    assert results == [7]


@pytest.mark.parametrize("url", ["nats://127.0.0.1:4222", "tls://nats.example.com:4222",
                                 "ws://127.0.0.1:8080", "wss://nats.example.com"])
def test_consume_takes_each_nats_url_scheme(url: str) -> None:
    assert build_parser().parse_args(["consume", "--nats", url]).nats == url


def test_consume_refuses_a_url_that_is_not_nats(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        build_parser().parse_args(["consume", "--nats", "http://127.0.0.1:4222"])
    assert ended.value.code == 2
    assert "expected a URL like nats://127.0.0.1:4222" in capsys.readouterr().err


def test_consume_refuses_a_nats_url_with_a_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        build_parser().parse_args(["consume", "--nats", "nats://127.0.0.1:99999"])
    assert ended.value.code == 2
    assert "expected a port number in 'nats://127.0.0.1:99999'" in capsys.readouterr().err
