"""The reliable sender always finishes: bad Retry-After answers, requests that cannot be made,
exceptions inside a delivery, a spool that fails, an outage longer than the old attempt limit.

Every scenario ends with every event either delivered or given up with its reason, nothing left
leased, and exact counters. Servers are real, on 127.0.0.1; policies are scaled down.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import requests
from aurorakit.runtime.webhook.config import RetryPolicy, WebhookConfig
from aurorakit.runtime.webhook.http_attempt import RETRY_AFTER_CAP_SEC, parse_retry_after
from aurorakit.runtime.webhook.outgoing import OutgoingEvent
from aurorakit.runtime.webhook.sender import ReliableSender
from aurorakit.runtime.webhook.spool import LeasedEvent, Outcome, Spool, SpoolCounts, SpoolWriteError
from hypothesis import given, settings
from hypothesis import strategies as st
from test_webhook_helpers import Answer, RecordingServer, assert_complete_and_ordered, make_events, unused_port

NOW = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT


def config_for(url: str, *, headers: dict[str, str] | None = None, workers: int = 2,
               **policy: Any) -> WebhookConfig:
    """Built directly (not through webhook.json) so that even values config validation refuses reach the sender."""
    retry = {"max_attempts": 1_000_000, "initial_backoff_msec": 10, "max_backoff_msec": 100, "jitter": 1.0,
             "deadline_sec": 60.0, **policy}
    return WebhookConfig(target_url=url, timeout_msec=1000, workers=workers, retry=RetryPolicy(**retry),
                         headers=MappingProxyType(headers or {"Content-Type": "application/json"}))


def unfinished_in_file(path: Path) -> SpoolCounts:
    spool = Spool(path, create=False)
    try:
        return spool.counts()
    finally:
        spool.close()


# -- Retry-After, parsed safely ------------------------------------------------------------------------------

@pytest.mark.parametrize("value, seconds", [
    ("120", 120.0), (" 7 ", 7.0), ("0", 0.0), ("3600", 3600.0), ("3601", RETRY_AFTER_CAP_SEC),
    ("9" * 310, RETRY_AFTER_CAP_SEC),                       # would overflow a float
    ("Tue, 14 Nov 2023 22:15:20 GMT", 120.0),               # IMF-fixdate, two minutes ahead
    ("Tuesday, 14-Nov-23 22:14:20 GMT", 60.0),              # RFC 850 form
    ("Tue Nov 14 22:13:50 2023", 30.0),                     # asctime form
    ("Mon, 13 Nov 2023 22:13:20 GMT", 0.0),                 # in the past: no wait
    ("Fri, 31 Dec 9999 23:59:59 GMT", RETRY_AFTER_CAP_SEC),  # far future: capped
    ("²", None), ("٣", None), ("-5", None), ("1.5", None), ("1e3", None), ("soon", None), ("", None),
    ("Tue, 14 Nov 2023 25:61:99 GMT", None), ("Sun, 06 Nov 1994 08:49:37 +99999", None), ("x" * 10_000, None),
    (None, None),
])
def test_retry_after_forms(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=400) | st.from_regex(r"[0-9]{1,400}", fullmatch=True))
def test_retry_after_never_raises_and_stays_within_the_cap(value: str) -> None:
    seconds = parse_retry_after(value, NOW)
    assert seconds is None or 0.0 <= seconds <= RETRY_AFTER_CAP_SEC


def test_bad_retry_after_answers_neither_hang_nor_lose_events(tmp_path: Path) -> None:
    # Each task's first attempt is answered 503 with its own Retry-After; later ones 200.
    values = ["²", "9" * 310, "soon", "-1", "1e3", "Fri, 31 Dec 9999 23:59:59 GMT", "", "1"]
    seen: set[str] = set()

    def answer(number: int) -> Answer:
        task = json.loads(server.arrivals[number - 1].body or b"{}")["task"]
        if task in seen:
            return Answer()
        seen.add(task)
        return Answer(503, headers=(("Retry-After", values[int(task.split("-")[1])]),))

    server = RecordingServer(answer).start()
    events = make_events(tasks=len(values), per_task=2)
    sender = ReliableSender(config_for(server.url, workers=4, deadline_sec=3.0), spool=tmp_path / "spool.db")
    try:
        for event in events:
            sender.submit(event)
        assert sender.drain(15), sender.stats()
        assert sender.close(5)
    finally:
        server.stop()
    stats = sender.stats()
    assert stats["delivered"] == 16 and stats["given_up"] == 0 and stats["pending"] == 0
    assert assert_complete_and_ordered(server.arrivals, events) == len(values)
    waited = {}
    for task in range(len(values)):
        first, second = [a.at for a in server.arrivals if a.body and json.loads(a.body) == {
            "task": f"task-{task}", "n": 0}]
        waited[values[task][:12]] = second - first
    # Garbage falls back to the sender's own backoff (at most 100 ms here); huge waits are cut to the deadline.
    for garbage in ("²", "soon", "-1", "1e3", ""):
        assert waited[garbage] < 1.5, waited
    assert 0.9 <= waited["1"] < 2.4, waited
    for huge in ("9" * 12, "Fri, 31 Dec "):
        assert 2.5 <= waited[huge] < 5.0, waited


# -- failures inside a delivery ---------------------------------------------------------------------------------

def test_a_request_that_cannot_be_made_is_given_up_with_its_reason(tmp_path: Path) -> None:
    with RecordingServer() as server:
        sender = ReliableSender(config_for(server.url, headers={"X-Team": "東京"}), spool=tmp_path / "spool.db")
        events = make_events(tasks=2, per_task=3)
        for event in events:
            sender.submit(event)
        assert sender.drain(10), sender.stats()
        records = sender.spool.records()
        assert sender.close(5)
    assert server.arrivals == []
    assert [r.state for r in records] == ["given_up"] * 6
    assert all("UnicodeEncodeError" in (r.last_error or "") and "東京" not in (r.last_error or "")
               for r in records)
    stats = sender.stats()
    assert (stats["webhooks_attempts"], stats["webhooks_errors"], stats["given_up"], stats["pending"]) == (6, 6, 6, 0)


class FlakySession(requests.Session):
    """A real session whose ``post`` raises a bug-like error for bodies containing ``poison``."""

    def __init__(self, poison: bytes) -> None:
        super().__init__()
        self.poison = poison

    def post(self, url: str | bytes, data: Any = None, json: Any = None, **kwargs: Any) -> requests.Response:
        if isinstance(data, bytes) and self.poison in data:
            raise RuntimeError("injected failure")
        return super().post(url, data=data, json=json, **kwargs)


def test_an_exception_inside_a_delivery_gives_that_event_up_and_the_task_goes_on(tmp_path: Path) -> None:
    events = make_events(tasks=2, per_task=4)
    with RecordingServer() as server:
        sender = ReliableSender(config_for(server.url), spool=tmp_path / "spool.db",
                                session=FlakySession(b'"n":1'))
        for event in events:
            sender.submit(event)
        assert sender.drain(10), sender.stats()
        poisoned = [sender.spool.record(f"evt-{t}-1") for t in range(2)]
        assert sender.close(5)
    assert [a.webhook_id for a in server.arrivals if a.webhook_id and a.webhook_id.startswith("evt-0")] == [
        "evt-0-0", "evt-0-2", "evt-0-3"]
    for record in poisoned:
        assert record is not None and record.state == "given_up"
        assert record.last_error == "the request could not be sent: RuntimeError (not retried)"
    stats = sender.stats()
    assert (stats["delivered"], stats["given_up"], stats["pending"]) == (6, 2, 0)
    assert stats["webhooks_attempts"] == stats["webhooks_success"] + stats["webhooks_errors"] == 8


class FailingSpool(Spool):
    """A real spool whose disk 'fills up' once ``good`` deliveries are recorded: a batch that would
    pass that is refused whole, as SQLite refuses a transaction on a full disk."""

    def __init__(self, path: Path, good: int) -> None:
        super().__init__(path)
        self.good = good

    def settle_and_lease(self, outcomes: Iterable[Outcome], limit: int, *,
                         now: float | None = None) -> tuple[list[bool], list[LeasedEvent]]:
        outcomes = list(outcomes)
        delivered = sum(outcome.state == "delivered" for outcome in outcomes)
        if delivered > self.good:
            raise SpoolWriteError(f"spool {self.path}: cannot write: database or disk is full")
        self.good -= delivered
        return super().settle_and_lease(outcomes, limit, now=now)


def test_a_failing_spool_stops_the_sender_once_and_the_next_one_sends_the_rest(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "spool.db"
    events = make_events(tasks=3, per_task=10)
    with RecordingServer() as server, caplog.at_level(logging.WARNING, logger="aurorakit"):
        spool = FailingSpool(path, good=5)
        sender = ReliableSender(config_for(server.url), spool=spool)
        for event in events:
            sender.submit(event)
        began = time.monotonic()
        assert not sender.drain(10)
        assert time.monotonic() - began < 5  # returns on the failure, not at the timeout
        assert sender.failure == f"spool {path}: cannot write: database or disk is full"
        with pytest.raises(SpoolWriteError, match="disk is full"):
            sender.submit(OutgoingEvent("late", "task-9", "RUNNING", "STARTING", b"{}"))
        assert not sender.close(2)
        spool.close()
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "webhook sender stopped" in errors[0].getMessage()
        stats = sender.stats()
        assert 1 <= stats["delivered"] <= 5 and stats["delivered"] + stats["pending"] == 30
        assert stats["not_accepted"] == 1

        after = ReliableSender(config_for(server.url), spool=path)
        assert after.spool.recovered >= 1  # the deliveries whose outcome could not be written
        assert after.close(10)
    assert assert_complete_and_ordered(server.arrivals, events) >= 1
    assert unfinished_in_file(path) == SpoolCounts(delivered=30)


def test_submit_refuses_what_the_spool_cannot_write_and_the_counts_stay_exact(tmp_path: Path) -> None:
    with RecordingServer() as server:
        spool = Spool(tmp_path / "spool.db")
        spool._db.execute("PRAGMA max_page_count = 40")  # SQLite's SQLITE_FULL, as on a full disk
        sender = ReliableSender(config_for(server.url), spool=spool, start=False)
        accepted = 0
        with pytest.raises(SpoolWriteError, match="database or disk is full"):
            for n in range(10_000):
                sender.submit(OutgoingEvent(f"e{n}", f"t{n % 4}", "RUNNING", "STARTING", b"x" * 2000))
                accepted += 1
        assert accepted > 5
        sender.start()
        assert sender.close(10)
        spool.close()
    stats = sender.stats()
    assert (stats["delivered"], stats["not_accepted"], stats["pending"]) == (accepted, 1, 0)
    assert sorted(a.webhook_id or "" for a in server.arrivals) == sorted(f"e{n}" for n in range(accepted))


# -- outages and deadlines ------------------------------------------------------------------------------------------

def test_an_outage_far_longer_than_twelve_attempts_loses_nothing(tmp_path: Path) -> None:
    port = unused_port()
    events = make_events(tasks=4, per_task=5)
    sender = ReliableSender(config_for(f"http://127.0.0.1:{port}/hook", max_backoff_msec=50),
                            spool=tmp_path / "spool.db")
    for event in events:
        sender.submit(event)
    time.sleep(2.5)  # receiver down: each task's first event is tried dozens of times
    assert sender.stats()["webhooks_errors"] >= 4 * 13  # more than the old default of 12 per event
    with RecordingServer(port=port) as server:
        assert sender.drain(20), sender.stats()
        assert sender.close(5)
    stats = sender.stats()
    assert (stats["delivered"], stats["given_up"], stats["pending"]) == (20, 0, 0)
    assert_complete_and_ordered(server.arrivals, events)


def test_retries_go_on_until_the_deadline_with_a_last_attempt_at_it(tmp_path: Path) -> None:
    """The sender follows the schedule on the real clock (its exact times and count are in
    test_retry_rules, on a made-up clock): never early, the last attempt no sooner than the
    deadline, then given up. Load can only delay attempts, so only lower bounds are tight."""
    server = RecordingServer(lambda n: Answer(503)).start()
    try:
        sender = ReliableSender(config_for(server.url, initial_backoff_msec=300, max_backoff_msec=10_000,
                                           jitter=0.0, deadline_sec=1.0), spool=tmp_path / "spool.db")
        submitted = time.time()
        sender.submit(make_events(tasks=1, per_task=1)[0])
        assert sender.drain(20)
        record = sender.spool.record("evt-0-0")
        assert sender.close(5)
    finally:
        server.stop()
    times = [a.at - submitted for a in server.arrivals]
    # Due at 0.3 s, 0.9 s and the 1 s deadline: none early; fewer only if a slow machine made one
    # after the deadline (then given up at its answer).
    assert 2 <= len(times) <= 4 and all(t >= due - 0.01 for t, due in zip(times, [0.0, 0.3, 0.9, 1.0])), times
    assert times[-1] < 10, times  # bounded: nothing after the deadline but the slowness of the machine
    assert record is not None and record.state == "given_up" and record.attempts == len(times)
    assert record.last_error == "HTTP 503; deadline of 1s reached"


def test_an_answer_trickling_in_holds_a_worker_no_longer_than_the_timeout(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:  # status and headers at once, then one byte of body every 0.2 s
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            while not stop.wait(0.2):
                try:
                    connection.sendall(b"x")
                except OSError:
                    return

    server = threading.Thread(target=trickle, daemon=True)
    server.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    sender = ReliableSender(config_for(url), spool=tmp_path / "spool.db")  # timeoutMsec 1000
    try:
        began = time.monotonic()
        sender.submit(make_events(tasks=1, per_task=1)[0])
        assert sender.drain(10)
        took = time.monotonic() - began
        assert sender.close(5)
    finally:
        stop.set()
        listener.close()
    assert 0.9 <= took < 5.0  # 1000 bytes at 5 a second would take 200 s
    assert sender.stats()["delivered"] == 1  # the status line was the answer


def test_headers_trickling_in_end_the_attempt_at_its_deadline_and_it_is_retried(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    connections: list[float] = []

    def serve() -> None:  # first connection: the status line a byte every 0.2 s; later ones answer 200
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connections.append(time.monotonic())
            threading.Thread(target=answer, args=(connection, len(connections) == 1), daemon=True).start()

    def answer(connection: socket.socket, slow: bool) -> None:
        with connection:
            while connection.recv(65536):
                if not slow:
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    continue
                for byte in b"HTTP/1.1 200 OK\r\n" * 100:
                    if stop.wait(0.2):
                        return
                    try:
                        connection.sendall(bytes([byte]))
                    except OSError:
                        return
                return

    threading.Thread(target=serve, daemon=True).start()
    sender = ReliableSender(config_for(f"http://127.0.0.1:{listener.getsockname()[1]}/", workers=1),
                            spool=tmp_path / "spool.db")  # timeoutMsec 1000: the whole attempt gets 3 s
    try:
        sender.submit(make_events(tasks=1, per_task=1)[0])
        assert sender.drain(15), sender.stats()
        assert sender.close(5)
    finally:
        stop.set()
        listener.close()
    stats = sender.stats()
    assert (stats["webhooks_errors"], stats["retried"], stats["delivered"]) == (1, 1, 1), (stats, connections, sender.spool.path)
    assert len(connections) == 2 and 2.9 <= connections[1] - connections[0] < 6.0
