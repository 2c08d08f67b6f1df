"""One attempt at a leased event and what comes of it: delivered, a retry at some time, or given up.

The reliable sender's workers call :meth:`Attempts.outcome` for every event
they send; the sender's counters (:class:`Counters`) take Aurora's
bookkeeping of each attempt here (see ``sender``'s docstring for their
meaning).
"""

from __future__ import annotations

import logging
import random
import threading
import time

import requests

from .attempt_deadline import DEADLINES, watch_session
from .config import WebhookConfig
from .direct_post import DirectPoster
from .http_attempt import (
    NO_DEFAULT_HEADERS,
    AttemptResult,
    describe_exception,
    make_session,
    post_once,
    retry_at,
)
from .profile_traits import DeliveryProfile
from .signing import WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP, decode_secret, signature_headers
from .spool import LeasedEvent, Outcome
from .worker_batches import Settled

log = logging.getLogger("aurorakit.webhook")
AURORA_COUNTERS = ("webhooks_attempts", "webhooks_success", "webhooks_errors", "webhooks_user_errors")
RELIABLE_COUNTERS = ("delivered", "retried", "given_up", "skipped", "duplicates", "not_accepted")
USER_AGENT = "aurorakit-webhook"


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


class Attempts:
    """How the sender POSTs: signed, under a whole-attempt deadline, directly or through requests.

    ``session``: with none, the sender's own session (no proxies, netrc or
    cookies from the environment) is used, and its POSTs are written directly
    after requests prepares the fixed parts once (see ``direct_post``). A
    given session is used through requests as it is, so its proxies, auth,
    adapters and environment (``trust_env``) all apply.
    """

    def __init__(self, config: WebhookConfig, profile: DeliveryProfile, session: requests.Session | None,
                 counters: Counters, rng: random.Random | None = None) -> None:
        self.config = config
        self.profile = profile
        self.key = decode_secret(config.signing_secret) if config.signing_secret else None
        self.session = watch_session(session or make_session(pool_size=config.workers))
        self._fixed = {**NO_DEFAULT_HEADERS, "User-Agent": USER_AGENT, **config.headers}
        per_event = (profile.timestamp_header, WEBHOOK_ID, WEBHOOK_TIMESTAMP) + (
            (WEBHOOK_SIGNATURE,) if self.key is not None else ())
        # Our own session adds nothing, so its requests can be written directly; a given one is used as it is.
        self.direct = None if session is not None else DirectPoster.prepare(
            self.session, config.target_url, self._fixed, per_event)
        self._counters = counters
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._timeout = config.timeout_msec / 1000.0

    def close(self) -> None:
        self.session.close()
        if self.direct is not None:
            self.direct.close()

    def outcome(self, leased: LeasedEvent) -> Settled:
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
        timeout = self._timeout
        self._counters.add("webhooks_attempts")  # counted as it starts: a snapshot shows those in flight
        try:
            own = {self.profile.timestamp_header: str(int(time.time() * 1000))}
            own.update(signature_headers(self.key, event.event_id, event.body))
            whole = 2 * timeout + 1.0  # connect, then the answer: however slowly it trickles in
            with DEADLINES.bound(whole) as bound:
                if self.direct is not None:
                    result = self.direct.post(event.body, own, (timeout, timeout))
                else:
                    result = post_once(self.session, self.config.target_url, event.body, {**self._fixed, **own},
                                       (timeout, timeout))
            if bound.expired:  # even a status read then may be a cut-off line: not an answer
                result = AttemptResult(None, f"no answer within {whole:g}s (the server sent it too slowly)")
        except Exception as exc:  # noqa: BLE001  e.g. a header value that cannot be encoded
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


def _unsendable(exc: BaseException) -> str:
    """Why a request could not be made, without quoting values (a header value may be a secret)."""
    if isinstance(exc, UnicodeEncodeError):
        return f"{type(exc).__name__} (a header or the URL has characters {exc.encoding} cannot hold)"
    return describe_exception(exc)
