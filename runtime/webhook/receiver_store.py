"""Durable storage of received webhooks (SQLite, WAL mode).

Each delivery keeps the raw body bytes exactly as received, the request
headers (credential-like values redacted), the decoded summary and the
``webhook-id``. A second delivery with a ``webhook-id`` already stored is a
duplicate and is not stored again; requests without a ``webhook-id`` (Aurora
itself sends none) are all stored.

Requests the receiver refused (400, 401, 413, ...) are kept too, with their
reason but not their body, in a second table capped at the most recent
``REJECTED_KEPT`` rows (a flood of bad requests cannot fill the disk).

``webhook-id`` values are never pruned: a duplicate is recognised for as long
as the delivery is stored, which is longer than any signature tolerance.

Other processes may read the same file while a receiver writes it (``tail``
from a CLI, for instance).

A write that SQLite refuses (disk or ``max_bytes`` quota full, read-only file,
locked by another writer past ``busy_timeout``) raises :class:`StoreWriteError`;
the receiver answers 503 so that the sender retries later.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AurorakitError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id  TEXT UNIQUE,
    received_at REAL NOT NULL,
    path        TEXT NOT NULL,
    remote      TEXT NOT NULL,
    headers     TEXT NOT NULL,
    body        BLOB NOT NULL,
    summary     TEXT
);
CREATE TABLE IF NOT EXISTS rejected (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at REAL NOT NULL,
    status      INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    remote      TEXT NOT NULL,
    webhook_id  TEXT,
    size        INTEGER,
    headers     TEXT NOT NULL
);
"""
REJECTED_KEPT = 10_000
_PAGE_SIZE = 4096
_COLUMNS = "seq, webhook_id, received_at, path, remote, headers, body, summary"


@dataclass(frozen=True)
class StoredDelivery:
    seq: int
    webhook_id: str | None
    received_at: float
    path: str
    remote: str
    headers: dict[str, str]
    body: bytes
    summary: dict[str, Any] | None

    def __repr__(self) -> str:
        return (f"StoredDelivery(seq={self.seq}, webhook_id={self.webhook_id!r}, "
                f"path={self.path!r}, body=<{len(self.body)} bytes>, summary={self.summary!r})")


@dataclass(frozen=True)
class RejectedRequest:
    """A request the receiver refused, and why (its body is not kept)."""

    seq: int
    received_at: float
    status: int
    reason: str
    method: str
    path: str
    remote: str
    webhook_id: str | None
    size: int | None  # body bytes read (or announced), None if unknown
    headers: dict[str, str]


class StoreWriteError(AurorakitError):
    """The store cannot write (full, read-only, locked); the receiver answers 503."""


def _row_to_delivery(row: tuple[Any, ...]) -> StoredDelivery:
    return StoredDelivery(
        seq=row[0], webhook_id=row[1], received_at=row[2], path=row[3], remote=row[4],
        headers=json.loads(row[5]), body=bytes(row[6]),
        summary=None if row[7] is None else json.loads(row[7]),
    )


class ReceiverStore:
    """Received webhooks in one SQLite file; safe to share between threads."""

    def __init__(self, path: str | Path, *, max_bytes: int | None = None, busy_timeout: float = 5.0) -> None:
        """Open (or create) the store; ``max_bytes`` caps the database file's size."""
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        # WAL with synchronous=NORMAL: a commit survives the process being killed
        # (SIGKILL), which is what "acknowledged" promises; not a power cut.
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript(_SCHEMA)
        if max_bytes is not None:
            page_size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
            self._db.execute(f"PRAGMA max_page_count = {max(1, max_bytes // page_size)}")

    def __repr__(self) -> str:
        return f"ReceiverStore({self.path!r})"

    def add(self, *, webhook_id: str | None, path: str, remote: str, headers: Mapping[str, str],
            body: bytes, summary: Mapping[str, Any] | None,
            received_at: float | None = None) -> int | None:
        """Store one delivery; its ``seq``, or None if ``webhook_id`` was already stored."""
        when = time.time() if received_at is None else received_at
        summary_text = None if summary is None else json.dumps(dict(summary), default=str)
        with self._lock:
            try:
                cursor = self._db.execute(
                    "INSERT INTO deliveries (webhook_id, received_at, path, remote, headers, body, summary)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (webhook_id) DO NOTHING",
                    (webhook_id, when, path, remote, json.dumps(dict(headers)), body, summary_text))
            except sqlite3.Error as err:
                raise StoreWriteError(f"{self.path}: cannot store the delivery: {err}") from None
            return cursor.lastrowid if cursor.rowcount == 1 else None

    def add_rejected(self, *, status: int, reason: str, method: str, path: str, remote: str,
                     webhook_id: str | None, size: int | None, headers: Mapping[str, str],
                     received_at: float | None = None) -> None:
        """Record one refused request; the oldest records beyond ``REJECTED_KEPT`` are dropped."""
        when = time.time() if received_at is None else received_at
        with self._lock:
            try:
                cursor = self._db.execute(
                    "INSERT INTO rejected (received_at, status, reason, method, path, remote, webhook_id,"
                    " size, headers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (when, status, reason, method, path, remote, webhook_id, size, json.dumps(dict(headers))))
                if cursor.lastrowid is not None and cursor.lastrowid % 100 == 0:
                    self._db.execute("DELETE FROM rejected WHERE seq <= ?", (cursor.lastrowid - REJECTED_KEPT,))
            except sqlite3.Error as err:
                raise StoreWriteError(f"{self.path}: cannot record the rejected request: {err}") from None

    def rejected(self, limit: int = 100) -> builtins.list[RejectedRequest]:
        """The ``limit`` most recent rejected requests, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, received_at, status, reason, method, path, remote, webhook_id, size, headers"
                " FROM rejected ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
        return [RejectedRequest(seq=row[0], received_at=row[1], status=row[2], reason=row[3], method=row[4],
                                path=row[5], remote=row[6], webhook_id=row[7], size=row[8],
                                headers=json.loads(row[9])) for row in reversed(rows)]

    def all(self, batch: int = 500) -> Iterator[StoredDelivery]:
        """Every delivery, oldest first, read a batch at a time."""
        seq = 0
        while True:
            page = self.since(seq, batch)
            yield from page
            if len(page) < batch:
                return
            seq = page[-1].seq

    def has(self, webhook_id: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM deliveries WHERE webhook_id = ?", (webhook_id,)).fetchone()
        return row is not None

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0])

    def list(self, limit: int = 100) -> builtins.list[StoredDelivery]:
        """The ``limit`` most recent deliveries, oldest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM deliveries ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
        return [_row_to_delivery(row) for row in reversed(rows)]

    def since(self, seq: int, limit: int = 1000) -> builtins.list[StoredDelivery]:
        """Deliveries stored after ``seq``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM deliveries WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit)).fetchall()
        return [_row_to_delivery(row) for row in rows]

    def tail(self, *, last: int = 10, follow: bool = False, poll_interval: float = 0.2,
             stop: threading.Event | None = None) -> Iterator[StoredDelivery]:
        """The ``last`` most recent deliveries, then (``follow``) new ones as they come.

        With ``follow`` the generator polls until ``stop`` is set (or forever).
        """
        cursor_seq = 0
        for delivery in self.list(last) if last > 0 else []:
            cursor_seq = delivery.seq
            yield delivery
        if last <= 0:
            cursor_seq = self._max_seq()
        while follow and not (stop is not None and stop.is_set()):
            fresh = self.since(cursor_seq)
            for delivery in fresh:
                cursor_seq = delivery.seq
                yield delivery
            if not fresh:
                if stop is not None:
                    stop.wait(poll_interval)
                else:
                    time.sleep(poll_interval)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _max_seq(self) -> int:
        with self._lock:
            value = self._db.execute("SELECT MAX(seq) FROM deliveries").fetchone()[0]
        return 0 if value is None else int(value)
