"""The reliable sender's hot path and its batches: what goes on the wire, what requests still decides,
and how few spool transactions a delivery takes.

The sender's own session is written directly (one sendall, the answer read by hand); a session the
caller gives (proxies, auth, environment) is used through requests as it is.
Servers are real, on 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from types import MappingProxyType

import pytest
import requests
from aurorakit.runtime.webhook.config import RetryPolicy, WebhookConfig
from aurorakit.runtime.webhook.outgoing import OutgoingEvent
from aurorakit.runtime.webhook.sender import ReliableSender
from aurorakit.runtime.webhook.signing import verify
from aurorakit.runtime.webhook.spool import Outcome, Spool, SpoolCounts
from test_webhook_helpers import Answer, RecordingServer, assert_complete_and_ordered, make_events

SECRET = "whsec_" + base64.b64encode(b"delivery-path-secret").decode()


def config_for(url: str, *, workers: int = 2, headers: dict[str, str] | None = None,
               secret: str | None = None) -> WebhookConfig:
    retry = RetryPolicy(max_attempts=1000, initial_backoff_msec=10, max_backoff_msec=100, jitter=1.0,
                        deadline_sec=30.0)
    return WebhookConfig(target_url=url, timeout_msec=2000, workers=workers, retry=retry, signing_secret=secret,
                         headers=MappingProxyType(headers or {"Content-Type": "application/json"}))


def deliver(sender: ReliableSender, events: list[OutgoingEvent]) -> dict[str, int]:
    for event in events:
        assert sender.submit(event)
    assert sender.drain(20), sender.stats()
    assert sender.close(5)
    return sender.stats()


# -- the spool's batches ----------------------------------------------------------------------------------------

def ev(event_id: str, task: str) -> OutgoingEvent:
    return OutgoingEvent(event_id, task, "RUNNING", "STARTING", f"body of {event_id}".encode())


def test_settle_and_lease_records_outcomes_then_leases_one_head_per_task(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool.enqueue_many([ev("a1", "A"), ev("a2", "A"), ev("b1", "B"), ev("c1", "C"), ev("b2", "B")], now=1000)
    changed, leased = spool.settle_and_lease([], 10, now=1000)
    assert changed == [] and [e.event.event_id for e in leased] == ["a1", "b1", "c1"]  # heads only, oldest first
    changed, leased = spool.settle_and_lease(
        [Outcome.delivered("a1"), Outcome.retry("b1", 1005, "HTTP 503"), Outcome.given_up("c1", "HTTP 404"),
         Outcome.delivered("nope")], 10, now=1001)
    assert changed == [True, True, True, False]
    assert [e.event.event_id for e in leased] == ["a2"]  # b2 waits behind b1's retry
    assert spool.record("b1").last_error == "HTTP 503"  # type: ignore[union-attr]
    assert spool.settle([Outcome.released("a2")]) == [True]  # put back as never attempted
    record = spool.record("a2")
    assert record is not None and (record.state, record.attempts) == ("pending", 0)
    assert [e.event.event_id for e in spool.lease_many(5, now=1005)] == ["a2", "b1"]
    assert spool.counts() == SpoolCounts(pending=1, leased=2, delivered=1, given_up=1)


def test_a_lease_batch_stops_at_its_limit(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool.enqueue_many([ev(f"e{n}", f"t{n}") for n in range(10)], now=1000)
    assert [e.event.event_id for e in spool.lease_many(4, now=1000)] == ["e0", "e1", "e2", "e3"]
    assert [e.event.event_id for e in spool.lease_many(100, now=1000)] == [f"e{n}" for n in range(4, 10)]


def test_a_delivery_commits_about_once_per_event_not_twice(tmp_path: Path) -> None:
    # Before batching: one commit to lease and one to acknowledge each event.
    spool = Spool(tmp_path / "spool.db")
    commits: list[str] = []
    spool._db.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    events = make_events(tasks=8, per_task=10)
    with RecordingServer() as server:
        sender = ReliableSender(config_for(server.url, workers=4), spool=spool, start=False)
        for event in events:
            sender.submit(event)
        submitted = len(commits)
        sender.start()
        stats = deliver(sender, [])
    assert submitted == len(events)
    assert len(commits) - submitted <= len(events) + 10, len(commits) - submitted
    assert stats["delivered"] == len(events) and stats["webhooks_errors"] == 0
    assert assert_complete_and_ordered(server.arrivals, events) == 0


# -- the direct path: what goes on the wire ---------------------------------------------------------------------

def test_the_direct_path_sends_the_configured_headers_and_a_verifiable_signature(tmp_path: Path) -> None:
    events = make_events(tasks=2, per_task=3)
    with RecordingServer() as server:
        url = server.url.replace("127.0.0.1", "user:p%40ss@127.0.0.1") + "?source=aurora"
        sender = ReliableSender(config_for(url, headers={"Content-Type": "application/json", "X-Team": "infra",
                                                         "webhook-id": "overridden"}, secret=SECRET),
                                spool=tmp_path / "spool.db")
        assert sender._attempts.direct is not None  # the sender's own session: written directly
        deliver(sender, events)
    first = server.arrivals[0]
    assert sorted(name.lower() for name in first.header_names) == sorted(
        ["host", "user-agent", "content-type", "x-team", "authorization", "timestamp", "webhook-id",
         "webhook-timestamp", "webhook-signature", "content-length"])
    assert first.path == "/hook?source=aurora" and first.headers["x-team"] == "infra"
    assert first.headers["user-agent"] == "aurorakit-webhook"
    assert first.headers["authorization"] == "Basic " + base64.b64encode(b"user:p@ss").decode()  # as requests
    for arrival in server.arrivals:
        assert arrival.body is not None and arrival.headers["content-length"] == str(len(arrival.body))
        assert verify(base64.b64decode(SECRET[6:]), arrival.headers, arrival.body) == arrival.webhook_id
    assert assert_complete_and_ordered(server.arrivals, events) == 0


def test_answers_that_close_the_connection_cost_no_attempt(tmp_path: Path) -> None:
    answer = Answer(headers=(("Connection", "close"),))
    events = make_events(tasks=3, per_task=4)
    with RecordingServer(lambda n: answer) as server:
        stats = deliver(ReliableSender(config_for(server.url), spool=tmp_path / "spool.db"), events)
    assert (stats["webhooks_attempts"], stats["webhooks_errors"], stats["delivered"]) == (12, 0, 12)
    assert assert_complete_and_ordered(server.arrivals, events) == 0


def test_a_refused_connection_is_described_like_requests_and_retried(tmp_path: Path) -> None:
    from test_webhook_helpers import unused_port

    port = unused_port()
    config = WebhookConfig(target_url=f"http://127.0.0.1:{port}/", timeout_msec=500, workers=1,
                           retry=RetryPolicy(max_attempts=2, initial_backoff_msec=5, max_backoff_msec=5),
                           headers=MappingProxyType({}))
    sender = ReliableSender(config, spool=tmp_path / "spool.db")
    sender.submit(ev("a1", "A"))
    assert sender.drain(10)
    record = sender.spool.record("a1")
    sender.close()
    assert record is not None and record.state == "given_up"
    assert record.last_error == "ConnectionError (ConnectionRefusedError) after 2 attempt(s)"


# -- requests stays the face: a given session's proxies and auth ------------------------------------------------

def test_a_given_session_goes_through_its_proxy(tmp_path: Path) -> None:
    events = make_events(tasks=1, per_task=2)
    with RecordingServer() as proxy:
        session = requests.Session()
        session.proxies = {"http": proxy.url.rsplit("/", 1)[0]}
        sender = ReliableSender(config_for("http://webhooks.example.invalid/hook"), spool=tmp_path / "spool.db",
                                session=session)
        assert sender._attempts.direct is None
        deliver(sender, events)
    assert [a.path for a in proxy.arrivals] == ["http://webhooks.example.invalid/hook"] * 2
    assert [json.loads(a.body or b"") for a in proxy.arrivals] == [{"task": "task-0", "n": n} for n in (0, 1)]


def test_a_session_trusting_the_environment_takes_its_proxy_and_netrc(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine webhooks.example.invalid login hooker password from-netrc\n")
    netrc.chmod(0o600)
    with RecordingServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url.rsplit("/", 1)[0])
        monkeypatch.setenv("NO_PROXY", "")
        monkeypatch.setenv("NETRC", str(netrc))
        sender = ReliableSender(config_for("http://webhooks.example.invalid/hook"), spool=tmp_path / "spool.db",
                                session=requests.Session())  # trust_env: requests' default
        deliver(sender, make_events(tasks=1, per_task=1))
    (arrival,) = proxy.arrivals
    assert arrival.path == "http://webhooks.example.invalid/hook"
    assert arrival.headers["authorization"] == "Basic " + base64.b64encode(b"hooker:from-netrc").decode()


# -- submit_many: a batch in one transaction ----------------------------------------------------------------------

def test_submit_many_commits_a_batch_once_and_answers_per_event(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    commits: list[str] = []
    spool._db.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    initial = OutgoingEvent("init", "task-9", "PENDING", None, b"{}")  # 0.22 posts no initial events
    events = make_events(tasks=3, per_task=4)
    with RecordingServer() as server:
        sender = ReliableSender(config_for(server.url), spool=spool, start=False)
        assert sender.submit_many([events[0], initial, *events[1:]]) == [True, False] + [True] * 11
        assert len(commits) == 1
        assert sender.submit_many(events[:2]) == [True, True]  # already spooled: accepted, not sent again
        sender.start()
        stats = deliver(sender, [])
    assert (stats["delivered"], stats["skipped"], stats["duplicates"]) == (12, 1, 2)
    assert assert_complete_and_ordered(server.arrivals, events) == 0


def test_submit_many_takes_all_or_none(tmp_path: Path) -> None:
    from aurorakit.runtime.webhook.sender import SubmitQueueFullError
    from aurorakit.runtime.webhook.spool import SpoolWriteError

    config = WebhookConfig(target_url="http://127.0.0.1:9/", timeout_msec=100, queue_size=5, workers=1,
                           headers=MappingProxyType({}))
    sender = ReliableSender(config, spool=tmp_path / "spool.db", start=False)
    sender.submit_many(make_events(tasks=1, per_task=3))
    batch = make_events(tasks=2, per_task=3)[3:]
    with pytest.raises(SubmitQueueFullError, match=f"3 events from {batch[0].event_id} on not accepted"):
        sender.submit_many(batch, timeout=0.05)  # room for 2, not 3
    sender.spool._db.execute("PRAGMA query_only = 1")  # the spool can no longer write
    with pytest.raises(SpoolWriteError):
        sender.submit_many(make_events(tasks=3, per_task=1)[2:])
    stats = sender.stats()
    sender.close(0)
    assert (stats["pending"], stats["not_accepted"]) == (3, 1)
    assert [r.event_id for r in Spool(tmp_path / "spool.db").records()] == ["evt-0-0", "evt-0-1", "evt-0-2"]


def test_a_spool_made_before_bodies_had_their_own_table_is_moved_over_and_sent(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "spool.db"
    with sqlite3.connect(path) as db:  # the schema as earlier releases made it: bodies inside events
        db.executescript("""
            CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
                task_id TEXT NOT NULL, new_status TEXT NOT NULL, old_status TEXT, body BLOB NOT NULL,
                state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, enqueued_at REAL NOT NULL,
                next_attempt_at REAL NOT NULL, finished_at REAL, last_error TEXT);
            CREATE INDEX events_pending ON events (seq) WHERE state = 'pending';
            INSERT INTO events (event_id, task_id, new_status, body, state, enqueued_at, next_attempt_at)
                VALUES ('old-1', 'A', 'RUNNING', x'7b2261223a317d', 'pending', 1, 1),
                       ('old-2', 'A', 'FINISHED', x'', 'leased', 1, 1);
        """)
    with RecordingServer() as server:
        sender = ReliableSender(config_for(server.url), spool=path)
        assert sender.spool.recovered == 1
        deliver(sender, [])
    assert [(a.webhook_id, a.body) for a in server.arrivals] == [("old-1", b'{"a":1}'), ("old-2", b"")]
