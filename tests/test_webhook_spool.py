from __future__ import annotations

import sqlite3
from pathlib import Path

from aurorakit.runtime.webhook.outgoing import OutgoingEvent, new_event_id
from aurorakit.runtime.webhook.spool import Spool, SpoolCounts


def ev(event_id: str, task: str) -> OutgoingEvent:
    return OutgoingEvent(event_id, task, "RUNNING", "STARTING", f"body of {event_id}".encode())


def leased_id(spool: Spool, now: float = 1000.0) -> str | None:
    leased = spool.lease(now=now)
    return None if leased is None else leased.event.event_id


def test_one_task_at_a_time_in_order_tasks_in_parallel(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    assert spool.enqueue_many([ev("a1", "A"), ev("a2", "A"), ev("b1", "B"), ev("a3", "A")], now=1000) == 4
    assert leased_id(spool) == "a1"
    assert leased_id(spool) == "b1"
    assert leased_id(spool) is None  # a2 waits for a1
    spool.mark_delivered("a1", now=1001)
    assert leased_id(spool) == "a2"
    assert spool.counts() == SpoolCounts(pending=1, leased=2, delivered=1, given_up=0)
    assert spool.unfinished() == 3  # the cheap count drain() polls: pending and leased only


def test_retry_time_and_give_up_keep_the_order(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool.enqueue_many([ev("a1", "A"), ev("a2", "A")], now=1000)
    assert leased_id(spool) == "a1"
    spool.schedule_retry("a1", at=1010, error="HTTP 503")
    assert leased_id(spool, now=1009) is None  # not due yet, and a2 must not overtake it
    assert spool.next_due_at() == 1010
    leased = spool.lease(now=1010)
    assert leased is not None and leased.event.event_id == "a1" and leased.attempt == 2
    spool.give_up("a1", "HTTP 404 (not retried)", now=1011)
    record = spool.record("a1")
    assert record is not None and (record.state, record.attempts, record.last_error) == (
        "given_up", 2, "HTTP 404 (not retried)")
    assert leased_id(spool, now=1011) == "a2"
    assert [r.event_id for r in spool.records(state="given_up")] == ["a1"]


def test_enqueue_is_idempotent_by_event_id(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    event_id = new_event_id()
    assert spool.enqueue(ev(event_id, "A"))
    assert not spool.enqueue(ev(event_id, "A"))
    assert spool.counts().pending == 1


def test_reopening_sends_unacknowledged_leases_again(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    spool = Spool(path)
    spool.enqueue_many([ev("a1", "A"), ev("b1", "B"), ev("c1", "C")], now=1000)
    assert leased_id(spool) == "a1"
    assert leased_id(spool) == "b1"
    spool.mark_delivered("b1")
    spool.close()  # closing changes nothing in the file: as after a crash, the file is all that is left
    reopened = Spool(path)
    assert reopened.recovered == 1
    assert reopened.counts() == SpoolCounts(pending=2, leased=0, delivered=1, given_up=0)
    leased = reopened.lease(now=1000)
    assert leased is not None and leased.event == ev("a1", "A") and leased.attempt == 2


def test_file_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    Spool(path).enqueue(ev("a1", "A"))
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT body FROM events").fetchone()[0] == b"body of a1"


def test_purge_finished(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool.enqueue_many([ev("a1", "A"), ev("b1", "B")], now=1000)
    spool.lease(now=1000)
    spool.mark_delivered("a1", now=1001)
    assert spool.purge_finished(older_than=1002) == 1
    assert spool.counts() == SpoolCounts(pending=1)
