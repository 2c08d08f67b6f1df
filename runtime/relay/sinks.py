"""Where the relay forwards accepted events: HTTP targets and NATS JetStream.

Each sink runs in a thread of its own (:class:`SinkWorker`), taking the
outbox's events in order and marking each done once the sink has it, so a
restarted relay resumes where each sink was and per-task order holds.

- :class:`HttpTarget` POSTs the same body bytes with Standard Webhooks headers
  (``webhook-id`` is the event id); connection errors, timeouts, 408, 429 and
  5xx are retried with capped exponential backoff up to ``max_attempts``, then
  the event goes to the dead-letter record for that target; other statuses but
  200-299 go there at once.
- :class:`NatsSink` publishes to one JetStream stream with the event id as
  ``Nats-Msg-Id`` (the server drops a re-publish within its duplicate window)
  and waits for the stream's ack; it retries until the server takes it
  (JetStream is where consumers read: nothing is dead-lettered there).

NATS subjects are ``aurora.<cluster>.<role>.<environment>.<job>``. A subject
token cannot hold ``.``, ``*``, ``>`` or whitespace, so each token is escaped:
every character but ASCII letters, digits, ``-`` and ``_`` becomes ``%XX`` per
UTF-8 byte (``%`` itself included), and an empty token is ``%``. Different
names never share a subject, and ``aurora.*.www-data.>`` matches a role.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import threading
import time
from typing import Any, Protocol

import requests

from ..webhook.signing import signature_headers
from .outbox import Outbox, RelayedEvent

log = logging.getLogger("aurorakit.relay")
STREAM = "AURORA"
SUBJECT_PREFIX = "aurora"
_PLAIN = re.compile(r"[A-Za-z0-9_-]")


def subject_token(name: str) -> str:
    """``name`` as one NATS subject token (see the module's docstring)."""
    if not name:
        return "%"
    return "".join(ch if _PLAIN.fullmatch(ch) else "".join(f"%{b:02X}" for b in ch.encode("utf-8")) for ch in name)


def subject_for(cluster: str, role: str, environment: str, job: str) -> str:
    return ".".join([SUBJECT_PREFIX, *(subject_token(part) for part in (cluster, role, environment, job))])


class Sink(Protocol):
    name: str

    def deliver(self, event: RelayedEvent, stop: threading.Event) -> str | None:
        """Deliver (retrying as the sink's policy says); None when delivered, else why it was given up."""
        ...

    def close(self) -> None: ...


class HttpTarget:
    def __init__(self, url: str, *, key: bytes | None = None, max_attempts: int = 8, initial_backoff: float = 0.2,
                 max_backoff: float = 10.0, timeout: float = 10.0) -> None:
        self.url = url
        self.name = f"http:{url}"
        self.key = key
        self.max_attempts = max_attempts
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self._session = requests.Session()

    def deliver(self, event: RelayedEvent, stop: threading.Event) -> str | None:
        headers = {"Content-Type": event.content_type or "application/vnd.kafka.json.v1+json"}
        headers.update(signature_headers(self.key, event.event_id, event.body))
        reason = "not attempted"
        for attempt in range(1, self.max_attempts + 1):
            try:
                answer = self._session.post(self.url, data=event.body, headers=headers, timeout=self.timeout)
            except requests.RequestException as err:
                reason = f"{type(err).__name__}: {err}"
            else:
                if 200 <= answer.status_code < 300:
                    return None
                reason = f"HTTP {answer.status_code}"
                if answer.status_code not in (408, 429) and answer.status_code < 500:
                    return reason
            if attempt < self.max_attempts:
                backoff = min(self.max_backoff, self.initial_backoff * 2 ** (attempt - 1))
                if stop.wait(random.uniform(backoff / 2, backoff)):
                    raise _Stopped()
        return f"{reason} after {self.max_attempts} attempts"

    def close(self) -> None:
        self._session.close()


class NatsSink:
    """Publishes to JetStream from an asyncio loop in a thread of its own."""

    def __init__(self, url: str, *, stream: str = STREAM, max_backoff: float = 5.0) -> None:
        self.url = url
        self.name = f"nats:{url}"
        self.stream = stream
        self.max_backoff = max_backoff
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="relay-nats", daemon=True)
        self._thread.start()
        self._nc: Any = None
        self._js: Any = None

    async def _connect(self) -> Any:
        import nats
        if self._nc is None or self._nc.is_closed:
            self._nc = await nats.connect(self.url, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                                          connect_timeout=2, allow_reconnect=True)
            self._js = self._nc.jetstream(timeout=5)
            await ensure_stream(self._js, self.stream)
        return self._js

    async def _publish(self, event: RelayedEvent) -> None:
        js = await self._connect()
        headers = {"Nats-Msg-Id": event.event_id, "Aurora-Release": event.release, "Aurora-Task-Id": event.task_id,
                   "Aurora-New-Status": event.new_status}
        if event.old_status is not None:
            headers["Aurora-Old-Status"] = event.old_status
        if event.content_type:
            headers["Content-Type"] = event.content_type
        await js.publish(event.subject, event.body, timeout=5, stream=self.stream, headers=headers)

    def deliver(self, event: RelayedEvent, stop: threading.Event) -> str | None:
        backoff = 0.1
        while True:
            try:
                asyncio.run_coroutine_threadsafe(self._publish(event), self._loop).result(timeout=30)
                return None
            except Exception as err:  # the server down or restarting: keep trying, in order
                log.warning("relay: NATS %s: %s: %s (retrying)", self.url, type(err).__name__, err)
                if stop.wait(backoff):
                    raise _Stopped() from None
                backoff = min(self.max_backoff, backoff * 2)

    def close(self) -> None:
        async def drain() -> None:
            if self._nc is not None and not self._nc.is_closed:
                await self._nc.close()
        try:
            asyncio.run_coroutine_threadsafe(drain(), self._loop).result(timeout=10)
        except Exception:  # closing a connection that is already gone
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


async def ensure_stream(js: Any, stream: str = STREAM) -> None:
    """The relay's stream (``aurora.>``, file storage, 2 minutes' duplicate window), made if missing."""
    from nats.js.api import StorageType, StreamConfig
    from nats.js.errors import NotFoundError
    try:
        await js.stream_info(stream)
    except NotFoundError:
        await js.add_stream(StreamConfig(name=stream, subjects=[f"{SUBJECT_PREFIX}.>"], storage=StorageType.FILE,
                                         duplicate_window=120.0))


class _Stopped(Exception):
    """The relay is stopping while a sink waits to retry."""


class SinkWorker:
    """Feeds one sink the outbox's events in order, from where it last finished."""

    def __init__(self, outbox: Outbox, sink: Sink) -> None:
        self.outbox = outbox
        self.sink = sink
        self.delivered = 0
        self.dead = 0
        self._stop = threading.Event()
        outbox.register(sink.name)
        self._thread = threading.Thread(target=self._run, name=f"relay-{sink.name}", daemon=True)

    def start(self) -> SinkWorker:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                batch = self.outbox.after(self.sink.name)
                if not batch:
                    self.outbox.wait(0.5)
                    continue
                for event in batch:
                    reason = self.sink.deliver(event, self._stop)
                    if reason is not None:
                        self.outbox.add_dead(reason=reason, body=event.body, sink=self.sink.name, event_seq=event.seq)
                        self.dead += 1
                        log.warning("relay: %s gave up event %s: %s", self.sink.name, event.event_id, reason)
                    else:
                        self.delivered += 1
                    self.outbox.done(self.sink.name, event.seq)
                    if self._stop.is_set():
                        return
        except _Stopped:
            return

    def stop(self) -> None:
        self._stop.set()
        with self.outbox.changed:
            self.outbox.changed.notify_all()
        self._thread.join(timeout=30)
        self.sink.close()


def wait_drained(outbox: Outbox, timeout: float) -> bool:
    """Whether every sink finished every accepted event within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(n <= 0 for n in outbox.pending().values()):
            return True
        time.sleep(0.05)
    return False
