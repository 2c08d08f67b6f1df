"""Every mistake a user can make gets one line naming the place, exit 2, and no traceback.

Each invocation runs the command line's ``main(argv)`` in this process, from
the folder of bad files, with its own standard input (a process each would
cost most of this file's time in interpreter starts), and the test checks the
exit status, that nothing escapes ``main`` (a traceback, in a user's shell),
that stderr holds one line, and that the line names the file, line, option or
key at fault. A sample of the mistakes also runs as its own process, exactly
as a user would run it, so the console entry point is held to the same rules.
Ctrl-C (SIGINT) in the middle of long commands ends them with exit 130 after
exact totals (real processes: a signal is what is tested).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from shared import ROOT, vector_file, vector_path

AURORAKIT = [sys.executable, "-m", "aurorakit.runtime.cli.main"]
IDL = str(ROOT / "thrift" / "aurora" / "0.22" / "api.thrift")
PAYLOADS = [case["payload"] for case in vector_file("aurora-0.22.0-lifecycles.json")["cases"]]


def run(argv: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The command as its own process, as a user runs it."""
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run([*AURORAKIT, *argv], cwd=cwd, input=stdin, capture_output=True, text=True,
                          timeout=180, env=env)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of bad (and a few good) files, named as a user would have them."""
    d = tmp_path_factory.mktemp("mistakes")
    (d / "adir").mkdir()
    (d / "empty.json").write_text("")
    (d / "bin.dat").write_bytes(bytes(range(256)) * 4)
    (d / "notes.txt").write_text("no payload here\n")
    (d / "notjson.json").write_text("{not json\n")
    full = vector_path("aurora-0.22.0.json").read_text(encoding="utf-8")
    (d / "trunc.json").write_text(full[: len(full) // 3], encoding="utf-8")  # breaks off inside a case
    (d / "truncevent.json").write_text(PAYLOADS[0][:500], encoding="utf-8")
    (d / "deep.json").write_text('{"task":' * 3000 + "1" + "}" * 3000)
    (d / "deeparr.json").write_text("[" * 100_000 + "]" * 100_000)
    (d / "deepvec.json").write_text('{"aurora": "0.22.0", "identity": ' + "[" * 200_000 + "]" * 200_000 + "}")
    (d / "badid.json").write_text(json.dumps({"identity": {"NotAKey": 1}}))
    (d / "bad.thrift").write_text("struct A {\n  1: i32 x\n")
    (d / "afile").write_text("")
    (d / "good.json").write_text(PAYLOADS[0], encoding="utf-8")
    config = {"targetURL": "http://127.0.0.1:9/", "timeoutMsec": 500, "headers": {}}
    (d / "webhook.json").write_text(json.dumps(config))
    (d / "relspool.json").write_text(json.dumps(config))  # sent with --spool no/such/dir/spool.db
    (d / "badkey.json").write_text(json.dumps({**config, "timeoutMsec": "soon"}))
    return d


CASES: list[tuple[list[str], str]] = [
    # payload files: missing, a directory, empty, binary, truncated, too deep, not payloads, stdin
    (["decode", "missing.json"], "missing.json: cannot read: No such file"),
    (["decode", "adir"], "adir: cannot read: is a directory"),
    (["decode", "empty.json"], "empty.json: empty file"),
    (["decode", "bin.dat"], "bin.dat:1: "),
    (["decode", "trunc.json"], "trunc.json: case "),
    (["decode", "truncevent.json"], "truncevent.json: malformed JSON"),
    (["decode", "deep.json"], "deep.json: malformed JSON: nested too deeply"),
    (["decode", "notes.txt"], "notes.txt: found no payload"),
    (["decode", "deepvec.json"], "deepvec.json: identity: nested too deeply"),
    (["decode", "-"], "-: empty file"),
    (["verify", "bin.dat"], "bin.dat:1: "),
    (["conformance", "trunc.json"], "trunc.json: case "),
    (["calibrate", "empty.json", "-o", "id.json"], "empty.json: empty file"),
    # identity files
    (["verify", "good.json", "--identity", "badid.json"], "badid.json: IdentityTable: identity key"),
    (["verify", "good.json", "--identity", "missing.json"], "missing.json: cannot read"),
    (["verify", "good.json", "--identity", "bin.dat"], "bin.dat: not UTF-8"),
    (["verify", "good.json", "--identity", "notjson.json"], "notjson.json:1: not JSON"),
    (["verify", "good.json", "--identity", "adir"], "adir: cannot read"),
    (["verify", "good.json", "--identity", "deeparr.json"], "deeparr.json: nested too deeply"),
    (["calibrate", "good.json", "-o", "id.json", "--start", "notjson.json"], "notjson.json:1: not JSON"),
    # models
    (["verify", "good.json", "--models", "json"], "--models json: not a models package"),
    (["decode", "good.json", "--models", "no_such_models_pkg"], "--models no_such_models_pkg: cannot import"),
    (["conformance", "good.json", "--models", "../models"], "--models ../models"),
    (["decode", "good.json", "--aurora", "9.9"], "--aurora 9.9: unknown Aurora release"),
    (["decode", "good.json", "--aurora", "0.16"], "good.json: task.timesPartitioned: unknown field"),  # a 0.22 payload
    (["decode", "good.json", "--idl", "bad.thrift"], "bad.thrift:2: "),
    (["decode", "good.json", "--idl", "missing.thrift"], "missing.thrift: "),
    # unwritable outputs
    (["calibrate", "good.json", "-o", "adir"], "adir: cannot write the identity table"),
    (["calibrate", "good.json", "-o", "no/such/dir/id.json"], "no/such/dir/id.json: cannot write"),
    (["example", "--identity-out", "adir"], "adir: cannot write the identity table"),
    (["codegen", IDL, "--package", "p", "--out", "afile/sub"], "afile/sub: cannot write the generated package"),
    (["codegen", IDL, "--package", "1p", "--out", "gen"], "package name '1p'"),
    (["codegen", "missing.thrift", "--package", "p", "--out", "gen"], "missing.thrift: "),
    (["codegen", "bad.thrift", "--package", "p", "--out", "gen"], "bad.thrift:2: "),
    (["codegen", "adir", "--package", "p", "--out", "gen"], "adir: "),
    (["example", "--doc", "bin.dat"], "bin.dat:1: "),
    # ports and stores
    (["receive", "--port", "99999", "--store", "r.db"], "--port: expected a port number from 0 to 65535, got '99999'"),
    (["receive", "--port", "-1", "--store", "r.db"], "--port: expected a port number from 0 to 65535, got '-1'"),
    (["receive", "--port", "http", "--store", "r.db"], "--port: expected a port number from 0 to 65535, got 'http'"),
    (["receive", "--port", "0", "--store", "adir"], "adir: cannot open the store"),
    (["receive", "--store", "bin.dat", "--list"], "bin.dat: not a receiver store"),
    (["receive", "--store", "missing.db", "--tail"], "missing.db: no such store"),
    # webhook configs and spools
    (["send", "--config", "missing.json", "good.json"], "missing.json: cannot read"),
    (["send", "--config", "bin.dat", "good.json"], "bin.dat: "),
    (["send", "--config", "notjson.json", "good.json"], "notjson.json: "),
    (["send", "--config", "badkey.json", "good.json"], "badkey.json: timeoutMsec: "),
    (["send", "--config", "deeparr.json", "good.json"], "deeparr.json: nested too deeply"),
    (["send", "--config", "relspool.json", "--spool", "no/such/dir/spool.db", "good.json"],
     "spool no/such/dir/spool.db: cannot open it"),
    (["send", "--config", "webhook.json", "--delivery", "aurora", "missing.json"], "missing.json: cannot read"),
    (["send", "--config", "webhook.json", "--delivery", "aurora", "truncevent.json"], "truncevent.json: "),
    (["simulate", "--jobs", "1", "--instances", "1", "--dry-run", "adir"], "--dry-run adir: "),
    (["simulate", "--jobs", "1", "--instances", "1", "--dry-run", "o.jsonl", "--identity", "bin.dat"], "bin.dat"),
    (["simulate", "--jobs", "1", "--instances", "1", "--dry-run", "o.jsonl", "--models", "json"], "--models json"),
    (["simulate", "--jobs", "0", "--instances", "1", "--dry-run", "o.jsonl"], "--jobs: expected a whole number > 0, got '0'"),
    (["simulate", "--jobs", "1", "--instances", "1", "--config", "relspool.json", "--spool", "no/such/dir/spool.db"],
     "spool no/such/dir/spool.db"),
    # the command line itself
    (["decoed", "good.json"], "invalid choice: 'decoed'"),
    (["decode"], "the following arguments are required: FILE"),
]


def test_there_are_at_least_forty_mistakes() -> None:
    assert len(CASES) >= 40


def one_line_naming(place: str, proc: subprocess.CompletedProcess[str]) -> bool:
    lines = proc.stderr.splitlines()
    return (proc.returncode == 2 and "Traceback" not in proc.stderr and len(lines) == 1 and place in lines[0]
            and lines[0].startswith("aurorakit"))


def test_each_mistake_is_one_line_naming_the_place_and_exit_2(work: Path, cli: Callable[..., Any]) -> None:
    wrong = []
    for argv, place in CASES:
        proc = cli(argv, work)
        if not one_line_naming(place, proc):
            wrong.append(f"{argv}: exit {proc.returncode}, stderr {proc.stderr[-600:]!r}")
    assert not wrong, "\n".join(wrong)


# One of each kind: a file, standard input, a usage error, a webhook config, codegen (loaded only for it).
AS_PROCESSES = [case for case in CASES if case[0] in (
    ["decode", "missing.json"], ["decode", "-"], ["decoed", "good.json"],
    ["send", "--config", "badkey.json", "good.json"], ["codegen", "bad.thrift", "--package", "p", "--out", "gen"])]


def test_mistakes_are_one_line_from_the_console_command_too(work: Path) -> None:
    assert len(AS_PROCESSES) == 5
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda case: (case, run(case[0], work)), AS_PROCESSES))
    wrong = [f"{argv}: exit {proc.returncode}, stderr {proc.stderr[-600:]!r}"
             for (argv, place), proc in results if not one_line_naming(place, proc)]
    assert not wrong, "\n".join(wrong)


def test_a_bad_payload_in_the_middle_is_reported_and_the_run_goes_on(work: Path,
                                                                    cli: Callable[..., Any]) -> None:
    mixed = work / "mixed.jsonl"
    mixed.write_bytes("\n".join([PAYLOADS[0], PAYLOADS[1][:300], PAYLOADS[2]]).encode("utf-8")
                      + b"\n\xff\xfe\n" + PAYLOADS[3].encode("utf-8") + b"\n")
    for command, totals in (("decode", "3 payload(s) decoded; 2 payload(s) could not be read"),
                            ("verify", "3 payload(s): "),
                            ("conformance", "3 passed, 1 failed; 1 payload(s) could not be read")):
        proc = cli([command, "mixed.jsonl"], work)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        if command != "conformance":  # conformance counts a payload that does not decode as failed
            assert "aurorakit: mixed.jsonl:2: " in proc.stderr, proc.stderr
        assert "aurorakit: mixed.jsonl:4: not UTF-8 text" in proc.stderr, proc.stderr
        assert proc.stdout.splitlines()[-1].startswith(totals), proc.stdout[-300:]


# -- Ctrl-C ---------------------------------------------------------------------------
def start(argv: list[str], cwd: Path) -> subprocess.Popen[str]:
    """A command whose SIGINT is Python's (even if this test's parent ignores it), output unbuffered."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen([*AURORAKIT, *argv], cwd=cwd, env=env, text=True, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def wait_for(condition: Callable[[], bool], what: str, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize("argv, marker, totals", [
    (["decode", "-"], "aurorakit: -:6: ", "5 payload(s) decoded; 1 payload(s) could not be read, interrupted"),
    (["verify", "-"], "aurorakit: -:6: ", "5 payload(s): "),
    (["conformance", "-"], "FAIL -:6", "5 passed, 1 failed; interrupted"),
    (["calibrate", "-", "-o", "ctrl-c-identity.json"], "aurorakit: -:6: ", "5 payload(s) read; interrupted"),
])
def test_ctrl_c_while_reading_stdin_prints_exact_totals(work: Path, argv: list[str], marker: str,
                                                        totals: str) -> None:
    proc = start(argv, work)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    for payload in PAYLOADS[:5]:
        proc.stdin.write(payload + "\n")
    proc.stdin.write(PAYLOADS[5][:300] + "\n")  # a bad line: its report shows the command is in its loop
    proc.stdin.write(PAYLOADS[6][:100])  # the next payload is still coming when Ctrl-C is pressed
    proc.stdin.flush()
    watched = proc.stdout if marker.startswith("FAIL") else proc.stderr
    seen: list[str] = []
    while not any(marker in line for line in seen):
        line = watched.readline()
        assert line, f"the command ended before reporting line 6: {seen}"
        seen.append(line)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out[-300:], err)
    assert "Traceback" not in err, err
    last = out.splitlines()[-1]
    assert last.startswith(totals) and "interrupted" in last, last
    if argv[0] == "calibrate":
        assert not (work / "ctrl-c-identity.json").exists()


def test_ctrl_c_in_simulate_counts_exactly_what_it_wrote(work: Path) -> None:
    out_file = work / "ctrl-c.jsonl"
    proc = start(["simulate", "--jobs", "3", "--instances", "2", "--dry-run", str(out_file), "--rate", "40",
                  "--events", "100000"], work)
    wait_for(lambda: out_file.exists() and out_file.stat().st_size > 20_000, "simulated events")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    header, *lines = out_file.read_text(encoding="utf-8").splitlines()
    assert header == '{"aurora": "0.22.0"}'  # the release the JSON lines are of
    written = len(lines)
    assert f"wrote {written} payload(s) to {out_file}" in out, out


def test_ctrl_c_in_send_counts_exactly_what_was_sent(work: Path, sink: tuple[str, list[bytes]]) -> None:
    url, bodies = sink
    config = work / "sink.json"
    config.write_text(json.dumps({"targetURL": url, "timeoutMsec": 5000, "headers": {}}))
    proc = start(["send", "--config", str(config), "--delivery", "aurora", "--aurora", "0.22", "-"], work)
    assert proc.stdin is not None
    for payload in PAYLOADS[:4]:
        proc.stdin.write(payload + "\n")
    proc.stdin.flush()
    wait_for(lambda: len(bodies) >= 3, "three deliveries")
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    posted = next(line for line in out.splitlines() if line.startswith("posted"))  # 0.14 kept no webhooks_*
    assert posted.split() == ["posted", str(len(bodies))], out


def test_a_port_in_use_is_one_line(work: Path, cli: Callable[..., Any]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        proc = cli(["receive", "--port", str(busy.getsockname()[1]), "--store", "busy.db"], work)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "cannot listen on 127.0.0.1:" in proc.stderr, proc.stderr
