from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aurorakit.runtime.webhook.outgoing import OutgoingEvent, new_event_id
from aurorakit.runtime.webhook.spool import Spool, SpoolBusyError, SpoolCounts, SpoolError, SpoolWriteError
from aurorakit.runtime.webhook.spool_records import Outcome
from aurorakit.runtime.webhook.spool_salvage import salvage
from aurorakit.runtime.webhook.spool_settle import BODY_SWEEP
from test_webhook_helpers import small_filesystem


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
        assert db.execute("SELECT body FROM bodies").fetchone()[0] == b"body of a1"


def stored_bodies(path: Path) -> list[bytes]:
    """The bodies table as another reader of the file sees it (committed rows only)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return [row[0] for row in db.execute("SELECT body FROM bodies ORDER BY seq")]


def test_delivered_bodies_go_in_one_sweep_and_no_other_body_with_them(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    spool = Spool(path)
    events = [ev(f"e{n}", f"t{n}") for n in range(BODY_SWEEP + 3)]
    spool.enqueue_many(events, now=1000)
    leased = spool.lease_many(BODY_SWEEP + 2, now=1000)  # the last event stays pending
    spool.settle([Outcome.delivered(e.event.event_id) for e in leased[:BODY_SWEEP - 1]], now=1001)
    assert len(stored_bodies(path)) == BODY_SWEEP + 3  # fewer than a sweep's worth delivered: all kept
    given_up = leased[BODY_SWEEP].event.event_id
    spool.settle([Outcome.delivered(leased[BODY_SWEEP - 1].event.event_id), Outcome.given_up(given_up, "HTTP 400")])
    # Kept: the given-up event's, the one still leased, the pending one.
    assert stored_bodies(path) == [f"body of e{n}".encode() for n in range(BODY_SWEEP, BODY_SWEEP + 3)]
    assert spool.settle([Outcome.retry(leased[-1].event.event_id, 1002, "HTTP 503")]) == [True]
    assert [e.event for e in spool.lease_many(5, now=1003)] == events[-2:]  # sent again with their bodies


def test_bodies_a_process_delivered_but_did_not_sweep_go_when_the_file_is_opened_again(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    spool = Spool(path)
    spool.enqueue_many([ev("a1", "A"), ev("a2", "A"), ev("b1", "B")], now=1000)
    assert leased_id(spool) == "a1"
    assert spool.mark_delivered("a1", now=1001)
    spool.close()  # as after a crash: the delivery is recorded, its body not yet swept
    assert stored_bodies(path) == [b"body of a1", b"body of a2", b"body of b1"]
    reopened = Spool(path)
    assert stored_bodies(path) == [b"body of a2", b"body of b1"]
    assert [e.event for e in reopened.lease_many(5, now=1001)] == [ev("a2", "A"), ev("b1", "B")]


def test_purge_finished(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool.enqueue_many([ev("a1", "A"), ev("b1", "B")], now=1000)
    spool.lease(now=1000)
    spool.mark_delivered("a1", now=1001)
    assert spool.purge_finished(older_than=1002) == 1
    assert spool.counts() == SpoolCounts(pending=1)


# -- files that are not (or no longer) a spool: refused with the file's name, never replaced -------------

def big_events(count: int, tasks: int = 5) -> list[OutgoingEvent]:
    """Events with 3 KB bodies, so a spool of them spans many pages (and overflow pages)."""
    return [OutgoingEvent(f"e{i}", f"t{i % tasks}", "RUNNING", "STARTING", f"{i:06d}".encode() * 500)
            for i in range(count)]


def made_spool(path: Path, count: int) -> list[OutgoingEvent]:
    events = big_events(count)
    spool = Spool(path)
    spool.enqueue_many(events, now=1000)
    for event in events[:10]:  # some finished, some left leased, the rest pending
        assert spool.lease(now=1000) is not None
        spool.mark_delivered(event.event_id, now=1001)
    assert spool.lease(now=1000) is not None
    spool.close()  # the last connection closing folds the WAL into the file
    return events


def refused(path: Path, expected: str, create: bool = True) -> str:
    before = path.read_bytes() if path.exists() else None
    with pytest.raises(SpoolError) as caught:
        Spool(path, create=create)
    message = str(caught.value)
    assert message.startswith(f"spool {path}") and expected in message, message
    assert "\n" not in message
    assert (path.read_bytes() if path.exists() else None) == before  # nothing changed, nothing made
    return message


def test_a_missing_spool_is_made_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    refused(path, "no such file", create=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spool.db.lock"]
    spool = Spool(path)  # create=True by default: a first run
    spool.enqueue(ev("a1", "A"))
    spool.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spool.db", "spool.db.lock"]  # no temporary left
    reopened = Spool(path, create=False)
    assert reopened.counts() == SpoolCounts(pending=1)


def test_a_0_byte_spool_is_refused_not_started_afresh(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    path.write_bytes(b"")
    refused(path, "empty file (0 bytes)")
    refused(path, "empty file (0 bytes)", create=False)


def test_a_file_that_is_not_sqlite_is_refused_with_how_to_salvage(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    path.write_bytes(b"these are not the pages you are looking for\n" * 200)
    message = refused(path, "damaged or not a spool (file is not a database)")
    assert f"mv {path} {path}.damaged" in message and "--salvage" in message


def test_another_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "received.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE deliveries (seq INTEGER PRIMARY KEY, body BLOB)")
    refused(path, "an SQLite file but not a webhook spool (no events table)")


def test_a_truncated_spool_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    made_spool(path, 200)
    os.truncate(path, path.stat().st_size * 6 // 10)
    refused(path, "damaged or not a spool (database disk image is malformed)")


def test_a_spool_with_damaged_pages_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    made_spool(path, 200)
    with open(path, "r+b") as handle:
        handle.seek(4096 * 40)
        handle.write(b"\xa5" * 4096 * 3)
    refused(path, "damaged or not a spool")


def test_salvage_copies_every_readable_event_and_nothing_damaged(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    events = made_spool(path, 200)
    os.truncate(path, path.stat().st_size * 6 // 10)
    original = path.read_bytes()
    report = salvage(path, tmp_path / "saved.db")
    assert path.read_bytes() == original  # read-only
    assert report.total + report.unreadable == 200 and 60 <= report.total < 200
    saved = Spool(tmp_path / "saved.db", create=False)
    records = saved.records(limit=1000)
    by_id = {event.event_id: event for event in events}
    assert [r.event_id for r in records] == sorted((r.event_id for r in records), key=lambda i: int(i[1:]))
    assert {r.event_id for r in records if r.state == "delivered"} <= {f"e{i}" for i in range(10)}
    assert {r.state for r in records if r.event_id == "e10"} <= {"pending"}  # the lease was never acknowledged
    assert report.copied == {state: sum(r.state == state for r in records) for state in report.copied}
    while (leased := saved.lease(now=2000)) is not None:  # every body is the one that was spooled
        assert leased.event == by_id[leased.event.event_id]
        saved.mark_delivered(leased.event.event_id)
    with pytest.raises(SpoolError, match="already exists"):
        salvage(path, tmp_path / "saved.db")


# -- one sender per spool ---------------------------------------------------------------------------------

def test_a_second_opener_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    first = Spool(path)
    with pytest.raises(SpoolBusyError, match=f"in use by another sender \\(process {os.getpid()}\\)"):
        Spool(path)
    first.close()
    Spool(path).close()


def test_a_killed_owner_leaves_the_spool_free(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom aurorakit.runtime.webhook.spool import Spool\n"
         "s = Spool(sys.argv[1]); print('HELD', flush=True); time.sleep(60)", str(path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "HELD"
        with pytest.raises(SpoolBusyError, match=f"process {holder.pid}"):
            Spool(path)
        holder.kill()  # SIGKILL: no cleanup runs, the kernel drops the lock
        holder.wait(10)
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.communicate()
    Spool(path).close()


# -- writes that fail ---------------------------------------------------------------------------------------

def fill_until_refused(spool: Spool) -> int:
    accepted = 0
    with pytest.raises(SpoolWriteError) as caught:
        for event in big_events(100_000):
            assert spool.enqueue(event)
            accepted += 1
    assert str(caught.value) == f"spool {spool.path}: cannot write: database or disk is full"
    return accepted


def test_a_full_spool_refuses_the_write_and_keeps_what_it_took(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool._db.execute("PRAGMA max_page_count = 64")  # SQLite's own limit: the same SQLITE_FULL as a full disk
    accepted = fill_until_refused(spool)
    assert accepted > 10 and spool.counts() == SpoolCounts(pending=accepted)
    leased = spool.lease(now=time.time())
    assert leased is not None and leased.event.event_id == "e0"  # still readable and usable


def test_a_spool_on_a_full_filesystem_refuses_the_write(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "small", 512) as folder:
        spool = Spool(folder / "spool.db")
        accepted = fill_until_refused(spool)
        assert accepted > 10 and spool.counts() == SpoolCounts(pending=accepted)
        spool.close()
        reopened = Spool(folder / "spool.db", create=False)  # the file survived whole
        assert reopened.counts() == SpoolCounts(pending=accepted)
        reopened.close()


def test_finishing_tells_whether_anything_changed(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool.enqueue(ev("a1", "A"), now=1000)
    assert spool.lease(now=1000) is not None
    assert spool.mark_delivered("a1") is True
    assert spool.mark_delivered("a1") is False and spool.give_up("a1", "late") is False
    assert spool.give_up("nope", "no such event") is False
    record = spool.record("a1")
    assert record is not None and (record.state, record.last_error) == ("delivered", None)


def test_salvage_refuses_what_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b'{"task": "not a database"}\n' * 100)
    with pytest.raises(SpoolError, match="not an SQLite file: nothing in it can be salvaged"):
        salvage(path, tmp_path / "saved.db")
    assert not (tmp_path / "saved.db").exists()


def test_salvage_skips_the_gaps_purging_left(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    spool = Spool(path)
    spool.enqueue_many(big_events(30), now=1000)
    for _ in range(20):  # the first 20 finished long ago and were purged: seq starts at 21
        leased = spool.lease(now=1000)
        assert leased is not None
        spool.mark_delivered(leased.event.event_id, now=1001)
    assert spool.purge_finished(older_than=2000) == 20
    spool.close()
    report = salvage(path, tmp_path / "saved.db")
    assert (report.copied, report.unreadable) == ({"pending": 10}, 0)


def test_a_delivered_event_keeps_the_error_of_its_last_failed_attempt(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool.enqueue(ev("a1", "A"), now=1000)
    assert leased_id(spool, 1000) == "a1"
    spool.schedule_retry("a1", 1005, "HTTP 503")
    assert leased_id(spool, 1004) is None and leased_id(spool, 1005) == "a1"
    assert spool.mark_delivered("a1", now=1006)
    record = spool.record("a1")
    assert record is not None and (record.state, record.attempts, record.last_error, record.finished_at) == (
        "delivered", 2, "HTTP 503", 1006)
    assert not spool.mark_delivered("a1", now=1007) and not spool.give_up("a1", "late", now=1007)
    spool.close()
