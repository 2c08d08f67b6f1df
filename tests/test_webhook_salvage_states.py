"""Salvage of a whole (undamaged) spool: every event is copied with its state.

Delivered events have had their bodies dropped (the spool keeps no body it
will never send again); salvage must still count them as delivered, not as
unreadable rows.
"""

from __future__ import annotations

from pathlib import Path

from aurorakit.runtime.webhook.outgoing import OutgoingEvent
from aurorakit.runtime.webhook.spool import Spool
from aurorakit.runtime.webhook.spool_salvage import salvage


def ev(event_id: str, task: str) -> OutgoingEvent:
    return OutgoingEvent(event_id, task, "RUNNING", "STARTING", f"body of {event_id}".encode())


def test_delivered_events_whose_bodies_were_dropped_are_salvaged_as_delivered(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool.enqueue_many([ev("a1", "A"), ev("b1", "B"), ev("c1", "C")], now=1000)
    for event_id in ("a1", "b1"):
        leased = spool.lease(now=1000)
        assert leased is not None and leased.event.event_id == event_id
        assert spool.mark_delivered(event_id, now=1001)
    spool.close()
    report = salvage(tmp_path / "spool.db", tmp_path / "saved.db")
    assert (report.copied, report.unreadable) == ({"delivered": 2, "pending": 1}, 0)
    assert report.describe() == "3 event(s) salvaged (2 delivered, 1 pending); 0 unreadable"
    saved = Spool(tmp_path / "saved.db", create=False)
    try:
        assert [(r.event_id, r.state) for r in saved.records()] == [
            ("a1", "delivered"), ("b1", "delivered"), ("c1", "pending")]
        leased = saved.lease(now=2000)
        assert leased is not None and leased.event == ev("c1", "C")
    finally:
        saved.close()
