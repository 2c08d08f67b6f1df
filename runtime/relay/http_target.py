"""An HTTP target of the relay: its own release form, retry policy, signing secret and dead letters.

Each target (:class:`TargetSpec`) gets every accepted event, one after
another in acceptance order:

- in the bytes Aurora posted, or, with ``release``, re-expressed as that
  release would have written it (``runtime/aurora/convert.py``; an event the target
  release cannot hold at all, e.g. PARTITIONED for 0.19, is dead-lettered for
  this target with the reason);
- with Standard Webhooks headers (``webhook-id`` is the event id, the same on
  every attempt; signed when the target has a secret, with a fresh timestamp
  per attempt so a receiver's 5-minute tolerance holds through long retries);
- retried on connection errors, timeouts, 408, 429 and 5xx with capped
  exponential backoff and jitter, until the policy's deadline (counted from
  when the relay accepted the event, so a restart does not extend it) or
  ``max_attempts``; other statuses but 2xx are given up at once. A given-up
  event is kept in the record's dead letters under this target's name.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

import requests

from ..aurora.convert import ConversionError, Converter
from ..aurora.event import TaskStateChange, decode_event
from ..aurora.profiles import Profile, profile_for
from ..errors import AurorakitError
from ..webhook.payloads import body_text
from ..webhook.settings import RetryPolicy
from ..webhook.signing import decode_secret, signature_headers
from .outbox import RelayedEvent
from .sinks import Stopped, finished

DEFAULT_CONTENT_TYPE = "application/vnd.kafka.json.v1+json"


@dataclass(frozen=True)
class TargetSpec:
    """One HTTP target and its policies (``release`` None: the bytes as Aurora posted them)."""

    url: str
    release: str | None = None
    secret: str | None = field(default=None, repr=False)
    retry: RetryPolicy = RetryPolicy()
    timeout_sec: float = 10.0

    @property
    def name(self) -> str:
        """The target's name in the record (its progress and dead letters): URL, and the release it gets."""
        return f"http:{self.url}" + (f" as {self.release}" if self.release else "")


class HttpTarget:
    window = 1

    def __init__(self, spec: TargetSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self._key = decode_secret(spec.secret) if spec.secret else None
        self._target: Profile | None = profile_for(spec.release) if spec.release else None
        self._converters: dict[str, Converter] = {}
        self._session = requests.Session()

    def begin(self, event: RelayedEvent, stop: threading.Event) -> Future[str | None]:
        return finished(self.deliver(event, stop))

    def body_for(self, event: RelayedEvent) -> bytes:
        """The bytes this target gets; AurorakitError when the event cannot be put in its release's form."""
        if self._target is None or self._target.version == event.release:
            return event.body
        source = profile_for(event.release)
        converter = self._converters.get(source.version)
        if converter is None:
            converter = self._converters[source.version] = Converter(source.models(), self._target.models())
        received = decode_event(body_text(event.body, source, event.content_type), source.models())
        made = converter.convert(received.task)
        old = None if received.old_state is None else converter.enum(received.old_state, "oldState")
        converted = TaskStateChange(made.value, old, hashed="none", optional_style=self._target.optional_style)
        return converted.wire(self._target, event.content_type)

    def deliver(self, event: RelayedEvent, stop: threading.Event) -> str | None:
        """None once the target answered 2xx, else why the event was given up."""
        try:
            body = self.body_for(event)
        except (ConversionError, AurorakitError) as err:
            return f"cannot put it in Aurora {self.spec.release}'s form: {err}"
        policy = self.spec.retry
        deadline = event.received_at + policy.deadline_sec
        attempt = 0
        while True:
            attempt += 1
            headers = {"Content-Type": event.content_type or DEFAULT_CONTENT_TYPE}
            headers.update(signature_headers(self._key, event.event_id, body))
            try:
                answer = self._session.post(self.spec.url, data=body, headers=headers, timeout=self.spec.timeout_sec)
            except requests.RequestException as err:
                reason = f"{type(err).__name__}: {err}"
            else:
                if 200 <= answer.status_code < 300:
                    return None
                reason = f"HTTP {answer.status_code}"
                if answer.status_code not in (408, 429) and answer.status_code < 500:
                    return reason
            if policy.max_attempts is not None and attempt >= policy.max_attempts:
                return f"{reason} after {attempt} attempts"
            left = deadline - time.time()
            if left <= 0:
                return f"{reason}; retry deadline ({policy.deadline_sec:g} s after acceptance) passed " \
                       f"after {attempt} attempts"
            if stop.wait(min(left, _backoff(policy, attempt))):
                raise Stopped()

    def close(self) -> None:
        self._session.close()


def _backoff(policy: RetryPolicy, attempt: int) -> float:
    """Seconds before attempt ``attempt + 1``: capped exponential, ``jitter`` of it drawn at random."""
    capped = min(policy.max_backoff_msec, policy.initial_backoff_msec * (1 << min(attempt - 1, 60))) / 1000
    return capped - policy.jitter * random.uniform(0, capped)
