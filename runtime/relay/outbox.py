"""The relay's durable record (SQLite, WAL): accepted events, each sink's progress, dead letters.

An event is committed here before the relay answers 200, so a relay killed
after answering loses nothing: on restart each sink resumes after the last
event it finished. Every sink takes events in ``seq`` (acceptance) order and
marks them finished in that order (``done``: a prefix of ``seq``), so what a
restarted relay sends again is only what was in flight.

Events a sink gave up on (an HTTP target's 4xx, retries exhausted) and
payloads that did not decode are kept in ``dead`` with their reason.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import AurorakitError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT NOT NULL UNIQUE,
    received_at  REAL NOT NULL,
    release      TEXT NOT NULL,
    subject      TEXT NOT NULL,
    task_id      TEXT NOT NULL,
    old_status   TEXT,
    new_status   TEXT NOT NULL,
    content_type TEXT,
    body         BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS progress (sink TEXT PRIMARY KEY, done_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dead (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at REAL NOT NULL,
    sink        TEXT,
    event_seq   INTEGER,
    reason      TEXT NOT NULL,
    body        BLOB NOT NULL
);
"""
_COLUMNS = "seq, event_id, received_at, release, subject, task_id, old_status, new_status, content_type, body"


class OutboxWriteError(AurorakitError):
    """The record cannot be written (disk full, read-only): the relay answers 503."""


@dataclass(frozen=True)
class RelayedEvent:
    seq: int
    event_id: str
    received_at: float
    release: str
    subject: str
    task_id: str
    old_status: str | None
    new_status: str
    content_type: str | None
    body: bytes

    def __repr__(self) -> str:
        return f"RelayedEvent(seq={self.seq}, id={self.event_id!r}, task={self.task_id!r}, body=<{len(self.body)}B>)"


@dataclass(frozen=True)
class DeadLetter:
    seq: int
    received_at: float
    sink: str | None  # None: the payload did not decode (never forwarded)
    event_seq: int | None
    reason: str
    body: bytes


class Outbox:
    """The record in one SQLite file; safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)  # notified when an event is added (or by wake())
        self.generation = 0  # counts those notifications, so a waiter cannot miss one
        # timeout: how long a write waits for another connection's lock (SQLite's busy timeout)
        self._db = sqlite3.connect(self.path, timeout=5.0, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")  # a commit survives SIGKILL of this process
        self._db.executescript(_SCHEMA)

    def add(self, event: RelayedEvent) -> int | None:
        """Record an accepted event; its seq, or None when its id is already recorded (a resend)."""
        with self._lock:
            try:
                cursor = self._db.execute(
                    f"INSERT INTO events ({_COLUMNS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (event_id) DO NOTHING",
                    (event.event_id, event.received_at, event.release, event.subject, event.task_id,
                     event.old_status, event.new_status, event.content_type, event.body))
            except sqlite3.Error as err:
                raise OutboxWriteError(f"{self.path}: cannot record the event: {err}") from None
            self._wake_locked()
            return cursor.lastrowid if cursor.rowcount == 1 else None

    def add_dead(self, *, reason: str, body: bytes, sink: str | None = None, event_seq: int | None = None) -> None:
        with self._lock:
            try:
                self._db.execute("INSERT INTO dead (received_at, sink, event_seq, reason, body) VALUES (?, ?, ?, ?, ?)",
                                 (time.time(), sink, event_seq, reason, body))
            except sqlite3.Error as err:
                raise OutboxWriteError(f"{self.path}: cannot record the dead letter: {err}") from None

    def dead(self) -> list[DeadLetter]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, received_at, sink, event_seq, reason, body FROM dead ORDER BY seq").fetchall()
        return [DeadLetter(row[0], row[1], row[2], row[3], row[4], bytes(row[5])) for row in rows]

    def register(self, sink: str) -> None:
        """A sink starts from the first event it has not finished (all of them, the first time)."""
        with self._lock:
            self._db.execute("INSERT INTO progress (sink, done_seq) VALUES (?, 0) ON CONFLICT (sink) DO NOTHING",
                             (sink,))

    def done(self, sink: str, seq: int) -> None:
        with self._lock:
            self._db.execute("UPDATE progress SET done_seq = ? WHERE sink = ?", (seq, sink))

    def done_seq(self, sink: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT done_seq FROM progress WHERE sink = ?", (sink,)).fetchone()
        return int(row[0]) if row else 0

    def after(self, sink: str, limit: int = 100, *, seq: int | None = None) -> list[RelayedEvent]:
        """The next events after ``seq`` (default: after the last one ``sink`` finished), in order."""
        with self._lock:
            if seq is None:
                rows = self._db.execute(
                    f"SELECT {_COLUMNS} FROM events WHERE seq > (SELECT done_seq FROM progress WHERE sink = ?)"
                    " ORDER BY seq LIMIT ?", (sink, limit)).fetchall()
            else:
                rows = self._db.execute(f"SELECT {_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                                        (seq, limit)).fetchall()
        return [RelayedEvent(seq=row[0], event_id=row[1], received_at=row[2], release=row[3], subject=row[4],
                             task_id=row[5], old_status=row[6], new_status=row[7], content_type=row[8],
                             body=bytes(row[9])) for row in rows]

    def wait(self, timeout: float, seen: int | None = None) -> None:
        """Until the next add() or wake(), or one since ``generation`` was ``seen``; at most ``timeout`` s."""
        with self.changed:
            if seen is None or seen == self.generation:
                self.changed.wait(timeout)

    def wake(self) -> None:
        """Wake the waiters (a sink finished an event)."""
        with self._lock:
            self._wake_locked()

    def _wake_locked(self) -> None:
        self.generation += 1
        self.changed.notify_all()

    def pending(self) -> dict[str, int]:
        """Per sink, how many accepted events it has not finished (at most; seqs may skip)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT sink, (SELECT COALESCE(MAX(seq), 0) FROM events) - done_seq FROM progress").fetchall()
        return {row[0]: int(row[1]) for row in rows}

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
