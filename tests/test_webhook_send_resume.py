"""``aurorakit send`` under faults, as a user runs it: SIGKILL then ``--resume``, the same send
again, a spool on a full filesystem, damaged spools, two senders on one spool, secrets.

Senders run as the real command: a subprocess where a signal ends it, else ``main`` in process
(the ``cli`` fixture); receivers are real HTTP servers on 127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aurorakit.runtime.cli.main import main
from aurorakit.runtime.simulate.simulator import Simulator
from aurorakit.runtime.webhook.spool import Spool, SpoolCounts
from test_webhook_helpers import Answer, Arrival, RecordingServer, small_filesystem, unused_port, wait_until

SECRET = "whsec_c2VuZGVyLXNpZGUtc2VjcmV0LWJ5dGVz"


def payload_file(path: Path, events: int, instances: int = 2) -> Path:
    """JSON lines of a simulated 0.22 scheduler's posted events (every body distinct)."""
    simulator = Simulator(events // 4 + 1, instances, "0.22", seed=3, renew_jobs=True)
    path.write_text("".join(event.encode() + "\n" for event in itertools.islice(simulator.events(), events)),
                    encoding="utf-8")
    return path


_SETTING_KEYS = ("workers", "retry", "spool", "delivery", "aurora")  # aurorakit's, outside webhook.json


def config_file(path: Path, url: str, spool: Path | None, **keys: Any) -> Path:
    """webhook.json at ``path``; aurorakit's own settings beside it (see :func:`config_args`)."""
    config = {"targetURL": url, "timeoutMsec": 5000, "workers": 2,
              "headers": {"Content-Type": "application/json; charset=utf-8"},
              "retry": {"initialBackoffMsec": 10, "maxBackoffMsec": 100, "maxAttempts": 100_000}, **keys}
    if spool is not None:
        config["spool"] = str(spool)
    settings = {key: config.pop(key) for key in _SETTING_KEYS if key in config}
    settings_path(path).write_text(json.dumps(settings), encoding="utf-8")
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def settings_path(config: Path) -> Path:
    return config.with_name(config.stem + ".settings.json")


def config_args(config: Path) -> list[str]:
    return ["--config", str(config), "--settings", str(settings_path(config))]


RunCli = Callable[..., subprocess.CompletedProcess[str]]


def run_send_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aurorakit.runtime.cli.main", "send", *args], text=True,
                          capture_output=True, timeout=120)


def counters(out: str) -> dict[str, int]:
    return {name: int(value) for name, value in re.findall(r"^(\w+)\s+(\d+)$", out, re.MULTILINE)}


def rows_in(spool: Path) -> int:
    """Events in a spool file, read without taking its lock (a sender may hold it)."""
    with sqlite3.connect(f"file:{spool}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])


def delivered_in(spool: Path) -> int:
    """Events the spool has recorded as delivered, read without taking its lock."""
    with sqlite3.connect(f"file:{spool}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM events WHERE state = 'delivered'").fetchone()[0])


def ids_by_body(arrivals: list[Arrival]) -> dict[bytes, str | None]:
    """Each body's webhook-id; fails if one body ever came under two ids."""
    seen: dict[bytes, str | None] = {}
    for arrival in arrivals:
        assert arrival.body is not None
        assert seen.setdefault(arrival.body, arrival.webhook_id) == arrival.webhook_id, "a body under two ids"
    return seen


class Gate:
    """Answers 200, but from the ``hold_from``-th request on holds each until released."""

    def __init__(self, hold_from: int) -> None:
        self.hold_from = hold_from
        self.held = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, number: int) -> Answer:
        if number >= self.hold_from and not self.release.is_set():
            with self._lock:
                self.held += 1
            self.release.wait(30)
        return Answer()


def test_sigkill_mid_send_then_resume_then_the_same_send_again(tmp_path: Path, cli: RunCli) -> None:
    lines = payload_file(tmp_path / "events.jsonl", 60)
    spool = tmp_path / "spool.db"
    gate = Gate(hold_from=15)
    with RecordingServer(gate) as server:
        config = config_file(tmp_path / "webhook.json", server.url, spool)
        sender = subprocess.Popen([sys.executable, "-m", "aurorakit.runtime.cli.main", "send", *config_args(config),
                                   str(lines)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # Both workers wait on an answer, every event was accepted into the spool, and the 14 answered
            # are recorded (the keeper settles answers in batches: one not yet recorded would be sent again).
            assert wait_until(lambda: gate.held == 2 and spool.exists() and rows_in(spool) == 60, 30), gate.held
            assert wait_until(lambda: delivered_in(spool) == 14, 10), delivered_in(spool)
            sender.send_signal(signal.SIGKILL)
            assert sender.wait(10) == -signal.SIGKILL
        finally:
            if sender.poll() is None:
                sender.kill()
            sender.communicate()
        gate.release.set()  # the two held requests are answered; no one hears it
        assert wait_until(lambda: len(server.arrivals) == 16, 5)
        before_resume = ids_by_body(server.arrivals)
        assert len(before_resume) == 16

        resumed = cli(["send", *config_args(config), "--resume"])
        assert resumed.returncode == 0, resumed.stderr
        stats = counters(resumed.stdout)
        # Leased and never acknowledged: the two in flight, and up to the lease window (4 per worker) besides.
        recovered = re.search(r"(\d+) leased event\(s\) never acknowledged will be sent", resumed.stderr)
        assert recovered is not None and 2 <= int(recovered.group(1)) <= 8, resumed.stderr
        assert stats["delivered"] == 60 - 14 and stats["pending"] == 0 and stats["given_up"] == 0
        after_resume = ids_by_body(server.arrivals)  # the two resent events kept their ids
        assert len(after_resume) == 60 and len(server.arrivals) == 62
        assert {body: after_resume[body] for body in before_resume} == before_resume

        again = cli(["send", *config_args(config), str(lines)])  # same input: nothing is sent twice
        assert again.returncode == 0, again.stderr
        assert counters(again.stdout)["duplicates"] == 60 and counters(again.stdout)["delivered"] == 0
        assert len(server.arrivals) == 62

        fresh = config_file(tmp_path / "fresh.json", server.url, tmp_path / "fresh.db")
        elsewhere = run_send_process(*config_args(fresh), str(lines))  # another spool, another process
        assert elsewhere.returncode == 0, elsewhere.stderr
        assert ids_by_body(server.arrivals) == after_resume  # the same ids, derived from the events
    ids = set(after_resume.values())
    assert len(ids) == 60 and all(re.fullmatch(r"msg_[0-9a-f]{32}", str(i)) for i in ids)
    assert Spool(spool, create=False).counts() == SpoolCounts(delivered=60)


def test_a_spool_on_a_full_filesystem_ends_the_run_with_one_reason(tmp_path: Path, cli: RunCli) -> None:
    lines = payload_file(tmp_path / "events.jsonl", 2000, instances=10)
    with small_filesystem(tmp_path / "small", 1024) as folder, RecordingServer() as server:
        spool = folder / "spool.db"
        done = cli(["send", *config_args(config_file(tmp_path / "webhook.json", server.url, spool)), str(lines)])
        arrived = ids_by_body(server.arrivals)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = done.stderr.splitlines()
    assert 2 <= len(errors) <= 4 and all(line.startswith("aurorakit: ") for line in errors), errors
    assert any(f"spool {spool}: cannot write: database or disk is full" in line for line in errors), errors
    stats = counters(done.stdout)
    assert stats["not_accepted"] > 0
    assert f"aurorakit: {stats['not_accepted']} event(s) not accepted by the spool" in done.stderr
    assert stats["delivered"] + stats["given_up"] + stats["pending"] + stats["not_accepted"] == 2000
    # An answer whose outcome the full disk kept from being recorded stays pending (sent again later):
    # at most the lease window's worth (4 per worker, 2 workers).
    assert stats["delivered"] <= len(arrived) <= stats["delivered"] + 8 and stats["given_up"] == 0
    if stats["pending"]:
        assert f"{stats['pending']} event(s) not delivered yet; they stay in the spool {spool}" in done.stdout


@pytest.mark.parametrize("damage, message", [
    ("missing", "no such file (nothing to resume"),
    ("empty", "empty file (0 bytes), not a spool"),
    ("garbage", "damaged or not a spool (file is not a database)"),
])
def test_a_spool_that_cannot_be_resumed_is_one_line_and_exit_2(tmp_path: Path, damage: str, message: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    spool = tmp_path / "spool.db"
    if damage == "empty":
        spool.write_bytes(b"")
    elif damage == "garbage":
        spool.write_bytes(os.urandom(8192))
    config = config_file(tmp_path / "webhook.json", "http://127.0.0.1:9/", spool)
    lines = payload_file(tmp_path / "events.jsonl", 5)
    for argv in (["send", *config_args(config), "--resume"], ["send", *config_args(config), str(lines)]):
        if damage == "missing" and "--resume" not in argv:
            continue  # a first send makes its spool
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"aurorakit: spool {spool}: {message}"), err
    assert (spool.read_bytes() if spool.exists() else None) == (None if damage == "missing" else spool.read_bytes())


def test_a_damaged_spool_is_salvaged_and_sent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = payload_file(tmp_path / "events.jsonl", 300)
    spool = tmp_path / "spool.db"
    config = config_file(tmp_path / "webhook.json", "http://127.0.0.1:9/", spool, timeoutMsec=100)
    assert main(["send", *config_args(config), str(lines), "--wait", "0"]) == 1  # nothing listens: all left
    assert counters(capsys.readouterr().out)["pending"] == 300
    os.truncate(spool, spool.stat().st_size // 2)
    assert main(["send", *config_args(config), "--resume"]) == 2
    assert f"mv {spool} {spool}.damaged" in capsys.readouterr().err
    spool.rename(tmp_path / "spool.db.damaged")
    with RecordingServer() as server:
        config_file(config, server.url, spool)
        assert main(["send", *config_args(config), "--salvage", str(tmp_path / "spool.db.damaged")]) == 0
        out = capsys.readouterr().out
    found = re.search(r"(\d+) event\(s\) salvaged \((?:\d+ \w+, )*(\d+) pending\); (\d+) unreadable", out)
    assert found, out
    assert int(found.group(1)) + int(found.group(3)) <= 300 and int(found.group(1)) >= 50
    assert counters(out)["delivered"] == int(found.group(2)) == len(ids_by_body(server.arrivals))


def test_a_second_sender_on_one_spool_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spool = tmp_path / "spool.db"
    config = config_file(tmp_path / "webhook.json", "http://127.0.0.1:9/", spool)
    first = Spool(spool)  # another sender holds it
    try:
        assert main(["send", *config_args(config), str(payload_file(tmp_path / "e.jsonl", 3))]) == 2
        err = capsys.readouterr().err
        assert err == (f"aurorakit: spool {spool} is in use by another sender (process {os.getpid()}); "
                       f"wait for it to end, or give each sender its own spool\n")
    finally:
        first.close()


def standard_webhooks_signature(key: bytes, arrival: Arrival) -> str:
    """v1 signature as the Standard Webhooks spec defines it: HMAC-SHA256 of "id.timestamp.body"."""
    signed = f"{arrival.headers['webhook-id']}.{arrival.headers['webhook-timestamp']}.".encode() + (arrival.body or b"")
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


@pytest.mark.parametrize("source", ["env", "file", "option"])
def test_the_signing_secret_from_the_environment_a_file_or_the_command_line(tmp_path: Path, source: str,
                                                                          cli: RunCli) -> None:
    lines = payload_file(tmp_path / "events.jsonl", 3)
    env: dict[str, str | None] = {"AURORAKIT_WEBHOOK_SECRET": None}
    secret_args: list[str] = []
    if source == "env":
        env["AURORAKIT_WEBHOOK_SECRET"] = SECRET
    elif source == "file":
        (tmp_path / "secret").write_text(SECRET + "\n", encoding="utf-8")
        secret_args = ["--secret-file", str(tmp_path / "secret")]
    else:
        secret_args = ["--secret", SECRET]
    with RecordingServer() as server:
        config = config_file(tmp_path / "webhook.json", server.url, tmp_path / "spool.db")
        done = cli(["send", *config_args(config), str(lines), *secret_args], env=env)
    assert done.returncode == 0, done.stderr
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    assert len(server.arrivals) == 3
    for arrival in server.arrivals:
        assert arrival.headers["webhook-signature"] == standard_webhooks_signature(key, arrival)
    assert SECRET not in done.stdout + done.stderr


def test_secret_mistakes_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = payload_file(tmp_path / "events.jsonl", 1)
    config = config_file(tmp_path / "webhook.json", "http://127.0.0.1:9/", None)
    aurora = config_file(tmp_path / "aurora.json", "http://127.0.0.1:9/", None, delivery="aurora")
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    cases = [
        ([*config_args(config), "--secret-file", str(tmp_path / "nope")], f"--secret-file {tmp_path / 'nope'}: "
                                                                            "cannot read: No such file"),
        ([*config_args(config), "--secret-file", str(tmp_path / "empty")], "the file is empty"),
        ([*config_args(config), "--secret", "whsec_!!"], "--secret: not valid base64"),
        ([*config_args(aurora), "--secret", SECRET], "delivery 'aurora' does not sign"),
        ([*config_args(config)], "give the payload FILEs (or --resume"),
        ([*config_args(config), "--resume"], "--resume: "),
    ]
    for argv, expected in cases:
        assert main(["send", *argv, *([] if "--resume" in argv or argv[-1] == str(settings_path(config)) else [str(lines)])]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("aurorakit: ") and expected in err, (argv, err)
        assert "whsec_!!" not in err


def test_repeats_within_one_input_are_all_sent_and_sending_it_again_sends_none(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A capture holds an event posted three times (as 0.14 re-announced stored tasks at each start).
    line = payload_file(tmp_path / "one.jsonl", 1).read_text(encoding="utf-8")
    (tmp_path / "three.jsonl").write_text(line * 3, encoding="utf-8")
    with RecordingServer() as server:
        config = config_file(tmp_path / "webhook.json", server.url, tmp_path / "spool.db")
        assert main(["send", *config_args(config), str(tmp_path / "three.jsonl")]) == 0
        assert counters(capsys.readouterr().out)["delivered"] == 3
        assert main(["send", *config_args(config), str(tmp_path / "three.jsonl")]) == 0
        assert counters(capsys.readouterr().out)["duplicates"] == 3
    first, second, third = (a.webhook_id or "" for a in server.arrivals)
    assert (second, third) == (first + ".1", first + ".2")
    assert len({a.body for a in server.arrivals}) == 1


def test_simulated_restarts_re_announce_every_task_and_each_is_sent(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with RecordingServer() as server:
        config = config_file(tmp_path / "webhook.json", server.url, tmp_path / "spool.db", aurora="0.14")
        assert main(["simulate", "--jobs", "3", "--instances", "2", *config_args(config),
                     "--failover-every", "1", "--events", "300", "--seed", "2"]) == 0
        stats = counters(capsys.readouterr().out)
    bodies = [a.body for a in server.arrivals]
    assert len(bodies) > len(set(bodies))  # byte-identical startup events were posted again
    assert stats["delivered"] == len(server.arrivals) == 300 and stats["duplicates"] == 0
    assert len({a.webhook_id for a in server.arrivals}) == 300


def test_ctrl_c_ends_with_exact_counters_and_resume_sends_the_rest(tmp_path: Path, cli: RunCli) -> None:
    lines = payload_file(tmp_path / "events.jsonl", 40)
    spool = tmp_path / "spool.db"
    port = unused_port()  # nothing listens yet: every attempt fails and is retried
    config = config_file(tmp_path / "webhook.json", f"http://127.0.0.1:{port}/hook", spool)
    sender = subprocess.Popen([sys.executable, "-m", "aurorakit.runtime.cli.main", "send", *config_args(config),
                               str(lines)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: spool.exists() and rows_in(spool) == 40, 30)
        sender.send_signal(signal.SIGINT)
        out, err = sender.communicate(timeout=30)
    finally:
        if sender.poll() is None:
            sender.kill()
            sender.communicate()
    assert sender.returncode == 130 and "Traceback" not in err, err
    stats = counters(out)
    assert (stats["delivered"], stats["given_up"], stats["pending"]) == (0, 0, 40), out
    assert stats["webhooks_attempts"] == stats["webhooks_errors"] > 0
    with RecordingServer(port=port) as server:
        resumed = cli(["send", *config_args(config), "--resume"])
    assert resumed.returncode == 0, resumed.stderr
    assert counters(resumed.stdout)["delivered"] == 40 == len(ids_by_body(server.arrivals))
