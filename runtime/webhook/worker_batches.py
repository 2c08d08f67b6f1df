"""The reliable sender's shared work list: leased events waiting for a worker, outcomes waiting for the spool.

Not thread-safe by itself: the sender calls it under its own lock. One
worker at a time takes a *turn* at the spool (settling the gathered
outcomes, leasing the next batch), so workers never queue on the spool's
lock event by event.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .spool import LeasedEvent, Outcome

LEASES_PER_WORKER = 4  # the lease window: enough that each turn at the spool settles and leases a batch
TURN = object()  # what next_job hands a worker whose job is a turn at the spool


@dataclass(frozen=True)
class Settled:
    """An attempt's outcome, waiting to be written; ``task_id`` is for the log line of a give-up."""

    outcome: Outcome
    task_id: str


class WorkerBatches:
    """Leased events ready to send, how many are being sent, and outcomes not yet written.

    ``window`` (``LEASES_PER_WORKER`` per worker unless given) bounds the
    events leased and not yet settled: a crash leaves at most that many to
    be sent again, of which only those in flight may have reached the
    receiver. Outcomes are written at the first turn free to take
    them (a turn goes before the next send, so outcomes are not held while
    workers wait on slow answers); while one turn runs, the
    outcomes that arrive gather for the next, and each turn leases up to the
    window, so under load each turn settles and leases a batch.
    """

    def __init__(self, workers: int, window: int | None = None) -> None:
        self.workers = max(1, workers)
        self.window = max(self.workers, window if window is not None else LEASES_PER_WORKER * self.workers)
        self.ready: deque[LeasedEvent] = deque()
        self.in_flight = 0
        self.outcomes: list[Settled] = []
        self.turn_taken = False

    def next_job(self) -> LeasedEvent | object | None:
        """An event to send, TURN (the caller's turn at the spool), or None (wait)."""
        if self.outcomes and not self.turn_taken:
            self.turn_taken = True
            return TURN
        if self.ready:
            return self.take_ready()
        if not self.turn_taken:
            self.turn_taken = True
            return TURN
        return None

    def take_ready(self) -> LeasedEvent | None:
        """The oldest event ready to send (now in flight), if any."""
        if not self.ready:
            return None
        self.in_flight += 1
        return self.ready.popleft()

    def done(self, settled: Settled) -> bool:
        """Record a sent event's outcome; True: the caller takes a turn now."""
        self.in_flight -= 1
        self.outcomes.append(settled)
        if self.turn_taken:
            return False
        self.turn_taken = True
        return True

    def take_outcomes(self) -> tuple[list[Settled], int]:
        """At the start of a turn: the outcomes to write, and how many events may be leased."""
        outcomes, self.outcomes = self.outcomes, []
        return outcomes, self.window - len(self.ready) - self.in_flight

    def end_turn(self, leased: list[LeasedEvent], settled_any: bool) -> bool:
        """At the end of a turn; True when it found nothing to do (the caller may wait)."""
        self.ready.extend(leased)
        self.turn_taken = False
        return not leased and not settled_any and not self.outcomes

    def idle(self) -> bool:
        """Nothing to send and nothing to write: waiting loses no time."""
        return not self.ready and not self.outcomes

    def take_everything(self) -> tuple[list[Settled], list[LeasedEvent]]:
        """When the workers stop: the outcomes still to write, and the leased events never sent."""
        outcomes, unsent = self.outcomes, list(self.ready)
        self.outcomes, self.ready = [], deque()
        return outcomes, unsent
