"""Reading the relay's JetStream stream: raw messages, and typed events for library users.

:func:`messages` pulls from the stream (a durable consumer when ``durable`` is
named, else an ephemeral one that reads what the stream holds and ends when
caught up unless ``follow``). A durable consumer's message is acknowledged
only when the caller asks for the next one, that is after the caller's code
for it returned: a consumer that dies mid-way gets it again (at least once;
exactly once per id when the caller records ids); an ephemeral one does not
ack (nothing resumes it). :func:`events` yields typed ``TaskStateChange``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..aurora.event import TaskStateChange, decode_event
from ..aurora.profiles import profile_for
from ..aurora.releases import models_for
from ..webhook.payloads import body_text
from .nats_connect import connect
from .nats_sink import ensure_stream
from .sinks import STREAM


@dataclass(frozen=True)
class StreamMessage:
    id: str
    release: str
    subject: str
    stream_seq: int
    task_id: str | None
    old_status: str | None
    new_status: str | None
    content_type: str | None
    body: bytes

    def payload_text(self) -> str:
        """The body as the Java string Aurora wrote (read with the release's charset rules)."""
        return body_text(self.body, profile_for(self.release), self.content_type)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "release": self.release, "subject": self.subject, "seq": self.stream_seq,
                "taskId": self.task_id, "oldStatus": self.old_status, "newStatus": self.new_status,
                "payload": self.payload_text()}


def messages(url: str, subject: str = "aurora.>", *, durable: str | None = None, follow: bool = False,
             from_seq: int | None = None, since: datetime | None = None, stream: str = STREAM,
             batch: int = 100, idle_timeout: float = 1.0,
             stop: threading.Event | None = None, connect_within: float = 5.0) -> Iterator[StreamMessage]:
    """The stream's messages matching ``subject``, in stream order, each acked after the caller is done with it.

    With ``follow``, it ends only when ``stop`` is set (checked every ``idle_timeout`` seconds while idle).
    NatsUnreachable when the server cannot be reached within ``connect_within`` seconds; once
    connected, a lost connection is re-made for as long as it takes.
    """
    loop = asyncio.new_event_loop()
    try:
        yield from _pull(loop, url, subject, durable, follow, from_seq, since, stream, batch, idle_timeout, stop,
                         connect_within)
    finally:
        loop.close()


def _pull(loop: asyncio.AbstractEventLoop, url: str, subject: str, durable: str | None, follow: bool,
          from_seq: int | None, since: datetime | None, stream: str, batch: int,
          idle_timeout: float, stop: threading.Event | None, connect_within: float) -> Iterator[StreamMessage]:
    from nats.errors import TimeoutError as NatsTimeout
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    run = loop.run_until_complete
    nc = run(connect(url, give_up_after=connect_within))
    try:
        js = nc.jetstream(timeout=10)
        # A durable consumer acks each message (so it resumes after the last one handled); an ephemeral
        # one is gone when the reader is, so acks would buy nothing and cost a message each.
        acking = durable is not None
        config = ConsumerConfig(ack_policy=AckPolicy.EXPLICIT if acking else AckPolicy.NONE, ack_wait=60.0)
        if from_seq is not None:
            config.deliver_policy, config.opt_start_seq = DeliverPolicy.BY_START_SEQUENCE, from_seq
        elif since is not None:
            config.deliver_policy, config.opt_start_time = (DeliverPolicy.BY_START_TIME,
                                                               since if since.tzinfo else since.replace(tzinfo=timezone.utc))
        run(ensure_stream(js, stream))  # a consumer may start before any relay has made the stream
        sub = run(js.pull_subscribe(subject, durable=durable, stream=stream, config=config))
        while stop is None or not stop.is_set():
            try:
                fetched = run(sub.fetch(batch, timeout=idle_timeout))
            except (NatsTimeout, asyncio.TimeoutError):  # nats-py raises either when nothing came in time
                fetched = []
            if not fetched:
                if not follow:
                    return  # caught up: the stream holds nothing more for this subject
                continue
            for index, msg in enumerate(fetched):
                headers = msg.headers or {}
                message = StreamMessage(id=headers.get("Nats-Msg-Id", ""), release=headers.get("Aurora-Release", ""),
                                    subject=msg.subject, stream_seq=msg.metadata.sequence.stream,
                                    task_id=headers.get("Aurora-Task-Id"),
                                    old_status=headers.get("Aurora-Old-Status"),
                                    new_status=headers.get("Aurora-New-Status"),
                                    content_type=headers.get("Content-Type"), body=msg.data)
                try:
                    yield message
                except GeneratorExit:  # the caller stopped inside its code for this one: hand back the rest now
                    if acking:
                        for unused in fetched[index:]:
                            run(unused.nak())
                    raise
                if acking:  # the caller's code for this message has returned; sent with the next request
                    run(msg.ack())
            if not follow and fetched[-1].metadata.num_pending == 0:
                return
    finally:
        if not nc.is_closed:
            run(nc.close())  # flushes the acks not yet sent


def events(url: str, subject: str = "aurora.>", *, durable: str | None = None, follow: bool = True,
           **options: Any) -> Iterator[TaskStateChange]:
    """Typed events from the stream (a durable consumer when ``durable`` is named), each acked after use."""
    for message in messages(url, subject, durable=durable, follow=follow, **options):
        models = models_for(message.release)
        yield decode_event(message.payload_text(), models)
