"""The NATS parts' smaller promises, against a real nats-server: a publish that fails is retried with a
backoff that doubles up to ``max_backoff``; the sink's loop runs in a thread named for it that close()
ends; a connection that keeps failing logs each kind of failure once, and one that gives up says why."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time

import pytest
from aurorakit.runtime.relay import nats_sink
from aurorakit.runtime.relay.nats_connect import NatsUnreachable, connect
from aurorakit.runtime.relay.nats_sink import NatsSink
from aurorakit.runtime.relay.outbox import RelayedEvent
from aurorakit.runtime.relay.sinks import Stopped
from servers import NatsServer, free_port


def _event(subject: str) -> RelayedEvent:
    return RelayedEvent(seq=1, event_id="e-1", received_at=0.0, release="0.26.0", subject=subject,
                        task_id="t-1", old_status=None, new_status="RUNNING", content_type=None, body=b"{}")


def _retry_times(caplog: pytest.LogCaptureFixture) -> list[float]:
    return [r.created for r in caplog.records if r.levelno == logging.WARNING and "(retrying)" in r.getMessage()]


class _SleepsRecorded:
    """The sink module's ``asyncio`` with each ``sleep`` asked for recorded (then really slept): the backoff
    the sink chose, which a loaded machine cannot stretch as it stretches the measured gaps."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def __getattr__(self, name: str) -> object:
        return getattr(asyncio, name)

    async def sleep(self, delay: float) -> None:
        self.asked.append(delay)
        await asyncio.sleep(delay)


def test_a_failing_publish_is_retried_with_doubling_backoff_capped(nats_server: NatsServer,
                                                                   caplog: pytest.LogCaptureFixture,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.WARNING, logger="aurorakit.relay")
    sleeps = _SleepsRecorded()
    monkeypatch.setattr(nats_sink, "asyncio", sleeps)
    sink = NatsSink(nats_server.url, stream="DETAILS", max_backoff=0.25)
    stop = threading.Event()
    try:
        # Outside the stream's subjects: the server answers "no responders" at once, every time.
        done = sink.begin(_event("elsewhere.x"), stop)
        deadline = time.monotonic() + 30
        while len(_retry_times(caplog)) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        with pytest.raises(Stopped):
            done.result(timeout=10)
    finally:
        sink.close()
    times = _retry_times(caplog)
    assert len(times) >= 6, times
    # 0.1 s first, then 0.2 s, then the 0.25 s cap (doubling on would give 0.4, 0.8).
    assert sleeps.asked[:5] == [0.1, 0.2, 0.25, 0.25, 0.25], sleeps.asked
    # Each backoff was waited for: a gap between retries is never shorter (load only lengthens it).
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= asked - 0.01 for gap, asked in zip(gaps[:5], sleeps.asked[:5])), (gaps, sleeps.asked)


def test_the_sink_runs_in_a_named_thread_that_close_ends() -> None:
    before = {t.ident for t in threading.enumerate()}
    sink = NatsSink(f"nats://127.0.0.1:{free_port()}")
    mine = [t for t in threading.enumerate() if t.ident not in before]
    assert [t.name for t in mine] == ["relay-nats"]
    assert mine[0].daemon
    sink.close()
    assert not mine[0].is_alive()


def test_a_connection_that_keeps_failing_logs_each_kind_of_failure_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="aurorakit.relay")
    url = f"nats://127.0.0.1:{free_port()}"  # nothing listens: refused, the same way, every 0.5 s

    async def try_for_a_while() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(connect(url, give_up_after=None), 1.8)

    asyncio.run(try_for_a_while())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"NATS {url}: ")


def test_a_first_connection_that_gives_up_says_why_once_and_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="aurorakit.relay")
    url = f"nats://127.0.0.1:{free_port()}"
    with pytest.raises(NatsUnreachable) as raised:
        asyncio.run(connect(url, give_up_after=1.2))
    message = str(raised.value)
    assert message.startswith(f"--nats {url}: cannot connect within 1.2 s: ")
    assert len(message) > len(f"--nats {url}: cannot connect within 1.2 s: ") + 5
    assert [r for r in caplog.records if r.levelno == logging.WARNING] == []


def test_a_connection_made_logs_nothing(nats_server: NatsServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="aurorakit.relay")

    async def connect_and_close() -> bool:
        client = await connect(nats_server.url, give_up_after=5)
        connected = client.is_connected
        await client.close()
        return connected

    assert asyncio.run(connect_and_close())
    assert [r for r in caplog.records if r.levelno == logging.WARNING] == []
