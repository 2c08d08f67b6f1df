"""How issue 14 is checked, on this machine: Java-made payloads replayed into an ``aurorakit relay``
process with nats-server and PostgreSQL running; the relay SIGKILLed and nats-server killed mid-stream,
PostgreSQL restarted; consumers counting every id.

The relay forwards to NATS JetStream and to an HTTP target, a receiver whose store is PostgreSQL.
Expected: every accepted event in the stream and in PostgreSQL once (none missing, none twice), its
bytes as posted, each task's events in the order posted; a durable consumer that lives through
it all sees every id (at least once: only redeliveries repeat).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from servers import NatsServer, PostgresServer, free_port
from shared import vector_file

pytest.importorskip("nats", reason="nats-py is not installed (pip install -e '.[test]')")
pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")

from aurorakit.runtime.relay.consume import StreamMessage, messages
from aurorakit.runtime.relay.pg_store import PostgresReceiverStore
from aurorakit.runtime.webhook.receiver import WebhookReceiver

CONTENT_TYPE = "application/vnd.kafka.json.v1+json; charset=utf-8"


def _task_of(body: bytes) -> str:
    return str(json.loads(body)["task"]["assignedTask"]["taskId"])


def scheduler_traffic(limit: int) -> list[bytes]:
    """The lifecycle vectors' events, tasks interleaved as a scheduler running them at once would post
    them (each task's own events in their order)."""
    by_task: dict[str, list[bytes]] = {}
    for case in vector_file("aurora-0.22.0-lifecycles.json")["cases"][:limit]:
        body = case["payload"].encode("utf-8")
        by_task.setdefault(_task_of(body), []).append(body)
    queues = list(by_task.values())
    out: list[bytes] = []
    while any(queues):
        for queue in queues:
            if queue:
                out.append(queue.pop(0))
    return out


def per_task(bodies: list[bytes]) -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = {}
    for body in bodies:
        out.setdefault(_task_of(body), []).append(body)
    return out


class RelayProcess:
    """``aurorakit relay`` in a process of its own, on the same port and record across restarts."""

    def __init__(self, record: Path, nats_url: str, target: str, cluster: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.command = [sys.executable, "-m", "aurorakit.runtime.cli", "relay", "--aurora", "0.22",
                        "--port", str(self.port), "--nats", nats_url, "--record", str(record), "--cluster", cluster,
                        "--target", target, "--target-initial-backoff-msec", "50", "--target-max-backoff-msec", "300"]
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert "relaying on" in line, line

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[NatsServer]:
    binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
    if not os.path.exists(binary):
        pytest.skip("nats-server not found (apt-get install nats-server)")
    server = NatsServer(binary, tmp_path / "nats")
    server.start()
    yield server
    server.stop()


def _post_all(url: str, bodies: list[bytes], accepted: list[bytes]) -> None:
    with requests.Session() as session:
        for body in bodies:
            answer = session.post(url, data=body, headers={"Content-Type": CONTENT_TYPE}, timeout=30)
            assert answer.status_code == 200, answer.text
            if not answer.json()["duplicate"]:
                accepted.append(body)


class DurableCounter:
    """A durable consumer in a thread, recording every message it is handed (redeliveries included)."""

    def __init__(self, url: str, subject: str, name: str) -> None:
        self.seen: list[StreamMessage] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._args = (url, subject, name)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        url, subject, name = self._args
        while not self._stop.is_set():
            try:
                for message in messages(url, subject, durable=name, follow=True, idle_timeout=0.3, stop=self._stop):
                    self.seen.append(message)
            except Exception as err:  # the server went away under the consumer: start it again, as a service would
                self.errors.append(f"{type(err).__name__}: {err}")
                time.sleep(0.3)

    def ids(self) -> set[str]:
        return {m.id for m in self.seen}

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def _wait_for(check: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.3)
    return False


def test_replayed_traffic_survives_relay_sigkill_nats_kill_and_postgres_restart(
        tmp_path: Path, nats: NatsServer, postgres_server: PostgresServer) -> None:
    bodies = scheduler_traffic(48)
    assert len(per_task(bodies)) > 1
    cluster = f"faults{os.getpid()}"
    store = PostgresReceiverStore(postgres_server.new_database(f"aurorakit_relay_faults_{os.getpid()}"),
                                  connect_timeout=1)
    receiver = WebhookReceiver(store).start()
    relay = RelayProcess(tmp_path / "relay.db", nats.url, receiver.url, cluster)
    counter = DurableCounter(nats.url, f"aurora.{cluster}.>", f"count{os.getpid()}")
    accepted: list[bytes] = []
    third = len(bodies) // 3
    try:
        relay.start()
        _post_all(relay.url, bodies[:third], accepted)
        relay.kill()  # SIGKILL right after answering: some events forwarded, some only recorded
        relay.start()
        _post_all(relay.url, bodies[third:third + 8], accepted)
        nats.restart(kill=True)  # mid-stream, publishes in flight
        _post_all(relay.url, bodies[third + 8:2 * third], accepted)
        postgres_server.restart()  # the target's store goes away: it answers 503, the relay retries
        _post_all(relay.url, bodies[2 * third:], accepted)
        _post_all(relay.url, bodies[::7], accepted)  # Aurora's resends: recorded once, forwarded once

        def stream() -> list[StreamMessage]:
            return list(messages(nats.url, f"aurora.{cluster}.>"))
        assert _wait_for(lambda: len(stream()) >= len(bodies) and store.count() >= len(bodies), 60)
        assert _wait_for(lambda: counter.ids() >= {m.id for m in stream()}, 30), counter.errors
        held = stream()
        stored = list(store.all())
    finally:
        counter.stop()
        relay.stop()
        receiver.stop()
        store.close()
    assert accepted == bodies  # every first post accepted, every resend a duplicate
    for got in ([m.body for m in held], [d.body for d in stored]):
        assert sorted(got) == sorted(bodies)  # none missing, none twice, bytes as posted
        assert per_task(got) == per_task(bodies)  # each task's events in order
    ids = [m.id for m in held]
    assert len(set(ids)) == len(bodies)
    assert {d.webhook_id for d in stored} == set(ids)  # one id per event on both paths
    assert {m.id: m.body for m in held} == {d.webhook_id: d.body for d in stored}
    assert counter.ids() == set(ids)  # the durable consumer missed none
    assert counter.errors == []  # and lived through the restart without being started again


def test_consume_json_exits_when_caught_up_and_follow_keeps_going(tmp_path: Path, nats: NatsServer) -> None:
    bodies = scheduler_traffic(6)
    cluster = f"follow{os.getpid()}"
    relay = RelayProcess(tmp_path / "relay.db", nats.url, "http://127.0.0.1:9/", cluster)
    relay.command = [part for part in relay.command[:relay.command.index("--target")]]  # NATS only
    consume = [sys.executable, "-m", "aurorakit.runtime.cli", "consume", "--nats", nats.url,
               "--subject", f"aurora.{cluster}.>", "--json"]
    relay.start()
    second = subprocess.run([*relay.command[:relay.command.index("--port") + 1], str(free_port()),
                             *relay.command[relay.command.index("--port") + 2:]],
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 2 and second.stderr == (
        f"aurorakit: --record {tmp_path / 'relay.db'} is in use by another relay (process {relay.process.pid}); "
        f"give each relay its own record\n")  # type: ignore[union-attr]
    follower = subprocess.Popen([*consume, "--follow"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _post_all(relay.url, bodies[:3], [])
        assert _wait_for(lambda: len(list(messages(nats.url, f"aurora.{cluster}.>"))) == 3, 30)
        done = subprocess.run(consume, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        first = [json.loads(line) for line in done.stdout.splitlines()]
        assert sorted(line["payload"] for line in first) == sorted(b.decode("utf-8") for b in bodies[:3])
        _post_all(relay.url, bodies[3:], [])  # after the follower started: it gets them too
        assert follower.stdout is not None
        followed = [json.loads(follower.stdout.readline()) for _ in bodies]
    finally:
        follower.terminate()
        follower.wait(timeout=30)
        relay.stop()
    assert follower.returncode == 0, follower.stderr.read() if follower.stderr else ""
    assert sorted(line["payload"] for line in followed) == sorted(b.decode("utf-8") for b in bodies)
    assert {line["release"] for line in followed} == {"0.22"}
    assert len({line["id"] for line in followed}) == len(bodies)
    assert {line["id"]: line["payload"] for line in first} == {
        line["id"]: line["payload"] for line in followed if line["id"] in {x["id"] for x in first}}
