"""B6: events/s and latency of the reliable sender (SQLite spool file on), with its floors in the same run.

Receivers, each in its own process so the sender's process is measured alone:

- ``fast``: a minimal asyncio server (one ``Protocol``: find the head's end and
  Content-Length, answer ``200`` with an empty body). It does no work per
  event, so it does not bottleneck the sender; it measures the sender.
- ``aurorakit``: aurorakit's own receiver (h11, decodes every payload into
  typed objects, stores it in SQLite) -- the figure a user of both sees.

Baselines, all keep-alive, one request per event: a ``requests.Session``
loop, and ``http.client`` loops on 1 and 4 threads (the floor: nothing but the
request). At max rate every event is submitted at once: B6 one ``submit``
(one spool transaction) per event, B6b ``submit_many`` in batches of
``BATCH`` (as a scheduler hands over the state changes of one storage
write); at a steady rate
events are offered on a fixed schedule and latency is the time from the
event's due time to its answer (for the sender: to its delivery recorded
in the spool, ``finished_at - enqueued_at``).
"""

from __future__ import annotations

import http.client
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests
from aurorakit.runtime.webhook.config import config_from_dict
from aurorakit.runtime.webhook.outgoing import OutgoingEvent, new_event_id
from aurorakit.runtime.webhook.sender import ReliableSender
from aurorakit.runtime.webhook.spool import Spool

from .common import Figure, rate_figure, timed
from .data import lifecycle_payloads

_FAST_RECEIVER = """
import asyncio, sys
ANSWER = b"HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n"

class Answering(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer, self.end = transport, b"", None
    def data_received(self, data):
        buffer = self.buffer + data
        while True:
            if self.end is None:
                head_end = buffer.find(b"\\r\\n\\r\\n")
                if head_end < 0:
                    break
                length = 0
                for line in buffer[:head_end].split(b"\\r\\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                self.end = head_end + 4 + length
            if len(buffer) < self.end:
                break
            buffer, self.end = buffer[self.end:], None
            self.transport.write(ANSWER)
        self.buffer = buffer

async def main():
    server = await asyncio.get_running_loop().create_server(Answering, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main())
"""

_AURORAKIT_RECEIVER = """
import sys
from aurorakit.runtime.aurora.event import decode_event
from aurorakit.runtime.webhook.receiver import WebhookReceiver
from aurorakit.runtime.webhook.receiver_store import ReceiverStore

def summary(body):
    event = decode_event(body, "0.22")
    return {"task": event.task.assignedTask.taskId, "status": event.task.status.name}

receiver = WebhookReceiver(ReceiverStore(sys.argv[1]), decode=summary).start()
print(receiver.port, flush=True)
sys.stdin.read()
receiver.stop()
"""

_HEADERS = {"Content-Type": "application/json"}
BATCH = 100


def _events(count: int) -> list[OutgoingEvent]:
    payloads = lifecycle_payloads()
    events = []
    for i in range(count):
        text = payloads[i % len(payloads)]
        task = text[text.index('"taskId":"') + 10:].split('"', 1)[0]
        events.append(OutgoingEvent(new_event_id(), f"{task}-{i // len(payloads)}", "RUNNING", "STARTING",
                                    text.encode("utf-8")))
    return events


class _Receiver:
    """A receiver script in its own process, on 127.0.0.1; stopped by closing its stdin."""

    def __init__(self, script: str, *args: str) -> None:
        self._process = subprocess.Popen([sys.executable, "-c", script, *args], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        self.port = int(self._process.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)


def run(quick: bool = False) -> list[Figure]:
    count = 1000 if quick else 6000
    steady_rate = 250.0  # well below every loop's max rate on a busy 2-core machine: latency, not queueing
    events = _events(count)
    figures = []
    with tempfile.TemporaryDirectory(prefix="aurorakit-bench-") as tmp:
        fast = _Receiver(_FAST_RECEIVER)
        try:
            session = timed(lambda: _session_loop(fast.url, events[: count // 4]))
            one = timed(lambda: _http_client_loop(fast.port, events[: count // 4]))
            four = timed(lambda: _threaded(4, lambda part: _http_client_loop(fast.port, part), events))
            ours = timed(lambda: _reliable(fast.url, events, Path(tmp) / "max.db"))
            batched = timed(lambda: _reliable(fast.url, events, Path(tmp) / "batched.db", BATCH))
            steady_events = _events(int(steady_rate * (1 if quick else 3)))
            session_latency = _session_steady(fast.url, steady_events, steady_rate)
            ours_latency = _reliable_steady(fast.url, steady_events, steady_rate, Path(tmp) / "steady.db")
        finally:
            fast.stop()
        note = (f"fast receiver; floors: http.client loop {one.rate:,.0f}/s, 4 threads {four.rate:,.0f}/s; "
                f"sender at max rate {ours.rate / four.rate:.2f}x the 4-thread floor, "
                f"{1e6 / ours.cpu_rate:.0f} us of its process's CPU per event ({ours.cpu_rate:,.0f} events per "
                f"CPU-second; the 4-thread floor {1e6 / four.cpu_rate:.0f} us). Steady {steady_rate:g}/s: "
                f"sender p50/p99 {_ms(ours_latency)}, Session loop p50/p99 {_ms(session_latency)}")
        figures.append(rate_figure("B6", "delivery: reliable sender, spool on (fast receiver)", "events/s", ours,
                                   session, "keep-alive requests.Session loop", ">= 5x, >= 3,000/s", 5.0,
                                   note=note))
        figures.append(rate_figure("B6b", f"delivery: submit_many by {BATCH}, spool on (fast receiver)", "events/s",
                                   batched, session, "keep-alive requests.Session loop", ">= 5x, >= 3,000/s", 5.0,
                                   note=f"{1e6 / batched.cpu_rate:.0f} us of its process's CPU per event"))
        figures.append(rate_figure("B6f", "delivery floor: http.client, 4 threads (fast receiver)", "events/s",
                                   ours, four, "http.client keep-alive loop, 4 threads", "-", None))
        own = _Receiver(_AURORAKIT_RECEIVER, str(Path(tmp) / "received.db"))
        try:
            session = timed(lambda: _session_loop(own.url, events[: count // 4]))
            ours = timed(lambda: _reliable(own.url, events, Path(tmp) / "own.db"))
        finally:
            own.stop()
        figures.append(rate_figure("B6r", "delivery to aurorakit's own receiver", "events/s", ours, session,
                                   "keep-alive requests.Session loop", "-", None,
                                   note="the receiver (one process, decoding and storing every event) is the limit"))
    return figures


def _ms(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{statistics.median(ordered) * 1000:.1f}/{p99 * 1000:.1f} ms"


def _session_loop(url: str, events: list[OutgoingEvent]) -> int:
    with requests.Session() as session:
        for event in events:
            answer = session.post(url, data=event.body, headers={**_HEADERS, "webhook-id": event.event_id},
                                  timeout=10)
            answer.raise_for_status()
    return len(events)


def _http_client_loop(port: int, events: list[OutgoingEvent]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for event in events:
        connection.request("POST", "/", body=event.body, headers={**_HEADERS, "webhook-id": event.event_id})
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"http.client loop: HTTP {answer.status}")
    connection.close()
    return len(events)


def _threaded(threads: int, loop: Callable[[list[OutgoingEvent]], int], events: list[OutgoingEvent]) -> int:
    parts = [events[n::threads] for n in range(threads)]
    workers = [threading.Thread(target=loop, args=(part,)) for part in parts]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(events)


def _sender(url: str, spool: Path) -> ReliableSender:
    config = config_from_dict({"targetURL": url, "timeoutMsec": 10000, "headers": _HEADERS},
                              settings={"spool": str(spool), "workers": 8, "queueSize": 100_000})
    return ReliableSender(config, spool=Spool(spool))


def _reliable(url: str, events: list[OutgoingEvent], spool: Path, batch: int | None = None) -> int:
    sender = _sender(url, spool)
    if batch is None:
        for event in events:
            sender.submit(event)
    else:
        for start in range(0, len(events), batch):
            sender.submit_many(events[start:start + batch])
    drained = sender.drain(timeout=300)
    stats = sender.stats()
    sender.close()
    if not drained or stats["delivered"] != len(events):
        raise RuntimeError(f"reliable sender did not deliver everything: {stats}")
    return len(events)


def _steady(events: list[OutgoingEvent], rate: float, send: Callable[[OutgoingEvent], None]) -> list[float]:
    """Offer each event at its due time; the lag of each send's end behind that time."""
    start = time.perf_counter()
    latencies = []
    for n, event in enumerate(events):
        due = start + n / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        send(event)
        latencies.append(time.perf_counter() - due)
    return latencies


def _session_steady(url: str, events: list[OutgoingEvent], rate: float) -> list[float]:
    with requests.Session() as session:
        return _steady(events, rate, lambda event: session.post(
            url, data=event.body, headers={**_HEADERS, "webhook-id": event.event_id}, timeout=10).raise_for_status())


def _reliable_steady(url: str, events: list[OutgoingEvent], rate: float, spool: Path) -> list[float]:
    sender = _sender(url, spool)
    _steady(events, rate, sender.submit)
    sender.drain(timeout=60)
    records = sender.spool.records(state="delivered", limit=len(events))
    sender.close()
    if len(records) != len(events):
        raise RuntimeError(f"reliable sender delivered {len(records)} of {len(events)} at {rate:g}/s")
    # Spool times are epoch seconds: submission (enqueued) to the recorded delivery.
    return [record.finished_at - record.enqueued_at for record in records if record.finished_at is not None]
