"""Sending webhook events: as Aurora did, or reliably.

Counters (both modes keep Aurora's four with Aurora's meaning):

``webhooks_attempts``
    POSTs started (every retry counts).
``webhooks_success``
    Attempts answered with HTTP 200, and only 200, as Aurora counted.
``webhooks_user_errors``
    Attempts answered with any other status: the receiver the operator
    configured is at fault (our reading; a 204 is thus a user error for these
    Aurora counters even though reliable mode counts it as delivered).
``webhooks_errors``
    Attempts that got no answer: refused or dropped connection, timeout, TLS
    failure, bad URL.
So after every attempt ends, attempts = success + user_errors + errors.

Reliable mode adds: ``delivered`` (events acknowledged with any 2xx),
``retried`` (retries scheduled), ``given_up`` (events abandoned: a non-retried
answer such as 400/401/404 or a redirect, ``maxAttempts`` or ``deadlineSec``
reached), ``skipped`` (events the profile would not post: initial events from
0.16 on, statuses not listed from 0.19 on), ``duplicates`` (submitted events
whose id the spool already held: not sent again), ``not_accepted`` (``submit``
refused them: the spool could not write), and the gauge ``pending`` (in the
spool, not yet delivered or given up). Once the sender is closed,
accepted = delivered + given_up + pending, exactly.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import requests

from ..aurora.profiles import profile_for
from ..errors import AurorakitError
from .aurora_delivery import AuroraSender
from .config import WebhookConfig
from .delivery_attempt import AURORA_COUNTERS, RELIABLE_COUNTERS, Attempts, Counters
from .http_attempt import describe_exception
from .outgoing import OutgoingEvent
from .profile_traits import DeliveryProfile, should_post
from .redaction import redact_headers, redact_url
from .spool import GIVEN_UP, PENDING, LeasedEvent, Outcome, Spool, SpoolError, SpoolWriteError
from .worker_batches import Settled, WorkerBatches

log = logging.getLogger("aurorakit.webhook")


class SubmitQueueFullError(AurorakitError, RuntimeError):
    """``submit`` waited its timeout and the spool stayed full (``queueSize`` unfinished events)."""


class SenderClosedError(AurorakitError, RuntimeError):
    """``submit`` after ``close``."""


class ReliableSender:
    """Spooled, retried, signed delivery; see the module docstring for counters.

    ``submit`` writes the event to the SQLite spool before it returns: an
    event it accepted survives a crash, and one it could not write is refused
    with a :class:`SpoolWriteError` (never dropped quietly). A spool keeper
    thread leases events (one task's events in order) in batches and records
    their outcomes; ``workers`` threads POST them. Pass ``spool`` (a :class:`Spool` or a path) or set ``spool`` in the
    config; with neither, an in-memory SQLite database is used and nothing
    survives a restart. ``create_spool`` False refuses a spool file that does
    not exist yet (resuming).

    ``session``: with none, the sender's own session is used and its POSTs
    are written directly; a given one is used through requests as it is, its
    proxies, auth and environment applying (see ``delivery_attempt``).
    ``submit_many`` takes a batch in one spool transaction.

    Every attempt ends in one recorded outcome: delivered, a retry scheduled,
    or given up with its reason; an exception while sending gives the event up
    with that reason instead of leaving it leased. Retries go on with capped
    backoff until ``retry.deadlineSec`` after submission (and ``maxAttempts``
    if the policy sets one). If the spool itself fails (an outcome cannot be
    recorded), the sender stops: :attr:`failure` says why, ``drain`` and
    ``close`` return, and the events it held are sent by the next sender
    opened on the file.
    """

    def __init__(self, config: WebhookConfig, *, spool: Spool | str | Path | None = None,
                 profile: DeliveryProfile | None = None, session: requests.Session | None = None,
                 submit_timeout: float = 5.0, keep_finished_sec: float = 7 * 86_400.0,
                 start: bool = True, rng: random.Random | None = None, create_spool: bool = True) -> None:
        self.config = config
        self.profile: DeliveryProfile = profile or profile_for(config.profile)
        self.submit_timeout = submit_timeout
        self._owns_spool = not isinstance(spool, Spool)
        if isinstance(spool, Spool):
            self.spool = spool
        else:
            location = spool if spool is not None else config.spool
            if location is None:
                log.warning("webhook spool is in memory: pending events will not survive a restart")
            self.spool = Spool(location if location is not None else ":memory:", create=create_spool)
        self._counters = Counters(AURORA_COUNTERS + RELIABLE_COUNTERS)
        self._attempts = Attempts(config, self.profile, session, self._counters, rng)
        # One lock for the fields below and the work list; drain and a blocked submit wait on _progress.
        self._lock = threading.Lock()
        self._progress = threading.Condition(self._lock)
        self._unfinished = self.spool.unfinished()  # pending + leased, kept in step with the spool
        self._batches = WorkerBatches(config.workers, self._lock)
        self._blocked_submits = 0
        self._alive = 0
        self._failure: str | None = None
        self._closing = False
        self._closed = False
        self._drained = False
        self._final: dict[str, int] | None = None
        self._last_purge: float | None = None
        self._purging = False
        self.keep_finished_sec = keep_finished_sec
        self._threads: list[threading.Thread] = []
        if self.spool.recovered:
            log.warning("webhook spool %s: %d leased event(s) never acknowledged will be sent "
                        "(again, for those that were in flight)",
                        self.spool.path, self.spool.recovered)
        if start:
            self.start()

    def __repr__(self) -> str:
        return (f"ReliableSender(target={redact_url(self.config.target_url)!r}, "
                f"headers={redact_headers(self.config.headers)!r}, spool={self.spool.path!r}, "
                f"signed={self._attempts.key is not None}, workers={self.config.workers})")

    def __enter__(self) -> ReliableSender:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- public ----------------------------------------------------------------

    @property
    def failure(self) -> str | None:
        """Why the sender stopped on its own (the spool failed), as one line; None while it works."""
        return self._failure

    def start(self) -> None:
        if self._threads:
            return
        for number in range(self.config.workers):
            self._threads.append(threading.Thread(target=self._worker_loop, name=f"webhook-worker-{number}",
                                                  daemon=True))
        self._threads.append(threading.Thread(target=self._keeper_loop, name="webhook-spool-keeper", daemon=True))
        self._alive = len(self._threads)
        for thread in self._threads:
            thread.start()

    def submit(self, event: OutgoingEvent, timeout: float | None = None) -> bool:
        """Write ``event`` to the spool; False if the profile would not post it.

        True means accepted: it is in the spool (an event whose id the spool
        already holds is accepted once and counted in ``duplicates``). Blocks
        at most ``timeout`` (default ``submit_timeout``) seconds while
        ``queueSize`` events are unfinished, then raises
        :class:`SubmitQueueFullError`. Raises :class:`SpoolWriteError` when
        the spool cannot take it (the event is then not accepted).
        """
        return self.submit_many([event], timeout)[0]

    def submit_many(self, events: Iterable[OutgoingEvent], timeout: float | None = None) -> list[bool]:
        """Write ``events`` to the spool in one transaction (one commit for all); per event, ``submit``'s answer.

        All or none are accepted: the batch waits (as ``submit`` does) until
        the spool has room for all of it (a batch larger than ``queueSize``
        until the spool is empty), and a spool that cannot write refuses
        the whole batch. Order within the batch is submission order.
        """
        if self._closing:
            raise SenderClosedError("webhook sender is closed")
        events = list(events)
        posted = [should_post(event, self.config, self.profile) for event in events]
        batch = [event for event, post in zip(events, posted) if post]
        if len(batch) < len(events):
            self._counters.add("skipped", len(events) - len(batch))
        if not batch:
            return posted
        self._wait_for_room(len(batch), self.submit_timeout if timeout is None else timeout, batch[0])
        try:
            new = self.spool.enqueue_many(batch)
        except SpoolError:
            self._counters.add("not_accepted", len(batch))
            raise
        if new < len(batch):
            self._counters.add("duplicates", len(batch) - new)
        if new:
            with self._lock:
                self._unfinished += new
                self._batches.submitted()
        return posted

    def _wait_for_room(self, count: int, wait: float, first: OutgoingEvent) -> None:
        limit = self.config.queue_size
        with self._lock:
            self._blocked_submits += 1
            room = self._progress.wait_for(
                lambda: self._unfinished + count <= limit or self._unfinished == 0 or self._failure is not None,
                max(wait, 0.0))
            self._blocked_submits -= 1
            if self._failure is not None:
                self._counters.add("not_accepted", count)
                raise SpoolWriteError(self._failure)
            if not room:
                which = f"event {first.event_id}" if count == 1 else f"{count} events from {first.event_id} on"
                raise SubmitQueueFullError(
                    f"webhook spool holds {self._unfinished} unfinished event(s) (queueSize {limit}) "
                    f"after {wait:g}s; {which} not accepted")

    def flush(self, timeout: float | None = None) -> bool:
        """Whether everything submitted is durable: always, as ``submit`` writes before it returns.

        Kept for callers of the earlier, queued ``submit``.
        """
        return True

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every accepted event is delivered or given up (False: timeout or :attr:`failure`)."""
        with self._lock:
            self._progress.wait_for(lambda: self._unfinished == 0 or self._failure is not None, timeout)
            return self._unfinished == 0

    def close(self, timeout: float = 10.0) -> bool:
        """Stop accepting, try to deliver what is pending for up to ``timeout`` s.

        Returns True when nothing was left; otherwise the rest stays in the
        spool file and is sent by the next sender opened on it. ``stats()``
        after ``close`` gives the final counters.
        """
        if self._closed:
            return self._drained
        self._closing = True
        if self._threads:
            self.drain(timeout)
        with self._lock:
            self._batches.stop()
        grace = 2 * self.config.timeout_msec / 1000.0 + 1.0  # let in-flight POSTs end (connect + read)
        for thread in self._threads:
            thread.join(grace)
        busy = any(thread.is_alive() for thread in self._threads)
        self._final = self._snapshot()
        if busy:
            log.warning("webhook sender: a delivery is still running; leaving the spool open")
        elif self._owns_spool:
            self.spool.close()
        self._attempts.close()
        self._closed = True
        self._drained = self._final["pending"] == 0
        return self._drained

    def stats(self) -> dict[str, int]:
        """The counters, and the gauge ``pending``; exact, and final once ``close`` returned."""
        if self._final is not None:
            return dict(self._final)
        return self._snapshot()

    def _snapshot(self) -> dict[str, int]:
        values = self._counters.snapshot()
        with self._lock:
            values["pending"] = self._unfinished
        return values

    # -- worker threads (see worker_batches) ------------------------------------------

    def _worker_loop(self) -> None:
        outcome: Settled | None = None
        try:
            while True:
                with self._lock:  # once per event: hand in the last outcome and take the next job together
                    if outcome is not None:
                        self._batches.done(outcome)
                        outcome = None
                    job = self._batches.next_job()
                if job is None:
                    return
                outcome = self._attempts.outcome(job)
        except Exception as exc:  # noqa: BLE001  a bug outside any one delivery: stop, and say so
            self._fail(f"webhook sender: internal error: {describe_exception(exc)}")
        finally:
            self._worker_ended()

    def _keeper_loop(self) -> None:
        try:
            while True:
                with self._lock:
                    turn = self._batches.next_turn(lambda: self._unfinished)
                    arrivals = self._batches.arrivals
                if turn is None:
                    return
                outcomes, room = turn
                leased: list[LeasedEvent] = []
                try:
                    changed, leased = self.spool.settle_and_lease([settled.outcome for settled in outcomes], room)
                    self._count(outcomes, changed)
                finally:
                    with self._lock:
                        self._batches.end_turn(leased)
                if len(leased) < room:  # everything due is leased: wait for a change, not turn again at once
                    self._idle(arrivals)
        except SpoolError as err:
            self._fail(str(err))
        except Exception as exc:  # noqa: BLE001  a bug: stop, and say so
            self._fail(f"webhook sender: internal error: {describe_exception(exc)}")
        finally:
            self._worker_ended()

    def _count(self, outcomes: list[Settled], changed: list[bool]) -> None:
        """Count recorded outcomes and wake whoever waits on progress."""
        tally = {"delivered": 0, "retried": 0, "given_up": 0}
        for settled, made in zip(outcomes, changed):
            if not made:
                continue  # already finished (only after a bug between recording and counting)
            state = settled.outcome.state
            if state == GIVEN_UP:
                log.warning("webhook %s for task %s given up: %s", settled.outcome.event_id,
                            settled.task_id, settled.outcome.error)
            tally["retried" if state == PENDING else state] += 1
        for name, amount in tally.items():
            if amount:
                self._counters.add(name, amount)
        finished = tally["delivered"] + tally["given_up"]
        if finished:
            with self._lock:
                self._unfinished -= finished
                # Drain waits for none left, a blocked submit for room: wake them only then.
                if self._unfinished == 0 or (self._blocked_submits and self._unfinished < self.config.queue_size):
                    self._progress.notify_all()

    def _worker_ended(self) -> None:
        """The last worker out puts back what was leased but never sent, and records what was."""
        with self._lock:
            self._alive -= 1
            if self._alive or self._failure is not None:
                return
            outcomes, unsent = self._batches.take_everything()
        try:
            self._count(outcomes, self.spool.settle(
                [settled.outcome for settled in outcomes] + [Outcome.released(e.event.event_id) for e in unsent]))
        except SpoolError as err:
            log.warning("webhook sender: leases left for the next sender: %s", err)

    def _idle(self, arrivals: int) -> None:
        """The keeper leased all that is due: wait for the next due retry, a submit or an outcome."""
        self._maybe_purge()
        due = self.spool.next_due_at()
        wait = 0.5 if due is None else min(0.5, max(0.0, due - time.time()))
        with self._lock:
            self._batches.keeper_idle(max(wait, 0.005), arrivals)

    def _maybe_purge(self) -> None:
        """Now and then, remove long-finished events (keeps the spool file from growing forever)."""
        now = time.monotonic()
        with self._lock:
            if self._purging or (self._last_purge is not None and now - self._last_purge < 60.0):
                return
            self._purging, self._last_purge = True, now
        try:
            purged = self.spool.purge_finished(time.time() - self.keep_finished_sec)
            if purged:
                log.info("webhook spool: removed %d finished event(s)", purged)
        except SpoolError as err:  # not fatal: only the file's size is at stake
            log.warning("webhook spool purge failed: %s", err)
        finally:
            with self._lock:
                self._purging = False

    def _fail(self, reason: str) -> None:
        """The spool failed under a worker: stop every worker, once, with one line of reason."""
        with self._lock:
            first = self._failure is None
            if first:
                self._failure = reason
            self._batches.stop()
            self._progress.notify_all()
        if first and not self._closed:  # after close() the spool may be closed under a straggler: no news
            log.error("webhook sender stopped: %s; undelivered events stay in the spool for the next sender",
                      reason)


def make_sender(config: WebhookConfig, *, profile: DeliveryProfile | None = None,
                spool: Spool | str | Path | None = None,
                session: requests.Session | None = None,
                disabled_quirks: Iterable[str] = ()) -> AuroraSender | ReliableSender:
    """The sender the config's ``delivery`` key asks for (``spool`` is for reliable mode,
    ``disabled_quirks`` for aurora mode: see ``aurora_clients.QUIRKS``)."""
    if config.delivery == "aurora":
        return AuroraSender(config, profile=profile, disabled_quirks=disabled_quirks)
    return ReliableSender(config, spool=spool, profile=profile, session=session)
