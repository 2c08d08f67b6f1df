"""aurorakit relay -> JetStream / HTTP targets -> consumers, against a real nats-server (tests/servers.py)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from itertools import count
from pathlib import Path

import pytest
import requests
from servers import NatsServer, free_port
from shared import vector_file

pytest.importorskip("nats", reason="nats-py is not installed (pip install -e '.[test]')")

from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.relay.consume import events, messages
from aurorakit.runtime.relay.http_target import HttpTarget, TargetSpec
from aurorakit.runtime.relay.nats_sink import NatsSink
from aurorakit.runtime.relay.outbox import Outbox
from aurorakit.runtime.relay.relay import Relay, relay_event_id
from aurorakit.runtime.relay.sinks import subject_token, wait_drained
from aurorakit.runtime.webhook.receiver import ReceiverStore, WebhookReceiver
from aurorakit.runtime.webhook.settings import RetryPolicy

CONTENT_TYPE = "application/vnd.kafka.json.v1+json; charset=utf-8"
_clusters = count()
PROFILE = profile_for("0.22")
MODELS = PROFILE.models()


def _bodies(limit: int) -> list[bytes]:
    cases = vector_file("aurora-0.22.0-lifecycles.json")["cases"][:limit]
    return [case["payload"].encode("utf-8") for case in cases]


def _task_of(body: bytes) -> str:
    return str(json.loads(body)["task"]["assignedTask"]["taskId"])


def _by_task(bodies: list[bytes]) -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = {}
    for body in bodies:
        out.setdefault(_task_of(body), []).append(body)
    return out


def assert_each_once_in_task_order(got: list[bytes], sent: list[bytes]) -> None:
    """Every sent body arrived exactly once, byte for byte, and each task's events in the order sent."""
    assert sorted(got) == sorted(sent)
    assert _by_task(got) == _by_task(sent)


@pytest.fixture
def cluster() -> str:
    return f"c{next(_clusters)}-{os.getpid()}"


@pytest.fixture
def target(tmp_path: Path) -> Iterator[WebhookReceiver]:
    store = ReceiverStore(tmp_path / "target.db")
    receiver = WebhookReceiver(store).start()
    yield receiver
    receiver.stop()
    store.close()


def _post(url: str, body: bytes) -> requests.Response:
    return requests.post(url, data=body, headers={"Content-Type": CONTENT_TYPE}, timeout=30)


@pytest.mark.parametrize(("name", "token"), [
    ("www-data", "www-data"), ("a.b", "a%2Eb"), ("*", "%2A"), (">", "%3E"), ("a b\t", "a%20b%09"),
    ("caf\u00e9", "caf%C3%A9"), ("", "%"), ("100%", "100%25"), ("x_y-Z9", "x_y-Z9"),
])
def test_subject_tokens_are_escaped(name: str, token: str) -> None:
    assert subject_token(name) == token


def test_event_id_is_stable_and_per_release() -> None:
    assert relay_event_id("c", "0.22", b"{}") == relay_event_id("c", "0.22", b"{}")
    assert relay_event_id("c", "0.22", b"{}") != relay_event_id("c", "0.14", b"{}")
    assert relay_event_id("c", "0.22", b"{}") != relay_event_id("c", "0.22", b"{ }")
    assert relay_event_id("c", "0.22", b"{}") != relay_event_id("d", "0.22", b"{}")
    # The documented recipe: evt_ + 32 hex digits of SHA-256 over cluster NUL release NUL body.
    assert relay_event_id("c", "0.22", b"{}") == "evt_" + hashlib.sha256(b"c\x000.22\x00{}").hexdigest()[:32]


def test_relay_fans_out_to_jetstream_and_a_target(nats_server: NatsServer, target: WebhookReceiver,
                                                  tmp_path: Path, cluster: str) -> None:
    bodies = _bodies(40)
    outbox = Outbox(tmp_path / "relay.db")
    relay = Relay(outbox, PROFILE, MODELS, [HttpTarget(TargetSpec(target.url)), NatsSink(nats_server.url)],
                  cluster=cluster).start()
    try:
        ids = []
        for body in bodies:
            answer = _post(relay.url, body)
            assert answer.status_code == 200, answer.text
            ids.append(answer.json()["id"])
        assert _post(relay.url, bodies[0]).json() == {"id": ids[0], "duplicate": True}  # Aurora's resend
        assert wait_drained(outbox, 60)
    finally:
        relay.stop()
        outbox.close()
    stored = list(target.store.all())
    assert [d.body for d in stored] == bodies
    assert [d.webhook_id for d in stored] == ids
    got = list(messages(nats_server.url, f"aurora.{cluster}.>"))
    assert_each_once_in_task_order([m.body for m in got], bodies)  # publishes are pipelined across tasks
    assert sorted(m.id for m in got) == sorted(ids)
    first = next(m for m in got if m.body == bodies[0])
    assert first.release == "0.22" and first.task_id == _task_of(bodies[0])
    assert first.subject == f"aurora.{cluster}.www-data.staging.http_example"
    assert first.payload_text() == bodies[0].decode("utf-8")
    second = next(m for m in got if m.body == bodies[1])
    posted = json.loads(bodies[1])  # the statuses travel as headers, read from the body here
    assert (second.new_status, second.old_status) == (posted["task"]["status"], posted["oldState"]["value"])


def test_consume_cli_json_and_typed_iterator(nats_server: NatsServer, tmp_path: Path, cluster: str) -> None:
    bodies = _bodies(4)  # one task's: the stream holds them in this order
    outbox = Outbox(tmp_path / "relay.db")
    relay = Relay(outbox, PROFILE, MODELS, [NatsSink(nats_server.url)], cluster=cluster).start()
    try:
        for body in bodies:
            assert _post(relay.url, body).status_code == 200
        assert wait_drained(outbox, 60)
    finally:
        relay.stop()
        outbox.close()
    done = subprocess.run([sys.executable, "-m", "aurorakit.runtime.cli.main", "consume", "--nats", nats_server.url,
                           "--subject", f"aurora.{cluster}.>", "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["payload"] for line in lines] == [b.decode("utf-8") for b in bodies]
    assert [line["id"] for line in lines] == [relay_event_id(cluster, "0.22", b) for b in bodies]
    assert {line["release"] for line in lines} == {"0.22"}
    all_seqs = [m.stream_seq for m in messages(nats_server.url, f"aurora.{cluster}.>")]
    assert [m.stream_seq for m in messages(nats_server.url, f"aurora.{cluster}.>", from_seq=all_seqs[3])] \
        == all_seqs[3:]
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    assert list(messages(nats_server.url, f"aurora.{cluster}.>", since=future)) == []
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    assert len(list(messages(nats_server.url, f"aurora.{cluster}.>", since=past))) == len(bodies)
    # a durable consumer: what was acked is not delivered again
    durable = f"d{cluster}".replace("-", "_")
    seen = []
    for message in messages(nats_server.url, f"aurora.{cluster}.>", durable=durable):
        seen.append(message.stream_seq)
        if len(seen) == 2:
            break  # the second was never acked: the caller's code did not return to the iterator
    typed = list(events(nats_server.url, f"aurora.{cluster}.>", durable=durable, follow=False))
    assert [e.encode() for e in typed] == [b.decode("utf-8") for b in bodies[1:]]  # the second again, then on
    assert list(messages(nats_server.url, f"aurora.{cluster}.>", durable=durable)) == []  # all acked


def test_bad_payload_is_dead_lettered_and_a_user_error(nats_server: NatsServer, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "relay.db")
    relay = Relay(outbox, PROFILE, MODELS, [NatsSink(nats_server.url)]).start()
    try:
        bad = re.sub(rb'"taskId":"[^"]*"', b'"taskId":5', _bodies(1)[0], count=1)  # a number, not a string
        answer = _post(relay.url, bad)
        assert answer.status_code == 400
        [dead] = outbox.dead()
        assert dead.body == bad and dead.sink is None and dead.reason.startswith("task.assignedTask.taskId: ")
        assert outbox.count() == 0
    finally:
        relay.stop()
        outbox.close()


def test_back_pressure_when_a_target_is_down(tmp_path: Path) -> None:
    bodies = _bodies(5)
    outbox = Outbox(tmp_path / "relay.db")
    down = f"http://127.0.0.1:{free_port()}/"
    relay = Relay(outbox, PROFILE, MODELS, [HttpTarget(TargetSpec(down, retry=RetryPolicy(initial_backoff_msec=5000)))],
                  max_pending=3).start()
    try:
        statuses = [_post(relay.url, body).status_code for body in bodies]
        assert statuses == [200, 200, 200, 503, 503]
        assert outbox.count() == 3
    finally:
        relay.stop()
        outbox.close()


def test_target_4xx_is_dead_lettered_and_later_events_go_on(tmp_path: Path, target: WebhookReceiver) -> None:
    bodies = _bodies(3)
    outbox = Outbox(tmp_path / "relay.db")
    refusing = HttpTarget(TargetSpec(target.url, retry=RetryPolicy(max_attempts=2)))

    def refuse_second(body: bytes) -> dict[str, str]:
        if body == bodies[1]:
            raise ValueError("refused by the test")  # the receiver answers 400
        return {}
    target.decode = refuse_second
    relay = Relay(outbox, PROFILE, MODELS, [refusing]).start()
    try:
        for body in bodies:
            assert _post(relay.url, body).status_code == 200
        assert wait_drained(outbox, 30)
    finally:
        relay.stop()
        outbox.close()
    assert [d.body for d in target.store.all()] == [bodies[0], bodies[2]]
    [dead] = Outbox(tmp_path / "relay.db").dead()
    assert dead.body == bodies[1] and dead.reason == "HTTP 400" and dead.sink == f"http:{target.url}"


def _start_relay(record: Path, nats_url: str, cluster: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "aurorakit.runtime.cli.main", "relay", "--aurora", "0.22",
                                "--port", str(port), "--nats", nats_url, "--record", str(record),
                                "--cluster", cluster], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert "relaying on" in line, line
    return process, f"http://127.0.0.1:{port}/"


def test_relay_sigkilled_before_forwarding_and_nats_restarted(tmp_path: Path, cluster: str) -> None:
    import shutil
    binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
    if not os.path.exists(binary):
        pytest.skip("nats-server not found (apt-get install nats-server)")
    nats = NatsServer(binary, tmp_path / "nats")
    bodies = _bodies(30)
    record = tmp_path / "relay.db"
    # nats-server is down: the relay accepts durably, forwards nothing, then is SIGKILLed
    relay, url = _start_relay(record, nats.url, cluster)
    try:
        for body in bodies[:20]:
            assert _post(url, body).status_code == 200
    finally:
        relay.send_signal(signal.SIGKILL)
        relay.wait(timeout=30)
    nats.start()
    try:
        relay, url = _start_relay(record, nats.url, cluster)
        try:
            for body in bodies[20:25]:
                assert _post(url, body).status_code == 200
            nats.restart(kill=True)  # mid-stream
            for body in bodies[25:]:
                assert _post(url, body).status_code == 200
            deadline = time.monotonic() + 60
            got: list[bytes] = []
            while time.monotonic() < deadline and len(got) < len(bodies):
                got = [m.body for m in messages(nats.url, f"aurora.{cluster}.>")]
                time.sleep(0.5)
        finally:
            relay.terminate()
            relay.wait(timeout=30)
        assert_each_once_in_task_order(got, bodies)
    finally:
        nats.stop()


def test_a_target_down_then_up_gets_every_event_in_order(tmp_path: Path) -> None:
    bodies = _bodies(12)
    outbox = Outbox(tmp_path / "relay.db")
    port = free_port()
    relay = Relay(outbox, PROFILE, MODELS, [HttpTarget(TargetSpec(
        f"http://127.0.0.1:{port}/", retry=RetryPolicy(initial_backoff_msec=50, max_backoff_msec=200)))]).start()
    store = ReceiverStore(tmp_path / "target.db")
    try:
        for body in bodies[:6]:
            assert _post(relay.url, body).status_code == 200
        time.sleep(0.5)  # the target is down: the first event is being retried
        with WebhookReceiver(store, port=port):
            for body in bodies[6:]:
                assert _post(relay.url, body).status_code == 200
            assert wait_drained(outbox, 60)
        assert [d.body for d in store.all()] == bodies
        assert outbox.dead() == []
    finally:
        relay.stop()
        outbox.close()
        store.close()
