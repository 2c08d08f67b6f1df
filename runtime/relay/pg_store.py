"""Received webhooks in PostgreSQL, shared by several receivers (``receive --store postgresql://...``).

The same interface as the SQLite :class:`ReceiverStore` (the receiver and the
``receive`` CLI use either), for receivers behind a load balancer:

- the schema is created on first use, under an advisory lock (receivers
  starting together create it once), and versioned in ``aurorakit_schema``;
  a database holding a newer version than this code knows is refused;
- a ``webhook-id`` is unique by constraint (``ON CONFLICT DO NOTHING``), so
  two receivers given the same retry store it once;
- every insert takes one transaction-level advisory lock, so ``seq`` order is
  commit order across receivers: a reader that has seen ``seq`` N can never
  later find a committed row below N (``tail --follow`` would skip it). This
  serialises inserts (one short transaction each), the price of a gapless tail;
- an insert trigger sends ``NOTIFY aurorakit_deliveries``; ``tail(follow=True)``
  LISTENs on its own connection and reads new rows when told, polling as well
  so a notification lost to a reconnect costs a poll interval, not a row;
- a lost connection (the server restarted) is reopened on the next call; a
  write that fails raises :class:`StoreWriteError` (the receiver answers 503).
"""

from __future__ import annotations

import builtins
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg

from ..errors import AurorakitError
from ..webhook.receiver_store import REJECTED_KEPT, ReceiverStore, RejectedRequest, StoredDelivery, StoreWriteError

SCHEMA_VERSION = 1
CHANNEL = "aurorakit_deliveries"
_INSERT_LOCK = 0x6175726F  # pg_advisory_xact_lock key serialising inserts ("auro")
_SCHEMA_LOCK = 0x6175726E  # pg_advisory_lock key for creating the schema

_SCHEMA_V1 = f"""
CREATE TABLE IF NOT EXISTS aurorakit_deliveries (
    seq         BIGSERIAL PRIMARY KEY,
    webhook_id  TEXT UNIQUE,
    received_at DOUBLE PRECISION NOT NULL,
    path        TEXT NOT NULL,
    remote      TEXT NOT NULL,
    headers     TEXT NOT NULL,
    body        BYTEA NOT NULL,
    summary     TEXT
);
CREATE TABLE IF NOT EXISTS aurorakit_rejected (
    seq         BIGSERIAL PRIMARY KEY,
    received_at DOUBLE PRECISION NOT NULL,
    status      INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    remote      TEXT NOT NULL,
    webhook_id  TEXT,
    size        BIGINT,
    headers     TEXT NOT NULL
);
CREATE OR REPLACE FUNCTION aurorakit_notify_delivery() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', NEW.seq::text);
    RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS aurorakit_delivery_added ON aurorakit_deliveries;
CREATE TRIGGER aurorakit_delivery_added AFTER INSERT ON aurorakit_deliveries
    FOR EACH ROW EXECUTE FUNCTION aurorakit_notify_delivery();
"""
_COLUMNS = "seq, webhook_id, received_at, path, remote, headers, body, summary"
T = TypeVar("T")


class StoreOpenError(AurorakitError):
    """A PostgreSQL store that cannot be opened (server down, wrong URL, newer schema)."""


def redacted_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (for messages and reprs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def _row_to_delivery(row: tuple[Any, ...]) -> StoredDelivery:
    return StoredDelivery(
        seq=int(row[0]), webhook_id=row[1], received_at=float(row[2]), path=row[3], remote=row[4],
        headers=json.loads(row[5]), body=bytes(row[6]),
        summary=None if row[7] is None else json.loads(row[7]),
    )


class PostgresReceiverStore(ReceiverStore):
    """Received webhooks in one PostgreSQL database; safe to share between threads and processes.

    A subclass of the SQLite store only so that code typed for it takes this
    one: nothing of SQLite is used (``__init__`` does not call the parent's).
    """

    def __init__(self, url: str, *, connect_timeout: float = 5.0) -> None:
        self.url = url
        self.path = redacted_url(url)  # what messages name
        self._connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        try:
            with self._lock:
                self._ensure_schema(self._connection())
        except psycopg.Error as err:
            self._drop()
            raise StoreOpenError(f"{self.path}: cannot open the store: {_reason(err)}") from None

    def __repr__(self) -> str:
        return f"PostgresReceiverStore({self.path!r})"

    # -- connection ---------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=max(1, int(self._connect_timeout)))

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
        self._conn = None

    def _run(self, what: str, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``work`` on the connection, reopened once if the server dropped it; StoreWriteError otherwise."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    return work(self._connection())
                except psycopg.OperationalError as err:
                    self._drop()  # a restarted server: the next attempt (or call) reconnects
                    if attempt == 2:
                        raise StoreWriteError(f"{self.path}: cannot {what}: {_reason(err)}") from None
                except psycopg.Error as err:
                    raise StoreWriteError(f"{self.path}: cannot {what}: {_reason(err)}") from None
        raise AssertionError("unreachable")

    @staticmethod
    def _ensure_schema(conn: psycopg.Connection[Any]) -> None:
        conn.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK,))
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS aurorakit_schema (version INTEGER NOT NULL)")
            row = conn.execute("SELECT MAX(version) FROM aurorakit_schema").fetchone()
            found = None if row is None or row[0] is None else int(row[0])
            if found is not None and found > SCHEMA_VERSION:
                raise StoreOpenError(f"the database holds aurorakit store schema version {found}; this aurorakit "
                                     f"knows up to {SCHEMA_VERSION} (upgrade aurorakit)")
            if found is None:
                with conn.transaction():
                    conn.execute(_SCHEMA_V1)
                    conn.execute("INSERT INTO aurorakit_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))

    # -- writing ------------------------------------------------------------------

    def add(self, *, webhook_id: str | None, path: str, remote: str, headers: Mapping[str, str],
            body: bytes, summary: Mapping[str, Any] | None,
            received_at: float | None = None) -> int | None:
        """Store one delivery; its ``seq``, or None if ``webhook_id`` was already stored."""
        when = time.time() if received_at is None else received_at
        summary_text = None if summary is None else json.dumps(dict(summary), default=str)

        def insert(conn: psycopg.Connection[Any]) -> int | None:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_INSERT_LOCK,))
                row = conn.execute(
                    "INSERT INTO aurorakit_deliveries (webhook_id, received_at, path, remote, headers, body,"
                    " summary) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (webhook_id) DO NOTHING"
                    " RETURNING seq",
                    (webhook_id, when, path, remote, json.dumps(dict(headers)), body, summary_text)).fetchone()
            return None if row is None else int(row[0])
        return self._run("store the delivery", insert)

    def add_rejected(self, *, status: int, reason: str, method: str, path: str, remote: str,
                     webhook_id: str | None, size: int | None, headers: Mapping[str, str],
                     received_at: float | None = None) -> None:
        """Record one refused request; the oldest records beyond ``REJECTED_KEPT`` are dropped."""
        when = time.time() if received_at is None else received_at

        def insert(conn: psycopg.Connection[Any]) -> None:
            row = conn.execute(
                "INSERT INTO aurorakit_rejected (received_at, status, reason, method, path, remote, webhook_id,"
                " size, headers) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING seq",
                (when, status, reason, method, path, remote, webhook_id, size, json.dumps(dict(headers)))).fetchone()
            if row is not None and int(row[0]) % 100 == 0:
                conn.execute("DELETE FROM aurorakit_rejected WHERE seq <= %s", (int(row[0]) - REJECTED_KEPT,))
        self._run("record the rejected request", insert)

    # -- reading ------------------------------------------------------------------

    def _rows(self, query: str, params: tuple[Any, ...]) -> builtins.list[tuple[Any, ...]]:
        return self._run("read the store", lambda conn: conn.execute(query, params).fetchall())

    def rejected(self, limit: int = 100) -> builtins.list[RejectedRequest]:
        rows = self._rows("SELECT seq, received_at, status, reason, method, path, remote, webhook_id, size, headers"
                          " FROM aurorakit_rejected ORDER BY seq DESC LIMIT %s", (limit,))
        return [RejectedRequest(seq=int(row[0]), received_at=float(row[1]), status=row[2], reason=row[3],
                                method=row[4], path=row[5], remote=row[6], webhook_id=row[7],
                                size=None if row[8] is None else int(row[8]), headers=json.loads(row[9]))
                for row in reversed(rows)]

    def has(self, webhook_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM aurorakit_deliveries WHERE webhook_id = %s", (webhook_id,)))

    def count(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM aurorakit_deliveries", ())[0][0])

    def list(self, limit: int = 100) -> builtins.list[StoredDelivery]:
        rows = self._rows(f"SELECT {_COLUMNS} FROM aurorakit_deliveries ORDER BY seq DESC LIMIT %s", (limit,))
        return [_row_to_delivery(row) for row in reversed(rows)]

    def since(self, seq: int, limit: int = 1000) -> builtins.list[StoredDelivery]:
        rows = self._rows(f"SELECT {_COLUMNS} FROM aurorakit_deliveries WHERE seq > %s ORDER BY seq LIMIT %s",
                          (seq, limit))
        return [_row_to_delivery(row) for row in rows]

    def _max_seq(self) -> int:
        value = self._rows("SELECT MAX(seq) FROM aurorakit_deliveries", ())[0][0]
        return 0 if value is None else int(value)

    def tail(self, *, last: int = 10, follow: bool = False, poll_interval: float = 1.0,
             stop: threading.Event | None = None) -> Iterator[StoredDelivery]:
        """The ``last`` most recent deliveries, then (``follow``) new ones from any receiver, as NOTIFY tells."""
        cursor_seq = 0
        for delivery in self.list(last) if last > 0 else []:
            cursor_seq = delivery.seq
            yield delivery
        if last <= 0:
            cursor_seq = self._max_seq()
        listener: psycopg.Connection[Any] | None = None
        try:
            while follow and not (stop is not None and stop.is_set()):
                try:
                    if listener is None:
                        listener = self._listen()  # LISTEN before reading, so nothing falls between
                    fresh = self.since(cursor_seq)
                except (psycopg.OperationalError, StoreWriteError):
                    # the server is down or restarting: keep following, from where we were
                    if listener is not None:
                        listener.close()
                        listener = None
                    _pause(stop, poll_interval)
                    continue
                for delivery in fresh:
                    cursor_seq = delivery.seq
                    yield delivery
                if fresh:
                    continue
                try:
                    for _ in listener.notifies(timeout=poll_interval, stop_after=1):
                        pass
                except psycopg.OperationalError:
                    listener.close()
                    listener = None
        finally:
            if listener is not None:
                listener.close()

    def _listen(self) -> psycopg.Connection[Any]:
        conn = self._connect()
        conn.execute(f"LISTEN {CHANNEL}")
        return conn

    def close(self) -> None:
        with self._lock:
            self._drop()


def _pause(stop: threading.Event | None, seconds: float) -> None:
    if stop is not None:
        stop.wait(seconds)
    else:
        time.sleep(seconds)


def _reason(err: psycopg.Error) -> str:
    return " ".join(str(err).split()) or type(err).__name__
