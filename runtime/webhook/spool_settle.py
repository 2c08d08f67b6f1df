"""Recording attempts' outcomes in the spool (the statements behind ``Spool.settle``), and the body sweep.

A delivered event is never sent again, so its body can go. Deleting each body
as its delivery is recorded rewrites (and rebalances) about a page per event,
since a typical body fills most of a page; that was half of what recording a
delivery cost. So the seqs of delivered events are handed back, and the spool
deletes their bodies together once ``BODY_SWEEP`` are waiting (whole pages
then go to the free list at once). Bodies left over by a process that ended
before its sweep are deleted when the file is next opened (``SWEEP_LEFTOVERS``):
at most ``BODY_SWEEP`` delivered bodies linger in a working spool. On a full
disk, where recording a delivery can need a page, the spool deletes the bodies
first and tries again (``drop_bodies_of_delivered``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TypeVar

from .spool_records import DELIVERED, LEASED, PENDING, Outcome

BODY_SWEEP = 512
IDS_PER_STATEMENT = 500  # well under SQLite's limit on a statement's parameters

T = TypeVar("T")

SWEEP_LEFTOVERS = ("DELETE FROM bodies WHERE seq IN (SELECT b.seq FROM bodies AS b JOIN events AS e"
                   " ON e.seq = b.seq WHERE e.state = 'delivered')")


def _parts(items: list[T]) -> Iterator[tuple[list[T], str]]:
    """``items`` in parts of at most IDS_PER_STATEMENT, each with its ``?, ?, ...`` placeholders."""
    for start in range(0, len(items), IDS_PER_STATEMENT):
        part = items[start:start + IDS_PER_STATEMENT]
        yield part, ", ".join("?" * len(part))


def settle_all(db: sqlite3.Connection, outcomes: list[Outcome], when: float) -> tuple[list[bool], list[int]]:
    """Record ``outcomes`` in the open transaction: per outcome whether it changed the event, and the seqs
    of the events it recorded delivered (their bodies are the caller's to sweep).

    Deliveries (nearly every outcome) go in a statement per few hundred; the rest one by one.
    """
    delivered_seqs: list[int] = []
    delivered = [outcome.event_id for outcome in outcomes if outcome.state == DELIVERED]
    if len(delivered) < 2 or len({outcome.event_id for outcome in outcomes}) != len(outcomes):
        return [_settle_one(db, outcome, when, delivered_seqs) for outcome in outcomes], delivered_seqs  # in order
    done: set[str] = set()
    for part, marks in _parts(delivered):
        for seq, event_id in db.execute(
                "UPDATE events SET state = 'delivered', finished_at = ?"
                f" WHERE event_id IN ({marks}) AND state IN ('leased', 'pending')"
                " RETURNING seq, event_id", [when, *part]):
            done.add(event_id)
            delivered_seqs.append(seq)
    changed = [outcome.event_id in done if outcome.state == DELIVERED
               else _settle_one(db, outcome, when, delivered_seqs) for outcome in outcomes]
    return changed, delivered_seqs


def _settle_one(db: sqlite3.Connection, outcome: Outcome, when: float, delivered_seqs: list[int]) -> bool:
    if outcome.state == LEASED:
        cursor = db.execute(
            "UPDATE events SET state = 'pending', attempts = MAX(attempts - 1, 0)"
            " WHERE event_id = ? AND state = 'leased'", (outcome.event_id,))
        return cursor.rowcount == 1
    if outcome.state == PENDING:
        cursor = db.execute(
            "UPDATE events SET state = 'pending', next_attempt_at = ?, last_error = ?"
            " WHERE event_id = ? AND state = 'leased'", (outcome.retry_at, outcome.error, outcome.event_id))
        return cursor.rowcount == 1
    rows = db.execute(
        "UPDATE events SET state = ?, finished_at = ?, last_error = COALESCE(?, last_error)"
        " WHERE event_id = ? AND state IN ('leased', 'pending') RETURNING seq",
        (outcome.state, when, outcome.error, outcome.event_id)).fetchall()
    if rows and outcome.state == DELIVERED:
        delivered_seqs.append(rows[0][0])
    return bool(rows)


def sweep_bodies(db: sqlite3.Connection, seqs: list[int]) -> None:
    """Delete the bodies of these (delivered) events, in the open transaction."""
    for part, marks in _parts(sorted(seqs)):
        db.execute(f"DELETE FROM bodies WHERE seq IN ({marks})", part)


def drop_bodies_of_delivered(db: sqlite3.Connection, outcomes: list[Outcome]) -> None:
    """Delete, before recording them, the bodies of the events ``outcomes`` deliver (those still unfinished)."""
    ids = [outcome.event_id for outcome in outcomes if outcome.state == DELIVERED]
    for part, marks in _parts(ids):
        db.execute("DELETE FROM bodies WHERE seq IN (SELECT seq FROM events"
                   f" WHERE event_id IN ({marks}) AND state IN ('leased', 'pending'))", part)
