"""The reliable sender's shared work list: leased events waiting for a worker, outcomes waiting for the spool,
and who waits for which.

Every method is called under the sender's lock (given to the constructor;
the waits release it). Workers only send: they take leased events and put
back outcomes. One spool keeper thread takes every turn at the spool,
settling the outcomes gathered so far and leasing up to the window in one
transaction; while every worker is busy it waits a moment (``GATHER_SEC``)
for a fuller batch. So workers never queue on the spool's lock nor wait for
a commit between sends, and an outcome is written within moments even
while every worker waits on a slow answer.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .spool import LeasedEvent, Outcome

LEASES_PER_WORKER = 4  # the lease window: enough that each turn at the spool settles and leases a batch
GATHER_SEC = 0.002  # how long the keeper waits for a fuller batch while every worker is busy
IDLE_SEC = 0.5  # the longest an idle wait lasts: a wake-up missed costs at most this
_IDLE, _GATHERING = "idle", "gathering"


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

    def __init__(self, workers: int, lock: threading.Lock, window: int | None = None, *,
                 idle_sec: float = IDLE_SEC) -> None:
        self.workers = max(1, workers)
        self.window = max(self.workers, window if window is not None else LEASES_PER_WORKER * self.workers)
        self.ready: deque[LeasedEvent] = deque()
        self.in_flight = 0
        self.outcomes: list[Settled] = []
        self.stopped = False
        self.arrivals = 0  # submits accepted: the keeper does not idle past one it has not leased from
        self.gathers = 0  # turns that waited for a fuller batch
        self.idle_sec = idle_sec
        self._work = threading.Condition(lock)  # idle workers
        self._keeper = threading.Condition(lock)
        self._keeper_waits: str | None = None  # _IDLE or _GATHERING while the keeper waits
        self._idle_workers = 0

    # -- workers -----------------------------------------------------------------

    def next_job(self) -> LeasedEvent | None:
        """An event to send (waiting for one), or None when the workers are to stop."""
        while not self.stopped:
            job = self.take_ready()
            if job is not None:
                return job
            if self._keeper_waits == _GATHERING:
                self._keeper.notify()  # a worker has nothing to send: lease now
            self._idle_workers += 1
            self._work.wait(self.idle_sec)
            self._idle_workers -= 1
        return None

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
        if self._keeper_waits == _IDLE or (self._keeper_waits == _GATHERING and self.batch_full()):
            self._keeper.notify()

    # -- the spool keeper and submits ------------------------------------------------

    def submitted(self) -> None:
        """New events are in the spool."""
        self.arrivals += 1
        if self._keeper_waits == _IDLE:
            self._keeper.notify()

    def next_turn(self, unfinished: Callable[[], int]) -> tuple[list[Settled], int] | None:
        """Wait for something to settle or lease; the turn's outcomes and room (None: stop).

        ``unfinished``: how many events the spool holds unfinished (pending or leased)."""
        gathered = False
        while not self.stopped:
            if self.outcomes:
                if gathered or self._idle_workers or self.batch_full():
                    return self.take_outcomes()
                gathered = True  # every worker is busy: a moment more makes a fuller batch
                self.gathers += 1
                self._wait_as_keeper(_GATHERING, GATHER_SEC)
                continue
            held = self.held()
            if unfinished() > held and held < self.window:
                return self.take_outcomes()  # pending in the spool, and room to lease it
            self._wait_as_keeper(_IDLE, self.idle_sec)
        return None

    def end_turn(self, leased: list[LeasedEvent]) -> None:
        self.ready.extend(leased)
        if leased and self._idle_workers:
            self._work.notify(min(self._idle_workers, len(leased)))

    def keeper_idle(self, seconds: float, arrivals: int) -> None:
        """Wait up to ``seconds`` unless outcomes or submits (since ``arrivals``) came meanwhile."""
        if not self.stopped and not self.outcomes and self.arrivals == arrivals:
            self._wait_as_keeper(_IDLE, seconds)

    def stop(self) -> None:
        self.stopped = True
        self._work.notify_all()
        self._keeper.notify_all()

    def _wait_as_keeper(self, why: str, seconds: float) -> None:
        self._keeper_waits = why
        self._keeper.wait(seconds)
        self._keeper_waits = None

    # -- the lists ----------------------------------------------------------------

    @property
    def keeper_waiting(self) -> str | None:
        """Why the keeper waits right now ("idle" or "gathering"), None while it works."""
        return self._keeper_waits

    @property
    def idle_workers(self) -> int:
        """Workers waiting for an event to send."""
        return self._idle_workers

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

    def take_everything(self) -> tuple[list[Settled], list[LeasedEvent]]:
        """When the workers stop: the outcomes still to write, and the leased events never sent."""
        outcomes, unsent = self.outcomes, list(self.ready)
        self.outcomes, self.ready = [], deque()
        return outcomes, unsent
