"""``delivery: aurora``: each event sent once, as the configured Aurora release's client did.

What the client did per release group is data in ``aurora_clients.py``; the
wire work is ``aurora_http.py``. This module filters events as the release
did, builds each request, runs it in the caller's thread (groups A-C, one at a
time from the event bus, in order) or at once on its own thread (D/E,
non-blocking, any number of connections), and keeps the counts.

Counters (``stats()``):

``webhooks_attempts``, ``webhooks_success``, ``webhooks_user_errors``, ``webhooks_errors``
    Aurora's own, only where the release had them (D/E; A-C with the
    ``no-counters`` quirk off): attempts counted before sending, success on
    exactly HTTP 200, user errors on any other status, errors when no answer
    came. Resends by the client are one attempt and at most one error.
``posted``, ``answered_200``, ``answered_other``, ``no_answer``, ``skipped``
    aurorakit's own tally of the same events, in every group (``skipped``:
    events the release would not have posted).
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Iterable

from ..aurora.profiles import Profile, profile_for
from ..errors import AurorakitError
from .aurora_clients import JAVA_VERSION, Behaviour, behaviour_for, request_headers, wire_encoding
from .aurora_http import ConnectionPool, Exchange, Outcome, host_header
from .config import WebhookConfig
from .outgoing import OutgoingEvent
from .profile_traits import DeliveryProfile, should_post
from .redaction import redact_url

log = logging.getLogger("aurorakit.webhook")
AURORA_COUNTERS = ("webhooks_attempts", "webhooks_success", "webhooks_errors", "webhooks_user_errors")
TALLIES = ("posted", "answered_200", "answered_other", "no_answer", "skipped")
MAX_THREADS = 256  # AsyncHttpClient had no limit; aurorakit caps its threads here


class AuroraSenderClosedError(AurorakitError, RuntimeError):
    """``submit`` after ``close``."""


class AuroraSender:
    """Aurora's delivery: one event, one request (plus the client's own resends), no retry.

    ``submit`` returns a future of the :class:`Outcome` (already done in
    groups A-C), or None when the release would not have posted the event.
    ``disabled_quirks`` names quirks to switch off (``aurora_clients.QUIRKS``).
    """

    def __init__(self, config: WebhookConfig, *, profile: DeliveryProfile | None = None,
                 disabled_quirks: Iterable[str] = (), java_version: str = JAVA_VERSION) -> None:
        self.config = config
        if not isinstance(profile, Profile):  # another DeliveryProfile: this release's own facts
            profile = profile_for(profile.version if profile is not None else config.profile)
        self.profile: Profile = profile
        self.behaviour: Behaviour = behaviour_for(self.profile, disabled_quirks)
        self.java_version = java_version
        self._pool = ConnectionPool(self.behaviour.pool_per_host)
        self._lock = threading.Lock()
        names = (AURORA_COUNTERS if self.behaviour.counters else ()) + TALLIES
        self._counts = dict.fromkeys(names, 0)
        self._executor = (concurrent.futures.ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="aurora-post")
                          if self.behaviour.concurrent else None)
        self._unfinished = 0  # D/E: events submitted and not yet finished
        self._all_finished = threading.Condition(self._lock)
        self._closed = False

    def __repr__(self) -> str:
        return (f"AuroraSender(target={redact_url(self.config.target_url)!r}, "
                f"profile={self.profile.version!r}, client={self.behaviour.group})")

    def body_encoding(self, content_type: str | None) -> str | None:
        """The encoding bodies must be made in when a body quirk is off (None: the release's own rule)."""
        return wire_encoding(self.behaviour, content_type)

    def submit(self, event: OutgoingEvent) -> concurrent.futures.Future[Outcome] | None:
        """Send ``event`` (D/E: start sending it); None if this release would not have posted it."""
        if self._closed:
            raise AuroraSenderClosedError("webhook sender is closed")
        if not should_post(event, self.config, self.profile):
            self._add("skipped")
            return None
        self._add("posted")
        if self.behaviour.counters:
            self._add("webhooks_attempts")
        exchange = self._exchange(event)
        if self._executor is None:
            done: concurrent.futures.Future[Outcome] = concurrent.futures.Future()
            done.set_result(self._finish(event, exchange.run()))
            return done
        with self._lock:
            self._unfinished += 1
        return self._executor.submit(self._run, event, exchange)

    @property
    def in_flight(self) -> int:
        """Events submitted whose outcome is not known yet (only D/E send in the background)."""
        with self._lock:
            return self._unfinished

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every event submitted has its outcome (D/E); False if ``timeout`` passed first."""
        with self._all_finished:
            return self._all_finished.wait_for(lambda: self._unfinished == 0, timeout)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    @property
    def leaked_connections(self) -> int:
        """Connections left leased by answers never closed (0.16)."""
        return self._pool.leaked

    def close(self, timeout: float | None = None) -> bool:
        """Wait for what is in flight (up to ``timeout`` s), then close every connection."""
        self._closed = True
        drained = self.drain(timeout)
        if self._executor is not None:
            self._executor.shutdown(wait=drained, cancel_futures=True)
        self._pool.close()
        return drained

    # -- inside ------------------------------------------------------------------------

    def _exchange(self, event: OutgoingEvent) -> Exchange:
        url = self.config.target_url
        headers = request_headers(self.behaviour, self.config.headers, self.profile.timestamp_header,
                                  str(int(time.time() * 1000)), host_header(url), len(event.body),
                                  self.java_version)
        return Exchange(self.behaviour, self._pool, url, headers, event.body, self.config.timeout_msec,
                        self.java_version)

    def _finish(self, event: OutgoingEvent, outcome: Outcome) -> Outcome:
        if outcome.status == 200:
            self._add("answered_200", "webhooks_success")
        elif outcome.status is not None:
            self._add("answered_other", "webhooks_user_errors")
            log.warning("webhook POST for task %s answered %s (dropped)", event.task_id, outcome.describe())
        else:
            self._add("no_answer", "webhooks_errors")
            log.warning("webhook POST for task %s failed: %s (dropped)", event.task_id, outcome.describe())
        return outcome

    def _add(self, *names: str) -> None:
        with self._lock:
            for name in names:
                if name in self._counts:
                    self._counts[name] += 1

    def _run(self, event: OutgoingEvent, exchange: Exchange) -> Outcome:
        try:
            return self._finish(event, exchange.run())
        finally:
            with self._lock:
                self._unfinished -= 1
                if not self._unfinished:
                    self._all_finished.notify_all()
