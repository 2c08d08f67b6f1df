"""What the delivery engine sends: an event whose body is already made.

The payload layer turns a ``TaskStateChange`` into wire bytes; this package
only needs the ids and statuses to order, filter and label deliveries.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from dataclasses import dataclass


def new_event_id() -> str:
    """A fresh, unique event id in the ``msg_...`` style of Standard Webhooks."""
    return "msg_" + uuid.uuid4().hex


def webhook_message_id(release: str, body: bytes) -> str:
    """The id of the event a release puts on the wire as ``body``: the same input, the same id.

    The body holds everything that tells one task state change from another
    (task id, new status, the task's event timestamps), so its hash is the
    event's identity: re-sending an input after a crash gives every event the
    id it had, and receivers drop the repeats. ``release`` ("0.22") is part of
    it because the same event is a different delivery for another release.
    Same ``msg_`` + 32 hex digits shape as :func:`new_event_id`.
    """
    digest = hashlib.sha256(b"aurorakit-event-id/1\0" + release.encode("ascii") + b"\0" + body)
    return "msg_" + digest.hexdigest()[:32]


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


class OccurrenceIds:
    """Tells repeats of one event within one run apart: the n-th repeat of an id gets ``.n`` appended.

    A scheduler re-posts byte-identical events (0.14/0.15 announce every
    stored task again at each start), and a capture holds them as separate
    posts: each must be delivered, not dropped as a duplicate of the first.
    Counting within the run keeps the ids derived: the same input or the
    same simulation gives the same ids again.
    """

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def __call__(self, event: OutgoingEvent) -> OutgoingEvent:
        repeat = self._seen.get(event.event_id, 0)
        self._seen[event.event_id] = repeat + 1
        return event if repeat == 0 else dataclasses.replace(event, event_id=f"{event.event_id}.{repeat}")
