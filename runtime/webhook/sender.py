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

from ..errors import AurorakitError
from ..aurora.profiles import profile_for

from .attempt_deadline import DEADLINES, watch_session
from .config import WebhookConfig
from .direct_post import DirectPoster
from .http_attempt import (NO_DEFAULT_HEADERS, AttemptResult, describe_exception, make_session, post_once,
                           retry_at)
from .outgoing import OutgoingEvent
from .aurora_delivery import AuroraSender
from .profile_traits import DeliveryProfile, should_post
from .redaction import redact_headers, redact_url
from .signing import WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP, decode_secret, signature_headers
from .spool import GIVEN_UP, PENDING, LeasedEvent, Outcome, Spool, SpoolError, SpoolWriteError
from .worker_batches import TURN, Settled, WorkerBatches

log = logging.getLogger("aurorakit.webhook")
AURORA_COUNTERS = ("webhooks_attempts", "webhooks_success", "webhooks_errors", "webhooks_user_errors")
RELIABLE_COUNTERS = ("delivered", "retried", "given_up", "skipped", "duplicates", "not_accepted")
USER_AGENT = "aurorakit-webhook"


class SubmitQueueFullError(AurorakitError, RuntimeError):
    """``submit`` waited its timeout and the spool stayed full (``queueSize`` unfinished events)."""


class SenderClosedError(AurorakitError, RuntimeError):
    """``submit`` after ``close``."""


class Counters:
    """Thread-safe named counters."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(names, 0)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._values[name] += amount

    def count_answer(self, result: AttemptResult) -> None:
        """Aurora's bookkeeping for one finished attempt."""
        if result.status == 200:
            self.add("webhooks_success")
        elif result.status is not None:
            self.add("webhooks_user_errors")
        else:
            self.add("webhooks_errors")

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._values)


def _timestamp_header(profile: DeliveryProfile) -> dict[str, str]:
    return {profile.timestamp_header: str(int(time.time() * 1000))}


class ReliableSender:
    """Spooled, retried, signed delivery; see the module docstring for counters.

    ``submit`` writes the event to the SQLite spool before it returns: an
    event it accepted survives a crash, and one it could not write is refused
    with a :class:`SpoolWriteError` (never dropped quietly). ``workers``
    threads lease events from the spool (one task's events in order) and POST
    them. Pass ``spool`` (a :class:`Spool` or a path) or set ``spool`` in the
    config; with neither, an in-memory SQLite database is used and nothing
    survives a restart. ``create_spool`` False refuses a spool file that does
    not exist yet (resuming).

    ``session``: with none, the sender's own session (no proxies, netrc or
    cookies from the environment) is used, and its POSTs are written directly
    with http.client after requests prepares the fixed parts once (see
    ``direct_post``). A given session is used through requests as it is, so
    its proxies, auth, adapters and environment (``trust_env``) all apply.

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
        self._key = decode_secret(config.signing_secret) if config.signing_secret else None
        self._session = watch_session(session or make_session(pool_size=config.workers))
        self._per_event = (self.profile.timestamp_header, WEBHOOK_ID, WEBHOOK_TIMESTAMP) + (
            (WEBHOOK_SIGNATURE,) if self._key is not None else ())
        # Our own session adds nothing, so its requests can be written directly; a given one is used as it is.
        self._direct = None if session is not None else DirectPoster.prepare(
            self._session, config.target_url, self._fixed_headers(), self._per_event)
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._counters = Counters(AURORA_COUNTERS + RELIABLE_COUNTERS)
        # One lock for the fields below; idle workers wait on _work, drain and a blocked submit on _progress.
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._progress = threading.Condition(self._lock)
        self._unfinished = self.spool.unfinished()  # pending + leased, kept in step with the spool
        self._batches = WorkerBatches(capacity=config.workers)
        self._idle_workers = 0
        self._blocked_submits = 0
        self._alive = 0
        self._failure: str | None = None
        self._closing = False
        self._closed = False
        self._stop = False
        self._drained = False
        self._final: dict[str, int] | None = None
        self._last_purge: float | None = None
        self._purging = False
        self.keep_finished_sec = keep_finished_sec
        self._threads: list[threading.Thread] = []
        if self.spool.recovered:
            log.warning("webhook spool %s: %d unacknowledged event(s) will be sent again",
                        self.spool.path, self.spool.recovered)
        if start:
            self.start()

    def __repr__(self) -> str:
        return (f"ReliableSender(target={redact_url(self.config.target_url)!r}, "
                f"headers={redact_headers(self.config.headers)!r}, spool={self.spool.path!r}, "
                f"signed={self._key is not None}, workers={self.config.workers})")

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
        if self._closing:
            raise SenderClosedError("webhook sender is closed")
        if not should_post(event, self.config, self.profile):
            self._counters.add("skipped")
            return False
        wait = self.submit_timeout if timeout is None else timeout
        limit = self.config.queue_size
        with self._lock:
            self._blocked_submits += 1
            room = self._progress.wait_for(
                lambda: self._unfinished < limit or self._failure is not None, max(wait, 0.0))
            self._blocked_submits -= 1
            if self._failure is not None:
                self._counters.add("not_accepted")
                raise SpoolWriteError(self._failure)
            if not room:
                raise SubmitQueueFullError(
                    f"webhook spool holds {self._unfinished} unfinished event(s) (queueSize {limit}) "
                    f"after {wait:g}s; event {event.event_id} not accepted")
        try:
            new = self.spool.enqueue(event)
        except SpoolError:
            self._counters.add("not_accepted")
            raise
        if not new:
            self._counters.add("duplicates")
            return True
        with self._lock:
            self._unfinished += 1
            if self._idle_workers:
                self._work.notify(1)
        return True

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
            self._stop = True
            self._work.notify_all()
        grace = 2 * self.config.timeout_msec / 1000.0 + 1.0  # let in-flight POSTs end (connect + read)
        for thread in self._threads:
            thread.join(grace)
        busy = any(thread.is_alive() for thread in self._threads)
        self._final = self._snapshot()
        if busy:
            log.warning("webhook sender: a delivery is still running; leaving the spool open")
        elif self._owns_spool:
            self.spool.close()
        self._session.close()
        if self._direct is not None:
            self._direct.close()
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

    # -- worker threads ----------------------------------------------------------
    #
    # Workers share the leased events: whoever finds none left takes a turn at
    # the spool, settling every outcome gathered so far and leasing the next
    # batch in one transaction, keeps one event and wakes as many idle workers
    # as there are others. One turn at a time, so the spool's lock is rarely
    # waited on.

    def _worker_loop(self) -> None:
        try:
            job: LeasedEvent | object | None = None
            while True:
                if job is None:
                    with self._lock:
                        job = self._next_job()
                    if job is None:
                        return
                if job is TURN:
                    job = self._turn()
                    continue
                assert isinstance(job, LeasedEvent)
                outcome = self._outcome(job)
                with self._lock:
                    job = TURN if self._batches.done(outcome) else None
        except SpoolError as err:
            self._fail(str(err))
        except Exception as exc:  # noqa: BLE001  a bug outside any one delivery: stop, and say so
            self._fail(f"webhook sender: internal error: {describe_exception(exc)}")
        finally:
            self._worker_ended()

    def _next_job(self) -> LeasedEvent | object | None:
        """Under the lock: an event to send, _TURN, or None when the worker is to stop."""
        while not self._stop:
            job = self._batches.next_job()
            if job is not None:
                return job
            self._idle_workers += 1
            self._work.wait(0.5)
            self._idle_workers -= 1
        return None

    def _turn(self) -> LeasedEvent | None:
        """Settle what was sent, lease what is due; an event for this worker to send, if any.

        Waits a while when there is nothing to do."""
        leased: list[LeasedEvent] = []
        with self._lock:
            outcomes, room = self._batches.take_outcomes()
        try:
            if outcomes or room > 0:
                changed, leased = self.spool.settle_and_lease([settled.outcome for settled in outcomes], room)
                self._count(outcomes, changed)
        finally:
            with self._lock:
                nothing_to_do = self._batches.end_turn(leased, bool(outcomes))
                own = self._batches.take_ready()
                if self._batches.ready and self._idle_workers:
                    self._work.notify(min(self._idle_workers, len(self._batches.ready)))
        if nothing_to_do and own is None:
            self._idle()
        return own

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

    def _idle(self) -> None:
        self._maybe_purge()
        due = self.spool.next_due_at()
        wait = 0.5 if due is None else min(0.5, max(0.0, due - time.time()))
        with self._lock:
            if not self._stop and self._batches.idle():
                self._idle_workers += 1
                self._work.wait(max(wait, 0.005))
                self._idle_workers -= 1

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

    def _fixed_headers(self) -> dict[str, str]:
        return {**NO_DEFAULT_HEADERS, "User-Agent": USER_AGENT, **self.config.headers}

    def _outcome(self, leased: LeasedEvent) -> Settled:
        """Send the event once and decide what comes of it; a bug gives the event up with its reason."""
        try:
            return Settled(self._decide(leased, self._attempt(leased)), leased.event.task_id)
        except Exception as exc:  # noqa: BLE001  a bug: say so, and still never leave the event leased
            log.error("webhook %s: internal error settling its delivery (%s)", leased.event.event_id,
                      describe_exception(exc))
            return Settled(Outcome.given_up(leased.event.event_id, f"internal error: {describe_exception(exc)}"),
                           leased.event.task_id)

    def _attempt(self, leased: LeasedEvent) -> AttemptResult:
        """One POST of the leased event; whatever goes wrong becomes the result, nothing raises."""
        event = leased.event
        self._counters.add("webhooks_attempts")
        try:
            own = {**_timestamp_header(self.profile), **signature_headers(self._key, event.event_id, event.body)}
            timeout = self.config.timeout_msec / 1000.0
            whole = 2 * timeout + 1.0  # connect, then the answer: however slowly it trickles in
            with DEADLINES.bound(whole) as bound:
                if self._direct is not None:
                    result = self._direct.post(event.body, own, (timeout, timeout))
                else:
                    result = post_once(self._session, self.config.target_url, event.body,
                                       {**self._fixed_headers(), **own}, (timeout, timeout))
            if bound.expired:  # even a status read then may be a cut-off line: not an answer
                result = AttemptResult(None, f"no answer within {whole:g}s (the server sent it too slowly)")
        except Exception as exc:  # noqa: BLE001  e.g. a header value http.client cannot encode
            result = AttemptResult(None, f"the request could not be sent: {_unsendable(exc)}",
                                   permanent_error=True)
        self._counters.count_answer(result)
        return result

    def _decide(self, leased: LeasedEvent, result: AttemptResult) -> Outcome:
        """The attempt's outcome: delivered, a retry at some time, or given up with the reason."""
        event = leased.event
        if result.delivered:
            return Outcome.delivered(event.event_id)
        if not result.retryable:
            return Outcome.given_up(event.event_id, f"{result.describe()} (not retried)")
        policy = self.config.retry
        if policy.max_attempts is not None and leased.attempt >= policy.max_attempts:
            return Outcome.given_up(event.event_id, f"{result.describe()} after {leased.attempt} attempt(s)")
        now = time.time()
        with self._rng_lock:
            at = retry_at(policy, leased.attempt, leased.enqueued_at, now, self._rng, result.retry_after)
        if at is None:
            return Outcome.given_up(event.event_id,
                                    f"{result.describe()}; deadline of {policy.deadline_sec:g}s reached")
        log.debug("webhook %s for task %s: %s, retry %d in %.3fs", event.event_id, event.task_id,
                  result.describe(), leased.attempt, at - now)
        return Outcome.retry(event.event_id, at, result.describe())

    def _fail(self, reason: str) -> None:
        """The spool failed under a worker: stop every worker, once, with one line of reason."""
        with self._lock:
            first = self._failure is None
            if first:
                self._failure = reason
            self._stop = True
            self._work.notify_all()
            self._progress.notify_all()
        if first and not self._closed:  # after close() the spool may be closed under a straggler: no news
            log.error("webhook sender stopped: %s; undelivered events stay in the spool for the next sender",
                      reason)


def _unsendable(exc: BaseException) -> str:
    """Why a request could not be made, without quoting values (a header value may be a secret)."""
    if isinstance(exc, UnicodeEncodeError):
        return f"{type(exc).__name__} (a header or the URL has characters {exc.encoding} cannot hold)"
    return describe_exception(exc)


def make_sender(config: WebhookConfig, *, profile: DeliveryProfile | None = None,
                spool: Spool | str | Path | None = None,
                session: requests.Session | None = None,
                disabled_quirks: Iterable[str] = ()) -> AuroraSender | ReliableSender:
    """The sender the config's ``delivery`` key asks for (``spool`` is for reliable mode,
    ``disabled_quirks`` for aurora mode: see ``aurora_clients.QUIRKS``)."""
    if config.delivery == "aurora":
        return AuroraSender(config, profile=profile, disabled_quirks=disabled_quirks)
    return ReliableSender(config, spool=spool, profile=profile, session=session)
