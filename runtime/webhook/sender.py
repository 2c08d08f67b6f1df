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
0.16 on, statuses not listed from 0.19 on), and the gauge ``pending``
(submitted, not yet delivered or given up, including the in-memory queue).
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from pathlib import Path
from types import TracebackType

import requests

from ..profiles import profile_for

from .config import WebhookConfig
from .http_attempt import (NO_DEFAULT_HEADERS, AttemptResult, backoff_delay, make_session,
                           parse_retry_after, post_once)
from .outgoing import OutgoingEvent
from .profile_traits import DeliveryProfile, aurora_timeout, should_post
from .redaction import redact_headers, redact_url
from .signing import decode_secret, signature_headers
from .spool import LeasedEvent, Spool

log = logging.getLogger("aurorakit.webhook")
AURORA_COUNTERS = ("webhooks_attempts", "webhooks_success", "webhooks_errors", "webhooks_user_errors")
RELIABLE_COUNTERS = ("delivered", "retried", "given_up", "skipped")
USER_AGENT = "aurorakit-webhook"


class SubmitQueueFullError(RuntimeError):
    """``submit`` waited its timeout and the in-memory queue stayed full."""


class SenderClosedError(RuntimeError):
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


class AuroraSender:
    """Aurora's behaviour: one POST per event, in the caller's thread, no retry."""

    def __init__(self, config: WebhookConfig, *, profile: DeliveryProfile | None = None,
                 session: requests.Session | None = None) -> None:
        self.config = config
        self.profile: DeliveryProfile = profile or profile_for(config.profile)
        self._session = session or make_session(pool_size=1)
        self._timeout = aurora_timeout(config, self.profile)
        self._counters = Counters(AURORA_COUNTERS + ("skipped",))

    def __repr__(self) -> str:
        return (f"AuroraSender(target={redact_url(self.config.target_url)!r}, "
                f"profile={self.profile.version!r})")

    def submit(self, event: OutgoingEvent) -> AttemptResult | None:
        """POST ``event`` now; None if this Aurora version would not have posted it."""
        if not should_post(event, self.config, self.profile):
            self._counters.add("skipped")
            return None
        headers = {**NO_DEFAULT_HEADERS, **self.config.headers, **_timestamp_header(self.profile)}
        self._counters.add("webhooks_attempts")
        result = post_once(self._session, self.config.target_url, event.body, headers, self._timeout)
        self._counters.count_answer(result)
        if result.status != 200:
            log.warning("webhook POST for task %s failed: %s (dropped)", event.task_id, result.describe())
        return result

    def stats(self) -> dict[str, int]:
        return self._counters.snapshot()

    def close(self, timeout: float | None = None) -> bool:
        self._session.close()
        return True


class ReliableSender:
    """Spooled, retried, signed delivery; see the module docstring for counters.

    ``submit`` only queues in memory; a spooler thread writes batches to the
    SQLite spool, and ``workers`` threads lease events from it (one task's
    events in order) and POST them. Pass ``spool`` (a :class:`Spool` or a
    path) or set ``spool`` in the config; with neither, an in-memory SQLite
    database is used and nothing survives a restart.
    """

    def __init__(self, config: WebhookConfig, *, spool: Spool | str | Path | None = None,
                 profile: DeliveryProfile | None = None, session: requests.Session | None = None,
                 submit_timeout: float = 5.0, keep_finished_sec: float = 7 * 86_400.0,
                 start: bool = True, rng: random.Random | None = None) -> None:
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
            self.spool = Spool(location if location is not None else ":memory:")
        self._key = decode_secret(config.signing_secret) if config.signing_secret else None
        self._session = session or make_session(pool_size=config.workers)
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._counters = Counters(AURORA_COUNTERS + RELIABLE_COUNTERS)
        self._queue: queue.Queue[OutgoingEvent] = queue.Queue(maxsize=config.queue_size)
        self._state = threading.Condition()  # guards the fields below; workers wait on it
        self._submitted = 0
        self._spooled = 0
        self._closing = False
        self._closed = False
        self._stop = False
        self._drained = False
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

    def start(self) -> None:
        if self._threads:
            return
        self._threads.append(threading.Thread(target=self._spool_loop, name="webhook-spooler", daemon=True))
        for number in range(self.config.workers):
            self._threads.append(threading.Thread(target=self._worker_loop, name=f"webhook-worker-{number}",
                                                  daemon=True))
        for thread in self._threads:
            thread.start()

    def submit(self, event: OutgoingEvent, timeout: float | None = None) -> bool:
        """Queue ``event``; False if the profile would not post it.

        Blocks at most ``timeout`` (default ``submit_timeout``) seconds while
        the queue is full, then raises :class:`SubmitQueueFullError`.
        """
        if self._closing:
            raise SenderClosedError("webhook sender is closed")
        if not should_post(event, self.config, self.profile):
            self._counters.add("skipped")
            return False
        wait = self.submit_timeout if timeout is None else timeout
        try:
            self._queue.put(event, timeout=max(wait, 0.0))
        except queue.Full:
            raise SubmitQueueFullError(
                f"webhook queue full ({self.config.queue_size} events) for {wait:g}s; "
                f"event {event.event_id} not accepted") from None
        with self._state:
            self._submitted += 1
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted so far is in the spool (durable)."""
        with self._state:
            target = self._submitted
            return self._state.wait_for(lambda: self._spooled >= target, timeout)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every submitted event is delivered or given up."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self.flush(timeout):
            return False
        # Polled, not woken per delivery: each check is a query that holds the
        # spool's lock, and waking on every delivery kept the workers waiting.
        while self.spool.unfinished():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def close(self, timeout: float = 10.0) -> bool:
        """Stop accepting, try to deliver what is pending for up to ``timeout`` s.

        Returns True when nothing was left; otherwise the rest stays in the
        spool file and is sent by the next sender opened on it.
        """
        if self._closed:
            return self._drained
        self._closing = True
        drained = self.drain(timeout) if self._threads else False
        with self._state:
            self._stop = True
            self._state.notify_all()
        grace = self.config.timeout_msec / 1000.0 + 1.0  # let in-flight POSTs end
        for thread in self._threads:
            thread.join(grace)
        if any(thread.is_alive() for thread in self._threads):
            log.warning("webhook sender: a thread is still busy; leaving the spool open")
        else:
            self._spool_queue_remainder()
            drained = drained or self.spool.counts().unfinished == 0
            if self._owns_spool:
                self.spool.close()
        self._session.close()
        self._closed = True
        self._drained = drained
        return drained

    def stats(self) -> dict[str, int]:
        values = self._counters.snapshot()
        try:
            unfinished = self.spool.unfinished()
        except Exception:  # spool already closed
            unfinished = 0
        with self._state:
            # Submitted but not yet in the spool: counted from the tallies, not the queue's
            # size, so a batch the spooler has taken off the queue and is writing still counts.
            not_spooled = self._submitted - self._spooled
        values["pending"] = unfinished + not_spooled
        return values

    # -- threads -----------------------------------------------------------------

    def _spool_loop(self) -> None:
        last_purge = 0.0
        while True:
            try:
                first = self._queue.get(timeout=0.1)
            except queue.Empty:
                if self._stop:
                    return
                if time.monotonic() - last_purge > 60.0:  # keep the spool file from growing forever
                    last_purge = time.monotonic()
                    self._purge_finished()
                continue
            batch = [first]
            while len(batch) < 500:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self.spool.enqueue_many(batch)
            except Exception:
                log.exception("webhook spool write failed; %d event(s) lost", len(batch))
            with self._state:
                self._spooled += len(batch)
                self._state.notify_all()

    def _purge_finished(self) -> None:
        try:
            purged = self.spool.purge_finished(time.time() - self.keep_finished_sec)
        except Exception:
            log.exception("webhook spool purge failed")
            return
        if purged:
            log.info("webhook spool: removed %d finished event(s)", purged)

    def _spool_queue_remainder(self) -> None:
        remainder: list[OutgoingEvent] = []
        while True:
            try:
                remainder.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if remainder:
            self.spool.enqueue_many(remainder)
            with self._state:
                self._spooled += len(remainder)

    def _worker_loop(self) -> None:
        while True:
            with self._state:
                if self._stop:
                    return
            try:
                leased = self.spool.lease()
            except Exception:
                log.exception("webhook spool read failed")
                leased = None
            if leased is None:
                self._wait_for_work()
                continue
            try:
                self._deliver(leased)
            except Exception:
                log.exception("webhook delivery of %s failed unexpectedly", leased.event.event_id)
            with self._state:
                self._state.notify_all()  # the task's next event may now be deliverable

    def _wait_for_work(self) -> None:
        due = self.spool.next_due_at()
        wait = 0.5 if due is None else min(0.5, max(0.0, due - time.time()))
        with self._state:
            if not self._stop:
                self._state.wait(max(wait, 0.005))

    def _deliver(self, leased: LeasedEvent) -> None:
        event = leased.event
        headers = {**NO_DEFAULT_HEADERS, "User-Agent": USER_AGENT, **self.config.headers,
                   **_timestamp_header(self.profile),
                   **signature_headers(self._key, event.event_id, event.body)}
        timeout = self.config.timeout_msec / 1000.0
        self._counters.add("webhooks_attempts")
        result = post_once(self._session, self.config.target_url, event.body, headers, (timeout, timeout))
        self._counters.count_answer(result)
        if result.delivered:
            self.spool.mark_delivered(event.event_id)
            self._counters.add("delivered")
            return
        if not result.retryable:
            self._give_up(event, f"{result.describe()} (not retried)")
            return
        policy = self.config.retry
        if policy.max_attempts is not None and leased.attempt >= policy.max_attempts:
            self._give_up(event, f"{result.describe()} after {leased.attempt} attempt(s)")
            return
        now = time.time()
        with self._rng_lock:
            delay = backoff_delay(policy, leased.attempt, self._rng)
        server_wait = parse_retry_after(result.retry_after, now)
        if server_wait is not None:
            delay = max(delay, server_wait)
        if now + delay > leased.enqueued_at + policy.deadline_sec:
            self._give_up(event, f"{result.describe()}; deadline of {policy.deadline_sec:g}s reached")
            return
        self.spool.schedule_retry(event.event_id, now + delay, result.describe())
        self._counters.add("retried")
        log.debug("webhook %s for task %s: %s, retry %d in %.3fs", event.event_id, event.task_id,
                 result.describe(), leased.attempt, delay)

    def _give_up(self, event: OutgoingEvent, reason: str) -> None:
        self.spool.give_up(event.event_id, reason)
        self._counters.add("given_up")
        log.warning("webhook %s for task %s given up: %s", event.event_id, event.task_id, reason)


def make_sender(config: WebhookConfig, *, profile: DeliveryProfile | None = None,
                spool: Spool | str | Path | None = None,
                session: requests.Session | None = None) -> AuroraSender | ReliableSender:
    """The sender the config's ``delivery`` key asks for (``spool`` is for reliable mode)."""
    if config.delivery == "aurora":
        return AuroraSender(config, profile=profile, session=session)
    return ReliableSender(config, spool=spool, profile=profile, session=session)
