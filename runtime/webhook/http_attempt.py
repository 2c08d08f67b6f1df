"""One POST and what to make of its outcome: shared by both delivery modes."""

from __future__ import annotations

import email.utils
import http.cookiejar
import random
import re
import time
from dataclasses import dataclass
from datetime import timezone

import requests
import requests.adapters
from urllib3.util import SKIP_HEADER

from .config import RetryPolicy

RETRYABLE_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))
MAX_RESPONSE_BYTES = 64 * 1024  # an answer's body is only read to free the connection
# Mistakes in the request itself: sending it again cannot help.
_PERMANENT_EXCEPTIONS: tuple[type[Exception], ...] = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidHeader,
)


# urllib3 adds these unless told not to; reliable delivery sends only the
# configured headers (plus Host, Content-Length, the timestamp and signature
# headers). Aurora mode has its own client per release (aurora_http.py).
NO_DEFAULT_HEADERS: dict[str, str] = {"User-Agent": SKIP_HEADER, "Accept-Encoding": SKIP_HEADER}


def make_session(pool_size: int) -> requests.Session:
    """A pooled session that adds nothing of its own to requests.

    No default headers (the configured ones are all that is sent, like
    Aurora), no proxies or netrc from the environment, no cookies kept, no
    hidden urllib3 retries. TLS certificates are always verified.
    """
    session = requests.Session()
    session.headers.clear()
    session.trust_env = False
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=4, pool_maxsize=max(1, pool_size), max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass(frozen=True)
class AttemptResult:
    """``status`` is None when no HTTP answer came (``error`` says why)."""

    status: int | None
    error: str | None = None
    retry_after: str | None = None
    permanent_error: bool = False

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        if self.status is None:
            return not self.permanent_error
        return self.status in RETRYABLE_STATUSES

    def describe(self) -> str:
        return f"HTTP {self.status}" if self.status is not None else f"{self.error}"


def post_once(session: requests.Session, url: str, body: bytes, headers: dict[str, str],
              timeout: tuple[float, float | None]) -> AttemptResult:
    """POST once; never raises for network trouble (it becomes the result)."""
    try:
        response = session.post(url, data=body, headers=headers, timeout=timeout,
                                allow_redirects=False, stream=True)
    except _PERMANENT_EXCEPTIONS as exc:
        return AttemptResult(None, describe_exception(exc), permanent_error=True)
    except requests.exceptions.RequestException as exc:
        return AttemptResult(None, describe_exception(exc))
    try:
        _discard_body(response, timeout[1])
    except (requests.exceptions.RequestException, OSError):
        pass  # the status line arrived; a broken body does not change the answer
    finally:
        response.close()
    return AttemptResult(response.status_code, retry_after=response.headers.get("Retry-After"))


def _discard_body(response: requests.Response, within: float | None) -> None:
    # Reading a small answer to the end hands the connection back to the pool.
    # A large one, or one trickling in for longer than ``within`` seconds in
    # all, is cut off (closing drops that connection instead): the status is
    # the answer, and a slow body must not hold a worker for hours. read1
    # returns what has arrived, so the clock is checked however slow the bytes.
    raw = response.raw
    received = 0
    give_up_at = None if within is None else time.monotonic() + within
    while True:
        chunk = raw.read1(8192, decode_content=False)
        if not chunk:
            raw.release_conn()  # read to the end: the connection can carry the next request
            return
        received += len(chunk)
        if received > MAX_RESPONSE_BYTES or (give_up_at is not None and time.monotonic() > give_up_at):
            return


def describe_exception(exc: BaseException) -> str:
    """A short cause like ``ConnectionError (ConnectionRefusedError)``.

    requests' own messages quote the URL, which may hold credentials, so only
    type names are used.
    """
    root: BaseException = exc
    seen = 0
    while seen < 10:
        seen += 1
        reason = getattr(root, "reason", None)
        nxt = reason if isinstance(reason, BaseException) else (root.__cause__ or root.__context__)
        if nxt is None or nxt is root:
            break
        root = nxt
    if root is exc:
        return type(exc).__name__
    return f"{type(exc).__name__} ({type(root).__name__})"


RETRY_AFTER_CAP_SEC = 3600.0  # longest wait a Retry-After answer can ask for (an hour)
_DELTA_SECONDS = re.compile(r"[0-9]+")  # ASCII digits only: str.isdigit() also takes "²"
_HTTP_DATE_MAX_LENGTH = 64  # the longest IMF-fixdate is 29 characters; longer is not a date


def parse_retry_after(value: str | None, now: float, cap: float = RETRY_AFTER_CAP_SEC) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date), at most ``cap``.

    None when the value is absent or is neither form (the sender's own backoff
    then applies); never raises, whatever the server sent: huge numbers are
    capped, dates in the past mean 0.
    """
    if value is None:
        return None
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        # 310 digits would overflow a float; anything over the cap's digits is over the cap.
        return cap if len(text) > 12 else min(float(int(text)), cap)
    if len(text) > _HTTP_DATE_MAX_LENGTH:
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - now
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(0.0, seconds), cap)


def backoff_delay(policy: RetryPolicy, attempt: int, rng: random.Random) -> float:
    """Seconds before attempt ``attempt + 1``: capped exponential, with jitter.

    ``jitter`` 1 is "full jitter" (uniform between 0 and the cap), 0 none.
    """
    exponent = min(attempt - 1, 62)
    cap_msec = min(policy.max_backoff_msec, policy.initial_backoff_msec * (2 ** exponent))
    return float(cap_msec / 1000.0 * (1.0 - policy.jitter * rng.random()))


def retry_at(policy: RetryPolicy, attempt: int, enqueued_at: float, now: float, rng: random.Random,
             retry_after: str | None = None) -> float | None:
    """When attempt ``attempt + 1`` is due after a retryable failure at ``now``; None once the
    deadline (``enqueued_at + deadline_sec``) has passed.

    The backoff (or a longer ``Retry-After``) is cut to the deadline: one last attempt at it
    rather than none. Pure, so the schedule can be checked on a made-up clock.
    """
    last_chance = enqueued_at + policy.deadline_sec
    if now >= last_chance:
        return None
    delay = backoff_delay(policy, attempt, rng)
    server_wait = parse_retry_after(retry_after, now)  # capped; None if absent or garbage
    if server_wait is not None:
        delay = max(delay, server_wait)
    return min(now + delay, last_chance)
