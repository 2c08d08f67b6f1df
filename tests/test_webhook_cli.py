"""``aurorakit receive``, ``send`` and ``simulate`` against each other, for real.

The receiver runs as ``aurorakit receive`` in a subprocess on 127.0.0.1
port 0; ``send`` and ``simulate`` run in-process through ``main`` (the same
code path as the console script) and the store is a real SQLite file.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import requests
from aurorakit.runtime.aurora.payload_files import read_payload_file
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.cli.main import main
from aurorakit.runtime.simulate.simulator import Simulator
from aurorakit.runtime.webhook.payloads import compact
from aurorakit.runtime.webhook.receiver import ReceiverStore
from aurorakit.runtime.webhook.signing import decode_secret, signature_headers
from shared import document_path

DOC = document_path()
DOC_TASK_ID = "vagrant-test-http_example-8-a6cf7ec5-d793-49c7-b10f-0e14ab80bfff"
SECRET = "cli-test-secret"


def read_line(stream: IO[str], timeout: float) -> str:
    """One line from a subprocess pipe, or fail after ``timeout`` seconds."""
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not got:
        raise AssertionError(f"no line within {timeout}s")
    return got[0]


def aurorakit(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "aurorakit.runtime.cli.main", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@dataclass
class Receiver:
    url: str
    store: Path
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)  # stdout, stderr, exit status once stopped

    def stop(self) -> tuple[int, str, str]:
        self.process.send_signal(signal.SIGINT)  # Ctrl-C
        out, err = self.process.communicate(timeout=15)
        return self.process.returncode, out, err


@contextmanager
def cli_receiver(tmp_path: Path, *extra: str) -> Iterator[Receiver]:
    store = tmp_path / "received.db"
    process = aurorakit("receive", "--port", "0", "--store", str(store), *extra, cwd=tmp_path)
    try:
        assert process.stdout is not None
        first = read_line(process.stdout, 30)
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+/)", first)
        assert found, f"unexpected first line {first!r}; stderr: {process.stderr.read() if process.stderr else ''}"
        yield Receiver(found.group(1), store, process)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def write_config(path: Path, **keys: Any) -> Path:
    path.write_text(json.dumps({"timeoutMsec": 3000, "headers": {}, **keys}), encoding="utf-8")
    return path


def stored(store: Path) -> list[Any]:
    opened = ReceiverStore(store)
    try:
        return opened.list(100_000)
    finally:
        opened.close()


def test_send_to_the_cli_receiver_everything_arrives_and_decodes(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # Payloads: the documented example (pretty-printed) and a 0.14 simulation as JSON lines.
    events = list(Simulator(3, 2, "0.14", seed=12, renew_jobs=False).events())
    lines = tmp_path / "captured.jsonl"
    lines.write_text("".join(event.encode() + "\n" for event in events), encoding="utf-8")
    texts = [compact(read_payload_file(str(DOC)).payloads[0].text)] + [event.encode() for event in events]
    profile = profile_for("0.14")

    with cli_receiver(tmp_path, "--aurora", "0.14") as receiver:
        config = write_config(tmp_path / "webhook.json", targetURL=receiver.url,
                              headers={"Content-Type": "application/json", "X-Team": "infra",
                                       "Authorization": "Bearer t0ken"})
        assert main(["send", "--config", str(config), "--delivery", "aurora", "--aurora", "0.14",
                     str(DOC), str(lines)]) == 0
        out = capsys.readouterr().out
        assert re.search(rf"answered_200\s+{len(texts)}\n", out), out
        assert re.search(r"answered_other\s+0\n", out) and re.search(r"no_answer\s+0\n", out)
        assert "webhooks_" not in out  # 0.14 kept no counters

        # A payload that does not decode: 400 with the JSON path, nothing stored.
        bad = re.sub(r'"instanceId":\d+', '"instanceId":"x"', texts[1], count=1)
        answer = requests.post(receiver.url, data=bad.encode("latin-1", "replace"), timeout=10)
        assert answer.status_code == 400
        assert answer.json()["path"] == "task.assignedTask.instanceId"
        assert requests.post(receiver.url, data=b"{oops", timeout=10).status_code == 400
        # A repeated webhook-id is answered 200 and stored once.
        for _ in range(2):
            answer = requests.post(receiver.url, data=profile.wire_bytes(texts[1]), timeout=10,
                                   headers={"webhook-id": "msg_repeat"})
            assert answer.status_code == 200
        assert answer.json() == {"stored": False, "duplicate": True}

        status, out, err = receiver.stop()
    assert status == 0, err
    assert f"stopped; {len(texts) + 1} delivery(ies)" in out

    deliveries = stored(receiver.store)
    assert len(deliveries) == len(texts) + 1
    for delivery, text in zip(deliveries, texts):  # aurora mode: one at a time, in order
        assert delivery.body == profile.wire_bytes(text)  # 0.14: low 8 bits of each UTF-16 unit
        # Expected from the JSON itself, not from the decoder the receiver uses.
        sent = json.loads(text)
        task = sent["task"]
        job = task["assignedTask"]["task"]["job"]
        assert delivery.summary == {
            "taskId": task["assignedTask"]["taskId"],
            "job": f"{job['role']}/{job['environment']}/{job['name']}",
            "instance": task["assignedTask"]["instanceId"],
            "oldState": sent["oldState"].get("reference"),  # Optional<ScheduleStatus>: {} when absent
            "status": task["status"],
            "lastEventTimestamp": task["taskEvents"][-1]["timestamp"],
            "hashed": "taskconfig",
            "hashedObjects": len(re.findall(r'"cachedHashCode":-?[1-9]', text)),
        }
        assert delivery.headers["X-Team"] == "infra" and delivery.headers["Authorization"] == "<redacted>"
        assert int(delivery.headers["TimeStamp"]) > 1_600_000_000_000  # 0.14's header name
        assert "Timestamp" not in delivery.headers and delivery.webhook_id is None
    doc = deliveries[0].summary
    assert doc["taskId"] == DOC_TASK_ID and doc["oldState"] is None and doc["status"] == "PENDING"
    assert doc["lastEventTimestamp"] == 1464992060258 and doc["job"] == "vagrant/test/http_example"
    assert [d.summary["oldState"] for d in deliveries[1:7]] == [None] * 6  # 0.14's startup events

    # What the store holds, listed.
    assert main(["receive", "--store", str(receiver.store), "--list", "3"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 3 and "msg_repeat" in listed[-1]
    assert main(["receive", "--store", str(receiver.store), "--list", "1000"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "vagrant/test/http_example/8  - -> PENDING" in first and DOC_TASK_ID in first
    assert "lastEvent=1464992060258" in first and "hashed=taskconfig(" in first
    assert main(["receive", "--store", str(receiver.store), "--tail", "2", "--json"]) == 0
    tail = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["seq"] for row in tail] == [deliveries[-2].seq, deliveries[-1].seq]
    assert tail[-1]["webhookId"] == "msg_repeat" and tail[-1]["summary"] == deliveries[-1].summary


def test_simulate_reliable_and_signed_to_the_cli_receiver(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    statuses = ["RUNNING", "FAILED", "LOST", "KILLED"]
    content_type = "application/json; charset=utf-8"
    with cli_receiver(tmp_path, "--secret", SECRET) as receiver:
        config = write_config(tmp_path / "webhook.json", targetURL=receiver.url,
                              statuses=statuses, headers={"Content-Type": content_type})
        settings = tmp_path / "aurorakit.json"  # aurorakit's own settings, outside webhook.json
        settings.write_text(json.dumps({"signingSecret": SECRET, "spool": "spool.db",
                                        "retry": {"initialBackoffMsec": 20}}), encoding="utf-8")
        assert main(["simulate", "--jobs", "4", "--instances", "3", "--config", str(config), "--seed", "5",
                     "--events", "120", "--settings", str(settings)]) == 0
        out = capsys.readouterr().out
        assert re.search(r"delivered\s+120\n", out) and re.search(r"given_up\s+0\n", out), out
        assert re.search(r"pending\s+0\n", out)

        deliveries = stored(receiver.store)
        # Unsigned: refused. Signed again with a stored event's id: a duplicate, not stored twice.
        assert requests.post(receiver.url, data=deliveries[0].body, timeout=10).status_code == 401
        again = requests.post(receiver.url, data=deliveries[0].body, timeout=10, headers=signature_headers(
            decode_secret(SECRET), str(deliveries[0].webhook_id), deliveries[0].body))
        assert again.status_code == 200 and again.json()["duplicate"] is True

        # A 0.14 payload (numCpus, ...), sent as 0.14, that the 0.22 receiver cannot decode is given
        # up at once (400 is not retried): exit 1.
        old = next(e for e in Simulator(2, 2, "0.14", seed=1).events()
                   if e.old_state and e.new_state.name in statuses)
        (tmp_path / "old.json").write_text(old.encode(), encoding="utf-8")
        config_14 = write_config(tmp_path / "webhook-0.14.json", targetURL=receiver.url,
                                 headers={"Content-Type": content_type})  # 0.14 knew no "statuses"
        assert main(["send", "--config", str(config_14), "--settings", str(settings), "--aurora", "0.14",
                     str(tmp_path / "old.json")]) == 1
        out = capsys.readouterr().out
        assert re.search(r"given_up\s+1\n", out) and re.search(r"delivered\s+0\n", out), out
        status, _, err = receiver.stop()
    assert status == 0, err

    assert len(stored(receiver.store)) == 120
    assert len({d.webhook_id for d in deliveries}) == 120 and None not in {d.webhook_id for d in deliveries}
    assert {d.summary["status"] for d in deliveries} <= set(statuses)
    # The library simulation's Java strings (checked against Java's own payloads elsewhere), in the
    # bytes the Content-Type's charset names: UTF-8, by the behaviour note's rule, written out here
    # rather than taken from event.wire (workers may reorder different tasks).
    texts = [event.encode() for event in itertools.islice(
        Simulator(4, 3, profile_for("0.22"), seed=5, statuses=statuses).events(), 120)]
    assert sorted(d.body for d in deliveries) == sorted(text.encode("utf-8") for text in texts)
    team = b"\xe6\x9d\xb1\xe4\xba\xac-search"  # the simulator's team "Tokyo-search" (kanji) in UTF-8
    assert any(team in d.body for d in deliveries) and all(b"\\u6771" not in d.body for d in deliveries)
    for delivery in deliveries:
        assert delivery.headers["Content-Type"] == content_type and "Timestamp" in delivery.headers


def test_tail_follow_prints_new_deliveries_until_ctrl_c(tmp_path: Path) -> None:
    store_path = tmp_path / "received.db"
    store = ReceiverStore(store_path)
    event = next(Simulator(1, 1, "0.22", seed=1).transitions())
    summary = {"taskId": "t-1", "job": "a/b/c", "instance": 0, "oldState": None, "status": "PENDING",
               "lastEventTimestamp": 1, "hashed": "taskconfig", "hashedObjects": 3}
    store.add(webhook_id="msg_old", path="/", remote="127.0.0.1", headers={}, body=b"{}", summary=summary)
    follower = aurorakit("receive", "--store", str(store_path), "--tail", "1", "--follow", cwd=tmp_path)
    try:
        assert follower.stdout is not None
        assert "msg_old" in read_line(follower.stdout, 30)
        store.add(webhook_id="msg_new", path="/", remote="127.0.0.1", headers={},
                  body=event.wire("0.22"), summary={**summary, "status": "ASSIGNED", "oldState": "PENDING"})
        line = read_line(follower.stdout, 10)
        assert "msg_new" in line and "PENDING -> ASSIGNED" in line
        follower.send_signal(signal.SIGINT)
        assert follower.wait(10) == 0
    finally:
        if follower.poll() is None:
            follower.kill()
        follower.communicate()
        store.close()


@pytest.mark.parametrize("content, key", [
    ('{"targetUrl": "http://127.0.0.1:1/", "timeoutMsec": 5}', "targetUrl: unknown key (did you mean 'targetURL'?)"),
    ('{"targetURL": "http://127.0.0.1:1/", "headers": {}}', "timeoutMsec: missing"),
    ('{"targetURL": "http://127.0.0.1:1/", "timeoutMsec": 5,}', "invalid JSON at line 1"),
    ('{"targetURL": "ftp://x/", "timeoutMsec": 5, "headers": {}}',
     "targetURL: the scheme 'ftp' is not http or https ('ftp://x/'): every event fails (reliable delivery"),
])
def test_bad_config_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           content: str, key: str) -> None:
    config = tmp_path / "webhook.json"
    config.write_text(content, encoding="utf-8")
    for argv in (["send", "--config", str(config), str(DOC)],
                 ["simulate", "--jobs", "1", "--instances", "1", "--config", str(config)]):
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.count("\n") == 1 and captured.err.startswith(f"aurorakit: {config}: "), captured.err
        assert key in captured.err


def test_other_mistakes_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path / "webhook.json", targetURL="http://127.0.0.1:9/")
    monkeypatch.setenv("AURORAKIT_DELIVERY", "aurora")  # no in-memory spool warning
    not_a_payload = tmp_path / "notes.txt"
    not_a_payload.write_text("no payload here\n", encoding="utf-8")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"task": {"status": "RUNNING"}, "oldState": {}}\n', encoding="utf-8")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        cases = [
            (["send", "--config", str(config), str(tmp_path / "missing.json")], "cannot read"),
            (["send", "--config", str(config), str(not_a_payload)], "found no payload"),
            (["send", "--config", str(config), str(broken)], "task.assignedTask.taskId"),
            (["receive", "--store", str(tmp_path / "r.db")], "give --port"),
            (["receive", "--store", str(tmp_path / "none.db"), "--list"], "no such store"),
            (["receive", "--port", str(busy.getsockname()[1]), "--store", str(tmp_path / "r.db")], "cannot listen"),
            (["simulate", "--jobs", "1", "--instances", "1"], "give --config"),
            (["simulate", "--jobs", "1", "--instances", "1", "--dry-run", str(tmp_path / "o.jsonl"),
              "--identity", str(not_a_payload)], "--identity"),
        ]
        for argv, expected in cases:
            assert main(argv) == 2, argv
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and err.startswith("aurorakit: ") and expected in err, (argv, err)


def test_send_counts_failures_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens here once the socket is closed
    config = write_config(tmp_path / "webhook.json", targetURL=f"http://127.0.0.1:{port}/", timeoutMsec=500)
    # 0.14 posts the document's startup event
    assert main(["send", "--config", str(config), "--delivery", "aurora", "--aurora", "0.14", str(DOC), str(DOC)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"posted\s+2\n", out) and re.search(r"no_answer\s+2\n", out), out


def test_simulate_duration_and_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "paced.jsonl"
    assert main(["simulate", "--jobs", "2", "--instances", "2", "--dry-run", str(out), "--rate", "20",
                 "--duration", "0.5"]) == 0
    header, *written = out.read_text(encoding="utf-8").splitlines()
    assert header == '{"aurora": "0.22.0"}'  # the release the lines are of
    assert 3 <= len(written) <= 12, len(written)  # about 0.5 s x 20/s
    assert f"wrote {len(written)} payload(s)" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["receive", "send", "simulate"])
def test_help_teaches_with_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and f"  aurorakit {command} --" in text
    if command == "send":
        assert "targetURL" in text and "signingSecret" in text  # the config keys
    if command == "receive":
        assert "--list" in text and "--tail" in text and "--follow" in text
    with pytest.raises(SystemExit):
        main(["--help"])
    assert f"    {command}" in capsys.readouterr().out


def test_the_module_runs_as_a_script() -> None:
    # The receiver tests start "python -m aurorakit.runtime.cli.main"; make sure that is the CLI.
    done = subprocess.run([sys.executable, "-m", "aurorakit.runtime.cli.main", "send", "--help"], text=True,
                          capture_output=True, timeout=60, env={**os.environ})
    assert done.returncode == 0 and "aurorakit send" in done.stdout
