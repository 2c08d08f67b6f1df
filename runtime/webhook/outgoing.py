"""What the delivery engine sends: an event whose body is already made.

The payload layer turns a ``TaskStateChange`` into wire bytes; this package
only needs the ids and statuses to order, filter and label deliveries.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


def new_event_id() -> str:
    """A fresh, unique event id in the ``msg_...`` style of Standard Webhooks."""
    return "msg_" + uuid.uuid4().hex


@dataclass(frozen=True)
class OutgoingEvent:
    """One task state change ready to POST.

    ``event_id`` is stable for the event's whole life (every retry, every
    restart) and is sent as ``webhook-id``. ``old_status`` is None for the
    initial events Aurora 0.14/0.15 posted at scheduler start.
    """

    event_id: str
    task_id: str
    new_status: str
    old_status: str | None
    body: bytes

    def __repr__(self) -> str:  # the body can be tens of kilobytes
        return (f"OutgoingEvent(event_id={self.event_id!r}, task_id={self.task_id!r}, "
                f"new_status={self.new_status!r}, old_status={self.old_status!r}, "
                f"body=<{len(self.body)} bytes>)")
