"""Salvaging the readable events of a damaged spool into a new one.

A spool that SQLite cannot open normally (a truncated file, a damaged page)
often still holds readable rows: the table's pages that survive can be
reached one row at a time by its ``seq`` key, with SQLite's schema checks
relaxed (``writable_schema``) and the file opened read-only, so the damaged
file is never changed. Each row that reads back whole is copied, with its
state, attempts and times, into a fresh spool; events left ``leased`` become
``pending`` there (they were never acknowledged).

``aurorakit send --config webhook.json --salvage DAMAGED.db`` does this into
the config's spool and then delivers what was saved.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .spool import SALVAGED_COLUMNS, Spool, SpoolError

# With no readable high-water mark, stepping over damage stops after this many keys in a row.
_GIVE_UP_AFTER_MISSING = 10_000
_SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class SalvageReport:
    """What a salvage found: rows copied by state, rows that could not be read."""

    copied: dict[str, int]
    unreadable: int

    @property
    def total(self) -> int:
        return sum(self.copied.values())

    def describe(self) -> str:
        states = ", ".join(f"{count} {state}" for state, count in sorted(self.copied.items())) or "none"
        return f"{self.total} event(s) salvaged ({states}); {self.unreadable} unreadable"


def salvage(damaged: str | Path, into: str | Path) -> SalvageReport:
    """Copy every readable event of ``damaged`` into a new spool at ``into`` (which must not exist)."""
    source, target = str(damaged), str(into)
    if Path(target).exists():
        raise SpoolError(f"spool {target}: already exists; salvage writes a new spool (move the old one aside)")
    if not Path(source).is_file():
        raise SpoolError(f"spool {source}: no such file to salvage")
    with open(source, "rb") as handle:
        if handle.read(16) != _SQLITE_HEADER:
            raise SpoolError(f"spool {source}: not an SQLite file: nothing in it can be salvaged")
    try:
        db = sqlite3.connect(f"file:{quote(source)}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise SpoolError(f"spool {source}: cannot open to salvage: {err}") from None
    try:
        db.execute("PRAGMA writable_schema = ON")  # read past a schema that points beyond a truncated end
        rows, unreadable = _readable_rows(db, source)
    finally:
        db.close()
    if not rows and unreadable == 0:
        raise SpoolError(f"spool {source}: no readable events in it (not a spool, or nothing left)")
    spool = Spool(target)
    try:
        spool.insert_salvaged(rows)
    finally:
        spool.close()
    copied: dict[str, int] = {}
    for row in rows:
        state = "pending" if row[5] == "leased" else str(row[5])
        copied[state] = copied.get(state, 0) + 1
    return SalvageReport(copied=copied, unreadable=unreadable)


def _readable_rows(db: sqlite3.Connection, source: str) -> tuple[list[tuple[object, ...]], int]:
    """Every well-formed row, by ``seq``, and how many could not be read or were damaged.

    Seeks from key to key (gaps left by purged events cost nothing); where a
    seek hits damage, steps over it one key at a time, each counted as
    unreadable, up to the high-water mark (or, without one, until
    ``_GIVE_UP_AFTER_MISSING`` keys in a row failed: those past the last
    readable row are not counted, as they may never have existed).
    """
    highest = _high_water_mark(db)
    seek = f"SELECT seq, {SALVAGED_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT 1"
    if _has_bodies_table(db):  # the body from its own table; a row whose body is lost is unreadable
        columns = ", ".join("b.body" if name == "body" else f"e.{name}" for name in SALVAGED_COLUMNS.split(", "))
        seek = (f"SELECT e.seq, {columns} FROM events AS e LEFT JOIN bodies AS b ON b.seq = e.seq"
                " WHERE e.seq > ? ORDER BY e.seq LIMIT 1")
    rows: list[tuple[object, ...]] = []
    unreadable = 0
    seq, failing = 0, 0
    while highest is None or seq < highest:
        try:
            found = db.execute(seek, (seq,)).fetchone()
        except sqlite3.DatabaseError:
            seq += 1
            unreadable += 1
            failing += 1
            if highest is None and failing >= _GIVE_UP_AFTER_MISSING:
                unreadable -= failing
                break
            continue
        except sqlite3.Error as err:  # not damage but a file that is no spool at all
            raise SpoolError(f"spool {source}: cannot salvage: {err}") from None
        if found is None:
            break
        failing = 0
        seq, row = int(found[0]), tuple(found[1:])
        if row[4] is None and row[5] == "delivered":
            row = row[:4] + (b"",) + row[5:]  # its body was dropped once it was delivered
        if _well_formed(row):
            rows.append(row)
        else:  # read, but damaged inside (SQLite keeps no checksums): not to be sent
            unreadable += 1
    return rows, unreadable


_STATES = ("pending", "leased", "delivered", "given_up")


def _well_formed(row: tuple[object, ...]) -> bool:
    """Whether a row read back has every column of the type the spool writes."""
    (event_id, task_id, new_status, old_status, body, state, attempts, enqueued_at, next_attempt_at,
     finished_at, last_error) = row
    return (all(isinstance(value, str) and value for value in (event_id, task_id, new_status))
            and (old_status is None or isinstance(old_status, str))
            and isinstance(body, bytes) and state in _STATES
            and isinstance(attempts, int) and attempts >= 0
            and all(isinstance(value, (int, float)) for value in (enqueued_at, next_attempt_at))
            and (finished_at is None or isinstance(finished_at, (int, float)))
            and (last_error is None or isinstance(last_error, str)))


def _has_bodies_table(db: sqlite3.Connection) -> bool:
    """Whether bodies are kept apart from the events (files made before keep them in ``events.body``)."""
    try:
        return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bodies'").fetchone() is not None
    except sqlite3.Error:
        return False  # a schema that cannot be read: the events table is tried as it is


def _high_water_mark(db: sqlite3.Connection) -> int | None:
    """The largest ``seq`` ever given out (AUTOINCREMENT keeps it), if it can be read."""
    for query in ("SELECT seq FROM sqlite_sequence WHERE name = 'events'", "SELECT MAX(seq) FROM events"):
        try:
            row = db.execute(query).fetchone()
        except sqlite3.Error:
            continue
        if row is not None and isinstance(row[0], int):
            return row[0]
    return None
