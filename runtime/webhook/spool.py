"""A durable outbox for webhook events in one SQLite file (WAL mode).

Life of an event: ``pending`` -> ``leased`` (a worker is sending it) ->
``delivered`` or ``given_up`` (with the reason), or back to ``pending`` with
a later ``next_attempt_at`` when a retry is scheduled.

Ordering: only the oldest unfinished event of a task can be leased, and only
while no other event of that task is leased. So a task's events go out one at
a time in submission order, while different tasks proceed in parallel.

Batches: ``settle_and_lease`` records many outcomes and takes the next
deliverable events (of different tasks) in one transaction, so a busy
sender commits once per batch rather than twice per event.

Bodies live in their own table, so a state change rewrites a short row;
delivered events' bodies are deleted in sweeps of a few hundred (they are
never sent again; see ``spool_settle``), their rows stay, for duplicate
checks, until purged.

Crash safety: every state change is a committed transaction. Opening a spool
puts events left ``leased`` by a previous process back to ``pending``: they
may have been sent but not acknowledged, so they are sent again
(at-least-once; receivers drop duplicates by ``webhook-id``).

One sender uses a spool file at a time (an flock on ``PATH.lock``; a
second one is refused); threads within it share one connection behind a
lock. Every SQLite failure surfaces as a :class:`SpoolError` naming the
file; opening never replaces a damaged, foreign or 0-byte file (to salvage
what a damaged one holds, see ``spool_salvage``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .outgoing import OutgoingEvent
from .spool_file import SALVAGE_HINT, SpoolBusyError, SpoolError, SpoolWriteError, check_or_create, take_lock
from .spool_records import DELIVERED, GIVEN_UP, LEASED, PENDING, EventRecord, LeasedEvent, Outcome, SpoolCounts
from .spool_settle import BODY_SWEEP, SWEEP_LEFTOVERS, drop_bodies_of_delivered, settle_all, sweep_bodies

__all__ = [
    "DELIVERED",
    "GIVEN_UP",
    "LEASED",
    "PENDING",
    "SALVAGED_COLUMNS",
    "EventRecord",
    "LeasedEvent",
    "Outcome",
    "Spool",
    "SpoolBusyError",
    "SpoolCounts",
    "SpoolError",
    "SpoolWriteError",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT NOT NULL UNIQUE,
    task_id         TEXT NOT NULL,
    new_status      TEXT NOT NULL,
    old_status      TEXT,
    body            BLOB NOT NULL,  -- empty: the body is in bodies (kept for files made before)
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    enqueued_at     REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    finished_at     REAL,
    last_error      TEXT
);
-- Apart from the events, so changing an event's state rewrites a short row, not its body too.
CREATE TABLE IF NOT EXISTS bodies (
    seq             INTEGER PRIMARY KEY,
    body            BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_unfinished_by_task
    ON events (task_id, seq) WHERE state IN ('pending', 'leased');
-- Covers the deliverable scan: blocked events behind their task's head are skipped without reading rows.
DROP INDEX IF EXISTS events_pending;
CREATE INDEX IF NOT EXISTS events_due
    ON events (seq, task_id, next_attempt_at) WHERE state = 'pending';
"""

# The oldest unfinished event of each task, not leased, due now (so one per task at most).
_DELIVERABLE = """
SELECT seq FROM events AS e
WHERE e.state = 'pending' AND e.next_attempt_at <= :now
  AND NOT EXISTS (SELECT 1 FROM events AS p
                  WHERE p.task_id = e.task_id AND p.seq < e.seq
                    AND p.state IN ('pending', 'leased'))
ORDER BY e.seq LIMIT :limit
"""
_NEXT_DUE = """
SELECT MIN(e.next_attempt_at) FROM events AS e
WHERE e.state = 'pending'
  AND NOT EXISTS (SELECT 1 FROM events AS p
                  WHERE p.task_id = e.task_id AND p.seq < e.seq
                    AND p.state IN ('pending', 'leased'))
"""


_INSERT_EVENT = ("INSERT OR IGNORE INTO events (event_id, task_id, new_status, old_status, body, state,"
                 " enqueued_at, next_attempt_at) VALUES (?, ?, ?, ?, x'', ?, ?, ?)")

# Every column but seq, in the order salvage reads and insert_salvaged writes them (state is 6th).
SALVAGED_COLUMNS = ("event_id, task_id, new_status, old_status, body, state, attempts, enqueued_at, "
                    "next_attempt_at, finished_at, last_error")


class Spool:
    """The SQLite outbox. Times are epoch seconds (they must survive restarts).

    ``create``: make the file when it does not exist (False: a missing file
    is a :class:`SpoolError`). An existing file must be a readable spool: a
    0-byte, damaged or foreign file is refused, never replaced. Opening takes
    a lock (``PATH.lock``, released when the process ends, however it ends);
    a second opener gets :class:`SpoolBusyError`.
    """

    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL", create: bool = True) -> None:
        # NORMAL in WAL mode loses nothing when the process dies (only on power
        # loss); pass "FULL" to fsync every commit.
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"unknown synchronous mode {synchronous!r}")
        self.path = str(path)
        self._lock = threading.RLock()
        self._unswept: list[int] = []  # seqs of delivered events whose bodies are still stored
        self._lock_file: int | None = None
        if self.path != ":memory:":
            self._lock_file = take_lock(self.path)
            # A spool dropped without close() must not keep its lock for the process's life.
            self._unlock = weakref.finalize(self, os.close, self._lock_file)
        try:
            if self.path != ":memory:":
                check_or_create(self.path, create, _SCHEMA)
            self._db = self._connect(synchronous.upper())
            with self._transaction():
                if self._bodies_inline:  # made before bodies had their own table: moved there once
                    self._db.execute("INSERT INTO bodies (seq, body) SELECT seq, body FROM events")
                    self._db.execute("UPDATE events SET body = x''")
                # Leases of a previous process were never acknowledged: send again.
                cursor = self._db.execute(
                    "UPDATE events SET state = 'pending' WHERE state = 'leased'")
                self.recovered = cursor.rowcount
                self._db.execute(SWEEP_LEFTOVERS)  # delivered before the last process's sweep
        except BaseException:
            self._release_lock()
            raise

    def _connect(self, synchronous: str) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as err:
            raise SpoolError(f"spool {self.path}: cannot open: {err}") from None
        try:
            db.execute("PRAGMA busy_timeout = 5000")
            # Checked before anything is written: a file that is not a spool stays as it was.
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            self._bodies_inline = "events" in tables and "bodies" not in tables
            if self.path != ":memory:" and "events" not in tables:
                raise SpoolError(f"spool {self.path}: an SQLite file but not a webhook spool "
                                 f"(no events table); give the spool a file of its own")
            problems = [row[0] for row in db.execute("PRAGMA quick_check(1)")]
            if problems != ["ok"]:  # the first problem, on one line (SQLite's may span several)
                raise sqlite3.DatabaseError(" ".join(" ".join(problems).split()))
            db.execute("PRAGMA journal_mode = WAL")
            db.execute(f"PRAGMA synchronous = {synchronous}")
            # A checkpoint syncs the file twice while the spool is locked (a submit or a settle waits):
            # every 8000 pages (a WAL of up to ~32 MB), not SQLite's 1000, and a page written many times
            # meanwhile (the indexes' and tables' last pages) is copied back once.
            db.execute("PRAGMA wal_autocheckpoint = 8000")
            # Debian builds SQLite with secure_delete on: every freed page is zeroed and written again,
            # a page per swept body. FAST zeroes only within pages written anyway.
            db.execute("PRAGMA secure_delete = FAST")
            db.executescript(_SCHEMA)  # a new in-memory spool; indexes added since a file was made
        except sqlite3.Error as err:
            db.close()
            raise SpoolError(f"spool {self.path}: damaged or not a spool ({err}); nothing was changed; "
                             + SALVAGE_HINT.format(path=self.path)) from None
        except BaseException:
            db.close()
            raise
        return db

    def __repr__(self) -> str:
        return f"Spool({self.path!r})"

    # -- writing -------------------------------------------------------------

    def enqueue(self, event: OutgoingEvent, *, now: float | None = None) -> bool:
        """Add one event; False if an event with that id was already spooled."""
        return self.enqueue_many([event], now=now) == 1

    def enqueue_many(self, events: Iterable[OutgoingEvent], *, now: float | None = None) -> int:
        """Add events in order in one transaction; returns how many were new."""
        when = time.time() if now is None else now
        events = list(events)
        rows = [(e.event_id, e.task_id, e.new_status, e.old_status, PENDING, when, when) for e in events]
        with self._transaction():
            if len(rows) == 1:  # the common case, a little cheaper: the new row's seq is at hand
                cursor = self._db.execute(_INSERT_EVENT, rows[0])
                if cursor.rowcount == 1:
                    self._db.execute("INSERT INTO bodies (seq, body) VALUES (?, ?)", (cursor.lastrowid, events[0].body))
                return cursor.rowcount
            before = self._db.total_changes
            self._db.executemany(_INSERT_EVENT, rows)
            new = self._db.total_changes - before
            if new:  # an id already spooled keeps the body it came with
                self._db.executemany(
                    "INSERT OR IGNORE INTO bodies (seq, body) SELECT seq, ? FROM events WHERE event_id = ?",
                    [(e.body, e.event_id) for e in events])
            return new

    def lease(self, *, now: float | None = None) -> LeasedEvent | None:
        """Take the next deliverable event, or None if nothing is due."""
        leased = self.lease_many(1, now=now)
        return leased[0] if leased else None

    def lease_many(self, limit: int, *, now: float | None = None) -> list[LeasedEvent]:
        """Take up to ``limit`` deliverable events (of as many tasks) in one transaction, oldest first."""
        return self.settle_and_lease([], limit, now=now)[1]

    def mark_delivered(self, event_id: str, *, now: float | None = None) -> bool:
        """Record the delivery; False if the event was not unfinished (nothing changed)."""
        return self.settle([Outcome.delivered(event_id)], now=now)[0]

    def give_up(self, event_id: str, reason: str, *, now: float | None = None) -> bool:
        """Stop trying; ``reason`` is kept for operators. False if the event was not unfinished."""
        return self.settle([Outcome.given_up(event_id, reason)], now=now)[0]

    def schedule_retry(self, event_id: str, at: float, error: str) -> None:
        """Put a leased event back, not to be leased before ``at``."""
        self.settle([Outcome.retry(event_id, at, error)])

    def release(self, event_id: str) -> None:
        """Put a leased event back as it was (an attempt that never started)."""
        self.settle([Outcome.released(event_id)])

    def settle(self, outcomes: Iterable[Outcome], *, now: float | None = None) -> list[bool]:
        """Record many attempts' outcomes in one transaction (see :meth:`settle_and_lease`)."""
        return self.settle_and_lease(outcomes, 0, now=now)[0]

    def settle_and_lease(self, outcomes: Iterable[Outcome], limit: int, *,
                         now: float | None = None) -> tuple[list[bool], list[LeasedEvent]]:
        """Record outcomes, then take up to ``limit`` deliverable events: one transaction, one commit.

        Returns, per outcome, whether it changed the event (a delivery or
        give-up of an event no longer unfinished, or a retry or release of
        one no longer leased, changes nothing), and the leased events. All or
        nothing is recorded.
        """
        when = time.time() if now is None else now
        outcomes = list(outcomes)
        try:
            rows, bodies, changed = self._settle_and_lease(outcomes, limit, when, room_first=False)
        except SpoolWriteError:
            if not self._unswept and not any(outcome.state == DELIVERED for outcome in outcomes):
                raise
            # A full disk: a delivery can grow its row by a page, so free the bodies' pages first.
            rows, bodies, changed = self._settle_and_lease(outcomes, limit, when, room_first=True)
        rows.sort()  # RETURNING promises no order
        leased = [LeasedEvent(OutgoingEvent(r[1], r[2], r[3], r[4], bodies[r[0]]), attempt=r[5], enqueued_at=r[6])
                  for r in rows]
        return changed, leased

    def _settle_and_lease(self, outcomes: list[Outcome], limit: int, when: float,
                          room_first: bool) -> tuple[list[Any], dict[int, bytes], list[bool]]:
        """One transaction of :meth:`settle_and_lease`; ``room_first``: delete every body not needed any
        more before anything else (what a full file needs to record deliveries)."""
        with self._lock:  # the sweep list changes only once the transaction is committed
            with self._transaction():
                if room_first:
                    sweep_bodies(self._db, self._unswept)
                    drop_bodies_of_delivered(self._db, outcomes)
                changed, delivered = settle_all(self._db, outcomes, when)
                unswept = [] if room_first else self._unswept + delivered
                if len(unswept) >= BODY_SWEEP:
                    sweep_bodies(self._db, unswept)
                    unswept = []
                rows, bodies = self._lease_rows(limit, when) if limit > 0 else ([], {})
            self._unswept = unswept
        return rows, bodies, changed

    def _lease_rows(self, limit: int, when: float) -> tuple[list[Any], dict[int, bytes]]:
        """Lease up to ``limit`` deliverable events, in the open transaction: their rows and bodies by seq."""
        seqs = [row[0] for row in self._db.execute(_DELIVERABLE, {"now": when, "limit": limit})]
        if not seqs:
            return [], {}
        marks = ", ".join("?" * len(seqs))
        rows = self._db.execute(
            f"UPDATE events SET state = 'leased', attempts = attempts + 1 WHERE seq IN ({marks})"
            " RETURNING seq, event_id, task_id, new_status, old_status, attempts, enqueued_at", seqs).fetchall()
        bodies = dict(self._db.execute(f"SELECT seq, body FROM bodies WHERE seq IN ({marks})", seqs))
        if len(bodies) != len(rows):
            raise sqlite3.DatabaseError("an event's body is missing (a damaged file)")
        return rows, bodies

    def insert_salvaged(self, rows: Iterable[tuple[object, ...]]) -> int:
        """Add rows read from a damaged spool (``SALVAGED_COLUMNS``), in order; leased ones as pending."""
        marks = ", ".join("?" * len(SALVAGED_COLUMNS.split(",")))
        added = 0
        with self._transaction():
            for row in rows:
                cursor = self._db.execute(f"INSERT OR IGNORE INTO events ({SALVAGED_COLUMNS}) VALUES ({marks})",
                                          row[:4] + (b"",) + row[5:])
                if cursor.rowcount == 1:
                    self._db.execute("INSERT INTO bodies (seq, body) VALUES (?, ?)", (cursor.lastrowid, row[4]))
                    added += 1
            self._db.execute("UPDATE events SET state = 'pending' WHERE state = 'leased'")
            return added

    def purge_finished(self, older_than: float) -> int:
        """Delete delivered and given-up events finished before ``older_than``."""
        with self._transaction():
            self._db.execute(
                "DELETE FROM bodies WHERE seq IN (SELECT seq FROM events"
                " WHERE state IN ('delivered', 'given_up') AND finished_at < ?)", (older_than,))
            cursor = self._db.execute(
                "DELETE FROM events WHERE state IN ('delivered', 'given_up') AND finished_at < ?",
                (older_than,))
            return cursor.rowcount

    # -- reading -------------------------------------------------------------

    def counts(self) -> SpoolCounts:
        with self._reading():
            rows = self._db.execute("SELECT state, COUNT(*) FROM events GROUP BY state").fetchall()
        by_state = {state: count for state, count in rows}
        return SpoolCounts(pending=by_state.get(PENDING, 0), leased=by_state.get(LEASED, 0),
                           delivered=by_state.get(DELIVERED, 0),
                           given_up=by_state.get(GIVEN_UP, 0))

    def unfinished(self) -> int:
        """How many events are pending or leased (read from their own index: cheap)."""
        with self._reading():
            row = self._db.execute(
                "SELECT COUNT(*) FROM events INDEXED BY events_unfinished_by_task"
                " WHERE state IN ('pending', 'leased')").fetchone()
        return int(row[0])

    def next_due_at(self) -> float | None:
        """When the earliest waiting event becomes deliverable (None: nothing waits)."""
        with self._reading():
            value = self._db.execute(_NEXT_DUE).fetchone()[0]
        return None if value is None else float(value)

    def record(self, event_id: str) -> EventRecord | None:
        with self._reading():
            row = self._db.execute(
                f"SELECT {_RECORD_COLUMNS} FROM events WHERE event_id = ?", (event_id,)).fetchone()
        return None if row is None else EventRecord(*row)

    def records(self, state: str | None = None, limit: int = 1000) -> list[EventRecord]:
        """Events in submission order, optionally only those in ``state``."""
        query = f"SELECT {_RECORD_COLUMNS} FROM events"
        params: tuple[Any, ...] = ()
        if state is not None:
            query += " WHERE state = ?"
            params = (state,)
        with self._reading():
            rows = self._db.execute(query + " ORDER BY seq LIMIT ?", params + (limit,)).fetchall()
        return [EventRecord(*row) for row in rows]

    def close(self) -> None:
        """Close the file and give up the lock (idempotent)."""
        with self._lock:
            self._db.close()
            self._release_lock()

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            self._unlock()  # closes the lock file, which drops the flock
            self._lock_file = None

    # -- internals -----------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self._lock, self.path)

    @contextmanager
    def _reading(self) -> Iterator[None]:
        with self._lock:
            try:
                yield
            except sqlite3.Error as err:
                raise SpoolError(f"spool {self.path}: cannot read: {err}") from None


_RECORD_COLUMNS = ("event_id, task_id, new_status, state, attempts, enqueued_at, "
                   "next_attempt_at, finished_at, last_error")


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK``) under the spool's lock.

    Any SQLite failure inside (a full disk, an I/O error, a damaged page)
    rolls back and becomes one :class:`SpoolWriteError` naming the file.
    """

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock, path: str) -> None:
        self._db = db
        self._lock = lock
        self._path = path

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            self._lock.release()
            raise self._error(err) from None
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is None:
                try:
                    self._db.execute("COMMIT")
                    return
                except sqlite3.Error as err:
                    self._rollback()
                    raise self._error(err) from None
            self._rollback()
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc) from None
        finally:
            self._lock.release()

    def _rollback(self) -> None:
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite may already have rolled back (it does on SQLITE_FULL)

    def _error(self, err: sqlite3.Error) -> SpoolWriteError:
        return SpoolWriteError(f"spool {self._path}: cannot write: {err}")
