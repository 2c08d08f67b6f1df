"""What the spool hands out and takes back: leased events, outcomes, records and counts."""

from __future__ import annotations

from dataclasses import dataclass

from .outgoing import OutgoingEvent

PENDING, LEASED, DELIVERED, GIVEN_UP = "pending", "leased", "delivered", "given_up"


@dataclass(frozen=True)
class LeasedEvent:
    """An event handed to one worker; ``attempt`` counts from 1."""

    event: OutgoingEvent
    attempt: int
    enqueued_at: float


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to, for :meth:`Spool.settle`: the event's next state."""

    event_id: str
    state: str  # DELIVERED, GIVEN_UP, PENDING (a retry at ``retry_at``) or LEASED (put back unattempted)
    error: str | None = None  # the give-up reason, or the retried attempt's error
    retry_at: float = 0.0

    @classmethod
    def delivered(cls, event_id: str) -> Outcome:
        return cls(event_id, DELIVERED)

    @classmethod
    def given_up(cls, event_id: str, reason: str) -> Outcome:
        return cls(event_id, GIVEN_UP, reason)

    @classmethod
    def retry(cls, event_id: str, at: float, error: str) -> Outcome:
        return cls(event_id, PENDING, error, at)

    @classmethod
    def released(cls, event_id: str) -> Outcome:
        return cls(event_id, LEASED)


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
