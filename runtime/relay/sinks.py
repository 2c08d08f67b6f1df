"""Where the relay forwards accepted events, and the worker that feeds each sink from the outbox.

A sink (:class:`Sink`) is an HTTP target (``http_target.py``) or NATS
JetStream (``nats_sink.py``). Each runs behind a :class:`SinkWorker` thread
that takes the outbox's events in ``seq`` order, lets up to ``sink.window``
of them be in flight at once, and marks them finished strictly in order, so a
restarted relay resumes after the last finished event and sends again only
what was in flight (the sinks' ids make those repeats harmless). A sink with
a window above 1 keeps the order per task itself.

NATS subjects are ``aurora.<cluster>.<role>.<environment>.<job>``. A subject
token cannot hold ``.``, ``*``, ``>`` or whitespace, so each token is escaped:
every character but ASCII letters, digits, ``-`` and ``_`` becomes ``%XX`` per
UTF-8 byte (``%`` itself included), and an empty token is ``%``. Different
names never share a subject, and ``aurora.*.www-data.>`` matches a role.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from concurrent.futures import Future
from functools import lru_cache
from typing import Protocol

from .outbox import Outbox, RelayedEvent

log = logging.getLogger("aurorakit.relay")
STREAM = "AURORA"
SUBJECT_PREFIX = "aurora"
_PLAIN = re.compile(r"[A-Za-z0-9_-]")


@lru_cache(maxsize=4096)  # a cluster has few role, environment and job names; each is escaped once
def subject_token(name: str) -> str:
    """``name`` as one NATS subject token (see the module's docstring)."""
    if not name:
        return "%"
    return "".join(ch if _PLAIN.fullmatch(ch) else "".join(f"%{b:02X}" for b in ch.encode("utf-8")) for ch in name)


def subject_for(cluster: str, role: str, environment: str, job: str) -> str:
    return ".".join([SUBJECT_PREFIX, *(subject_token(part) for part in (cluster, role, environment, job))])


class Stopped(Exception):
    """The relay is stopping while a sink waits to retry."""


class Sink(Protocol):
    name: str
    window: int  # events in flight at once (1: one after another)

    def begin(self, event: RelayedEvent, stop: threading.Event) -> Future[str | None]:
        """Start delivering (retrying as the sink's policy says); the future holds None once delivered,
        else why the event was given up. Raises (or the future holds) :class:`Stopped` when ``stop`` is set."""
        ...

    def close(self) -> None: ...


def finished(reason: str | None) -> Future[str | None]:
    """A future that already holds ``reason``: what a one-at-a-time sink's ``begin`` returns."""
    future: Future[str | None] = Future()
    future.set_result(reason)
    return future


class SinkWorker:
    """Feeds one sink the outbox's events in order, from where it last finished."""

    def __init__(self, outbox: Outbox, sink: Sink) -> None:
        self.outbox = outbox
        self.sink = sink
        self._stop = threading.Event()
        self._inflight: deque[tuple[RelayedEvent, Future[str | None]]] = deque()
        outbox.register(sink.name)
        self._thread = threading.Thread(target=self._run, name=f"relay-{sink.name}", daemon=True)

    def start(self) -> SinkWorker:
        self._thread.start()
        return self

    def _run(self) -> None:
        inflight = self._inflight
        started = self.outbox.done_seq(self.sink.name)
        try:
            while not self._stop.is_set():
                seen = self.outbox.generation
                room = self.sink.window - len(inflight)
                if room > 0:
                    for event in self.outbox.after(self.sink.name, room, seq=started):
                        future = self.sink.begin(event, self._stop)
                        inflight.append((event, future))
                        future.add_done_callback(self._finished_one)
                        started = event.seq
                last = None
                while inflight and inflight[0][1].done():
                    event, future = inflight.popleft()
                    self._finish(event, future.result())
                    last = event.seq
                if last is not None:
                    self.outbox.done(self.sink.name, last)
                elif not self._stop.is_set():
                    self.outbox.wait(0.5, seen)  # until a new event or a finished delivery
        except Stopped:
            return

    def _finished_one(self, future: Future[str | None]) -> None:
        # Only the oldest delivery's end lets the worker move on. A later one that ends first is found
        # done when the worker reaches it: done() is true before this callback runs, and the worker
        # checks it after taking the one before off the queue.
        inflight = self._inflight
        if inflight and inflight[0][1] is future:
            self.outbox.wake()

    def _finish(self, event: RelayedEvent, reason: str | None) -> None:
        if reason is None:
            return
        self.outbox.add_dead(reason=reason, body=event.body, sink=self.sink.name, event_seq=event.seq)
        log.warning("relay: %s gave up event %s: %s", self.sink.name, event.event_id, reason)

    def stop(self) -> None:
        self._stop.set()
        self.outbox.wake()
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
