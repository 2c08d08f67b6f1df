"""A durable outbox for webhook events in one SQLite file (WAL mode).

Life of an event: ``pending`` -> ``leased`` (a worker is sending it) ->
``delivered`` or ``given_up`` (with the reason), or back to ``pending`` with
a later ``next_attempt_at`` when a retry is scheduled.

Ordering: only the oldest unfinished event of a task can be leased, and only
while no other event of that task is leased. So a task's events go out one at
a time in submission order, while different tasks proceed in parallel.

Crash safety: every state change is a committed transaction. Opening a spool
puts events left ``leased`` by a previous process back to ``pending``: they
may have been sent but not acknowledged, so they are sent again
(at-least-once; receivers drop duplicates by ``webhook-id``).

One process uses a spool file at a time; threads within it share one
connection behind a lock.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .outgoing import OutgoingEvent

PENDING, LEASED, DELIVERED, GIVEN_UP = "pending", "leased", "delivered", "given_up"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT NOT NULL UNIQUE,
    task_id         TEXT NOT NULL,
    new_status      TEXT NOT NULL,
    old_status      TEXT,
    body            BLOB NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    enqueued_at     REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    finished_at     REAL,
    last_error      TEXT
);
CREATE INDEX IF NOT EXISTS events_unfinished_by_task
    ON events (task_id, seq) WHERE state IN ('pending', 'leased');
CREATE INDEX IF NOT EXISTS events_pending
    ON events (seq) WHERE state = 'pending';
"""

# The oldest unfinished event of its task, not leased, due now.
_DELIVERABLE = """
SELECT seq FROM events AS e
WHERE e.state = 'pending' AND e.next_attempt_at <= :now
  AND NOT EXISTS (SELECT 1 FROM events AS p
                  WHERE p.task_id = e.task_id AND p.seq < e.seq
                    AND p.state IN ('pending', 'leased'))
ORDER BY e.seq LIMIT 1
"""
_NEXT_DUE = """
SELECT MIN(e.next_attempt_at) FROM events AS e
WHERE e.state = 'pending'
  AND NOT EXISTS (SELECT 1 FROM events AS p
                  WHERE p.task_id = e.task_id AND p.seq < e.seq
                    AND p.state IN ('pending', 'leased'))
"""


@dataclass(frozen=True)
class LeasedEvent:
    """An event handed to one worker; ``attempt`` counts from 1."""

    event: OutgoingEvent
    attempt: int
    enqueued_at: float


@dataclass(frozen=True)
class EventRecord:
    """What the spool knows about one event."""

    event_id: str
    task_id: str
    new_status: str
    state: str
    attempts: int
    enqueued_at: float
    next_attempt_at: float
    finished_at: float | None
    last_error: str | None


@dataclass(frozen=True)
class SpoolCounts:
    pending: int = 0
    leased: int = 0
    delivered: int = 0
    given_up: int = 0

    @property
    def unfinished(self) -> int:
        return self.pending + self.leased


class Spool:
    """The SQLite outbox. Times are epoch seconds (they must survive restarts)."""

    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL") -> None:
        # NORMAL in WAL mode loses nothing when the process dies (only on power
        # loss); pass "FULL" to fsync every commit.
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"unknown synchronous mode {synchronous!r}")
        self.path = str(path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(f"PRAGMA synchronous = {synchronous.upper()}")
        self._db.executescript(_SCHEMA)
        with self._transaction():
            # Leases of a previous process were never acknowledged: send again.
            cursor = self._db.execute(
                "UPDATE events SET state = 'pending' WHERE state = 'leased'")
            self.recovered = cursor.rowcount

    def __repr__(self) -> str:
        return f"Spool({self.path!r})"

    # -- writing -------------------------------------------------------------

    def enqueue(self, event: OutgoingEvent, *, now: float | None = None) -> bool:
        """Add one event; False if an event with that id was already spooled."""
        return self.enqueue_many([event], now=now) == 1

    def enqueue_many(self, events: Iterable[OutgoingEvent], *, now: float | None = None) -> int:
        """Add events in order in one transaction; returns how many were new."""
        when = time.time() if now is None else now
        rows = [(e.event_id, e.task_id, e.new_status, e.old_status, e.body, PENDING, when, when)
                for e in events]
        with self._transaction():
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO events (event_id, task_id, new_status, old_status, body,"
                " state, enqueued_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            return self._db.total_changes - before

    def lease(self, *, now: float | None = None) -> LeasedEvent | None:
        """Take the next deliverable event, or None if nothing is due."""
        when = time.time() if now is None else now
        with self._transaction():
            row = self._db.execute(_DELIVERABLE, {"now": when}).fetchone()
            if row is None:
                return None
            leased = self._db.execute(
                "UPDATE events SET state = 'leased', attempts = attempts + 1 WHERE seq = ?"
                " RETURNING event_id, task_id, new_status, old_status, body, attempts, enqueued_at",
                (row[0],)).fetchall()[0]
        event = OutgoingEvent(leased[0], leased[1], leased[2], leased[3], bytes(leased[4]))
        return LeasedEvent(event=event, attempt=leased[5], enqueued_at=leased[6])

    def mark_delivered(self, event_id: str, *, now: float | None = None) -> None:
        self._finish(event_id, DELIVERED, None, now)

    def give_up(self, event_id: str, reason: str, *, now: float | None = None) -> None:
        """Stop trying; ``reason`` is kept for operators."""
        self._finish(event_id, GIVEN_UP, reason, now)

    def schedule_retry(self, event_id: str, at: float, error: str) -> None:
        """Put a leased event back, not to be leased before ``at``."""
        with self._transaction():
            self._db.execute(
                "UPDATE events SET state = 'pending', next_attempt_at = ?, last_error = ?"
                " WHERE event_id = ? AND state = 'leased'", (at, error, event_id))

    def release(self, event_id: str) -> None:
        """Put a leased event back as it was (an attempt that never started)."""
        with self._transaction():
            self._db.execute(
                "UPDATE events SET state = 'pending', attempts = MAX(attempts - 1, 0)"
                " WHERE event_id = ? AND state = 'leased'", (event_id,))

    def purge_finished(self, older_than: float) -> int:
        """Delete delivered and given-up events finished before ``older_than``."""
        with self._transaction():
            cursor = self._db.execute(
                "DELETE FROM events WHERE state IN ('delivered', 'given_up') AND finished_at < ?",
                (older_than,))
            return cursor.rowcount

    # -- reading -------------------------------------------------------------

    def counts(self) -> SpoolCounts:
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM events GROUP BY state").fetchall()
        by_state = {state: count for state, count in rows}
        return SpoolCounts(pending=by_state.get(PENDING, 0), leased=by_state.get(LEASED, 0),
                           delivered=by_state.get(DELIVERED, 0),
                           given_up=by_state.get(GIVEN_UP, 0))

    def unfinished(self) -> int:
        """How many events are pending or leased (read from their own index: cheap)."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM events INDEXED BY events_unfinished_by_task"
                " WHERE state IN ('pending', 'leased')").fetchone()
        return int(row[0])

    def next_due_at(self) -> float | None:
        """When the earliest waiting event becomes deliverable (None: nothing waits)."""
        with self._lock:
            value = self._db.execute(_NEXT_DUE).fetchone()[0]
        return None if value is None else float(value)

    def record(self, event_id: str) -> EventRecord | None:
        with self._lock:
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
        with self._lock:
            rows = self._db.execute(query + " ORDER BY seq LIMIT ?", params + (limit,)).fetchall()
        return [EventRecord(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- internals -----------------------------------------------------------

    def _finish(self, event_id: str, state: str, reason: str | None, now: float | None) -> None:
        when = time.time() if now is None else now
        with self._transaction():
            self._db.execute(
                "UPDATE events SET state = ?, finished_at = ?, last_error = COALESCE(?, last_error)"
                " WHERE event_id = ? AND state IN ('leased', 'pending')",
                (state, when, reason, event_id))

    def _transaction(self) -> "_Transaction":
        return _Transaction(self._db, self._lock)


_RECORD_COLUMNS = ("event_id, task_id, new_status, state, attempts, enqueued_at, "
                   "next_attempt_at, finished_at, last_error")


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK``) under the spool's lock."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self._db = db
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            self._lock.release()
