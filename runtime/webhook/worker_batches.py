"""The reliable sender's shared work list: leased events waiting for a worker, outcomes waiting for the spool.

Not thread-safe by itself: the sender calls it under its own lock. Only the
sender's spool keeper thread takes turns at the spool (settling the
gathered outcomes, leasing the next batch, in one transaction), so workers
never queue on the spool's lock and never wait for a commit between sends.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .spool import LeasedEvent, Outcome

LEASES_PER_WORKER = 4  # the lease window: enough that each turn at the spool settles and leases a batch


@dataclass(frozen=True)
class Settled:
    """An attempt's outcome, waiting to be written; ``task_id`` is for the log line of a give-up."""

    outcome: Outcome
    task_id: str


class WorkerBatches:
    """Leased events ready to send, how many are being sent, and outcomes not yet written.

    ``window`` (``LEASES_PER_WORKER`` per worker unless given) bounds the
    events leased and not yet settled: a crash leaves at most that many to
    be sent again, of which only those in flight (or answered within the
    last moments, their outcome not yet written) may have reached the
    receiver.
    """

    def __init__(self, workers: int, window: int | None = None) -> None:
        self.workers = max(1, workers)
        self.window = max(self.workers, window if window is not None else LEASES_PER_WORKER * self.workers)
        self.ready: deque[LeasedEvent] = deque()
        self.in_flight = 0
        self.outcomes: list[Settled] = []

    def take_ready(self) -> LeasedEvent | None:
        """The oldest event ready to send (now in flight), if any."""
        if not self.ready:
            return None
        self.in_flight += 1
        return self.ready.popleft()

    def done(self, settled: Settled) -> None:
        """Record a sent event's outcome, to be written at the next turn."""
        self.in_flight -= 1
        self.outcomes.append(settled)

    def held(self) -> int:
        """Events leased from the spool and not yet settled there."""
        return len(self.ready) + self.in_flight + len(self.outcomes)

    def batch_full(self) -> bool:
        """Enough outcomes wait that a turn should not wait for more."""
        return 2 * len(self.outcomes) >= self.window or self.in_flight == 0

    def take_outcomes(self) -> tuple[list[Settled], int]:
        """At the start of a turn: the outcomes to write, and how many events may be leased."""
        outcomes, self.outcomes = self.outcomes, []
        return outcomes, self.window - len(self.ready) - self.in_flight

    def add_leased(self, leased: list[LeasedEvent]) -> None:
        self.ready.extend(leased)

    def take_everything(self) -> tuple[list[Settled], list[LeasedEvent]]:
        """When the workers stop: the outcomes still to write, and the leased events never sent."""
        outcomes, unsent = self.outcomes, list(self.ready)
        self.outcomes, self.ready = [], deque()
        return outcomes, unsent
