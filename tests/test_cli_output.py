"""--json on every command, progress only on a terminal, streamed reading of payload files."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from aurorakit.runtime.aurora.payload_files import open_payload_file
from aurorakit.runtime.cli.main import build_parser, main
from aurorakit.runtime.errors import PayloadError
from shared import ROOT, vector_file, vector_path

VECTORS = "aurora-0.22.0-lifecycles.json"
CASES = vector_file(VECTORS)["cases"]


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_every_command_has_json_and_quiet() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "==SUPPRESS==" or hasattr(a, "choices")
                    and isinstance(a.choices, dict))
    assert isinstance(commands.choices, dict) and len(commands.choices) >= 9
    for name, sub in commands.choices.items():
        options = sub._option_string_actions
        assert "--json" in options and ("-q" in options or "--quiet" in options), name


def test_conformance_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "--json", str(vector_path(VECTORS))]) == 0
    lines = json_lines(capsys.readouterr().out)
    assert lines[-1] == {"type": "totals", "passed": len(CASES), "failed": 0, "unreadable": 0,
                         "file_errors": 0, "interrupted": False}
    assert [line["type"] for line in lines] == ["file", "totals"]


def test_verify_json_counts_each_payload(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--json", str(vector_path(VECTORS))]) == 0
    lines = json_lines(capsys.readouterr().out)
    payloads = [line for line in lines if line["type"] == "payload"]
    assert len(payloads) == len(CASES) and lines[-1]["type"] == "totals"
    assert lines[-1]["payloads"] == len(CASES) and lines[-1]["mismatches"] == 0
    assert lines[-1]["checked"] == sum(p["checked"] for p in payloads) > 0  # type: ignore[misc]


def test_decode_json_gives_each_recorded_hash_by_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "--json", str(vector_path(VECTORS))]) == 0
    events = [line for line in json_lines(capsys.readouterr().out) if line["type"] == "event"]
    assert len(events) == len(CASES)
    first = json.loads(CASES[0]["payload"])  # read independently of the decoder
    hashes = events[0]["hashes"]
    assert isinstance(hashes, dict)
    assert hashes["task.assignedTask.task"] == first["task"]["assignedTask"]["task"]["cachedHashCode"]
    assert events[0]["status"] == first["task"]["status"]


def test_simulate_and_codegen_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "events.jsonl"
    assert main(["simulate", "--json", "--jobs", "2", "--instances", "2", "--events", "30",
                 "--dry-run", str(out)]) == 0
    totals = json_lines(capsys.readouterr().out)[-1]
    assert totals["type"] == "totals" and totals["posted"] == 30 == len(out.read_text().splitlines()) - 1  # after the {"aurora": ..} line
    idl = str(ROOT / "thrift" / "aurora" / "0.22" / "api.thrift")
    assert main(["codegen", "--json", idl, "--package", "aurora_0_22", "--out", str(ROOT / "generated"),
                 "--check"]) == 0
    assert json_lines(capsys.readouterr().out) == [{"type": "totals", "package": "aurora_0_22", "ok": True,
                                                    "stale": 0, "missing": 0, "extra": 0}]


def test_send_json_counters(tmp_path: Path, sink: tuple[str, list[bytes]],
                            capsys: pytest.CaptureFixture[str]) -> None:
    url, bodies = sink
    config = tmp_path / "webhook.json"
    config.write_text(json.dumps({"targetURL": url, "timeoutMsec": 5000, "headers": {}}))
    lines = tmp_path / "events.jsonl"
    transitions = [case for case in CASES if case["oldState"]][:5]  # 0.22 posts transitions only
    lines.write_text("\n".join(case["payload"] for case in transitions) + "\n", encoding="utf-8")
    assert main(["send", "--json", "--config", str(config), "--delivery", "aurora", "--aurora", "0.22",
                 str(lines)]) == 0
    totals = json_lines(capsys.readouterr().out)[-1]
    assert totals["type"] == "totals" and totals["posted"] == 5 == totals["answered_200"]
    assert totals["webhooks_attempts"] == 5 == totals["webhooks_success"]  # 0.22 kept Aurora's counters
    assert len(bodies) == 5


def _stderr_on_a_terminal(argv: list[str]) -> str:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    proc = subprocess.Popen([sys.executable, "-m", "aurorakit.runtime.cli.main", *argv], stdout=subprocess.DEVNULL,
                            stderr=slave, cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal's other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_progress_shows_on_a_terminal_and_not_with_q() -> None:
    path = str(vector_path(VECTORS))
    drawn = _stderr_on_a_terminal(["conformance", path])
    assert path in drawn and "\r" in drawn, drawn  # the bar, labelled with the file, redrawn in place
    assert _stderr_on_a_terminal(["conformance", "-q", path]) == ""


def test_no_progress_when_stderr_is_not_a_terminal() -> None:
    proc = subprocess.run([sys.executable, "-m", "aurorakit.runtime.cli.main", "conformance", str(vector_path(VECTORS))],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0 and proc.stderr == ""


# -- the streaming reader ------------------------------------------------------------
def test_a_pretty_vector_file_is_read_case_by_case_with_its_header(tmp_path: Path, monkeypatch:
                                                                   pytest.MonkeyPatch) -> None:
    data = vector_file(VECTORS)
    monkeypatch.chdir(tmp_path)
    Path("pretty.json").write_text(json.dumps(data, indent=4), encoding="utf-8")
    with open_payload_file("pretty.json") as source:
        assert source.aurora == data["aurora"] and source.identity == data["identity"]
        payloads = list(source)
    assert [p.text for p in payloads] == [c["payload"] for c in data["cases"]]
    assert payloads[0].label == f"pretty.json: case {data['cases'][0]['name']}"  # the path as given


def test_json_lines_labels_are_the_path_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("sub").mkdir()
    Path("sub/e.jsonl").write_text("\n".join([CASES[0]["payload"], "", CASES[1]["payload"]]) + "\n")
    with open_payload_file("sub/e.jsonl") as source:
        assert [p.label for p in source] == ["sub/e.jsonl:1", "sub/e.jsonl:3"]


def test_a_case_without_payload_is_reported_in_place_and_reading_goes_on(tmp_path: Path) -> None:
    data = dict(vector_file(VECTORS))
    data["cases"] = [CASES[0], {"name": "broken"}, CASES[1]]
    path = tmp_path / "v.json"
    path.write_text(json.dumps(data, indent=1))
    with open_payload_file(str(path)) as source:
        got = [(p.label, p.problem) for p in source]
    assert got[1] == (f"{path}: case broken", f"{path}: case broken: no payload string")
    assert got[0][1] is None and got[2][1] is None


def test_deep_nesting_in_a_vector_file_is_a_payload_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"aurora": "0.22.0", "cases": [' + "[" * 100_000 + "]" * 100_000 + "]}")
    with open_payload_file(str(path)) as source, pytest.raises(PayloadError, match="case 0: nested too deeply"):
        list(source)
