"""The NATS JetStream sink: pipelined publishes, acks awaited in order, order per task kept.

Each event is published to one stream with its id as ``Nats-Msg-Id`` (the
server drops a re-publish within its duplicate window, so what a restarted
relay sends again is stored once) and headers carrying the release, task id
and statuses. Up to ``window`` publishes are in flight at once, but never two
of the same task: an event waits for the ack of its task's previous event
before it is published, so a publish lost to a reconnect (and retried after a
later one of another task got through) cannot put a task's events out of
order. A publish is retried until the server acks it (JetStream is where
consumers read: nothing is dead-lettered here).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future
from typing import Any

from .nats_connect import connect
from .outbox import RelayedEvent
from .sinks import STREAM, SUBJECT_PREFIX, Stopped

log = logging.getLogger("aurorakit.relay")
DEFAULT_WINDOW = 256


class NatsSink:
    """Publishes to JetStream from an asyncio loop in a thread of its own."""

    def __init__(self, url: str, *, stream: str = STREAM, window: int = DEFAULT_WINDOW,
                 max_backoff: float = 5.0) -> None:
        self.url = url
        self.name = f"nats:{url}"
        self.stream = stream
        self.window = window
        self.max_backoff = max_backoff
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="relay-nats", daemon=True)
        self._thread.start()
        self._nc: Any = None
        self._js: Any = None
        self._connecting: asyncio.Lock | None = None
        self._last_of_task: dict[str, asyncio.Future[None]] = {}  # loop thread only
        self._deliveries: set[asyncio.Task[Any]] = set()  # cancelled by close()

    def begin(self, event: RelayedEvent, stop: threading.Event) -> Future[str | None]:
        return asyncio.run_coroutine_threadsafe(self._deliver(event, stop), self._loop)

    async def _deliver(self, event: RelayedEvent, stop: threading.Event) -> None:
        # Coroutines start in the order begin() was called (the loop runs callbacks FIFO), so the
        # chain below is in acceptance order; it is read and written before the first await.
        previous = self._last_of_task.get(event.task_id)
        mine: asyncio.Future[None] = self._loop.create_future()
        self._last_of_task[event.task_id] = mine
        task = asyncio.current_task()
        if task is not None:
            self._deliveries.add(task)
        try:
            if previous is not None:
                await previous
            await self._publish_until_acked(event, stop)
            mine.set_result(None)
        except BaseException as err:
            mine.set_exception(Stopped() if not isinstance(err, Stopped) else err)
            mine.exception()  # retrieved: a stopped chain is not an unhandled error
            raise
        finally:
            if self._last_of_task.get(event.task_id) is mine:
                del self._last_of_task[event.task_id]
            if task is not None:
                self._deliveries.discard(task)

    async def _publish_until_acked(self, event: RelayedEvent, stop: threading.Event) -> None:
        backoff = 0.1
        while True:
            if stop.is_set():
                raise Stopped()
            try:
                await self._publish(event)
                return
            except Exception as err:  # the server down or restarting: keep trying
                log.warning("relay: NATS %s: %s: %s (retrying)", self.url, type(err).__name__, err)
                await asyncio.sleep(backoff)
                backoff = min(self.max_backoff, backoff * 2)

    async def _connect(self) -> Any:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:  # many publishes start at once: one connection for all
            if self._nc is None or self._nc.is_closed:
                self._nc = await connect(self.url, give_up_after=None)
                self._js = self._nc.jetstream(timeout=5)
                await ensure_stream(self._js, self.stream)
        return self._js

    async def _publish(self, event: RelayedEvent) -> None:
        js = self._js if self._nc is not None and not self._nc.is_closed else await self._connect()
        headers = {"Nats-Msg-Id": event.event_id, "Aurora-Release": event.release, "Aurora-Task-Id": event.task_id,
                   "Aurora-New-Status": event.new_status}
        if event.old_status is not None:
            headers["Aurora-Old-Status"] = event.old_status
        if event.content_type:
            headers["Content-Type"] = event.content_type
        await js.publish(event.subject, event.body, timeout=5, stream=self.stream, headers=headers)

    def close(self) -> None:
        async def drain() -> None:
            for task in list(self._deliveries):
                task.cancel()
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
