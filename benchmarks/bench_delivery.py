"""B6: events/s from the reliable sender (SQLite spool on) to a local receiver.

The receiver runs in its own process (a real HTTP server on 127.0.0.1 that
decodes every payload into typed objects and stores it in SQLite), so the
sender's process is measured alone. Baseline: a loop of ``requests.post``,
one per event, to the same receiver.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from aurorakit.runtime.webhook.config import config_from_dict
from aurorakit.runtime.webhook.outgoing import OutgoingEvent, new_event_id
from aurorakit.runtime.webhook.sender import ReliableSender
from aurorakit.runtime.webhook.spool import Spool

from .common import Figure
from .data import lifecycle_payloads

_RECEIVER = """
import sys
from aurorakit.runtime.event import decode_event
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


def _events(count: int) -> list[OutgoingEvent]:
    payloads = lifecycle_payloads()
    events = []
    for i in range(count):
        text = payloads[i % len(payloads)]
        task = text[text.index('"taskId":"') + 10:].split('"', 1)[0]
        events.append(OutgoingEvent(new_event_id(), f"{task}-{i // len(payloads)}", "RUNNING", "STARTING",
                                    text.encode("utf-8")))
    return events


def run(quick: bool = False) -> Figure:
    count = 600 if quick else 3000
    events = _events(count)
    with tempfile.TemporaryDirectory(prefix="aurorakit-bench-") as tmp:
        receiver = subprocess.Popen([sys.executable, "-c", _RECEIVER, str(Path(tmp) / "received.db")],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert receiver.stdout is not None
            url = f"http://127.0.0.1:{receiver.stdout.readline().strip()}/"
            baseline = _post_loop(url, events[: count // 3])
            ours = _reliable(url, events, Path(tmp) / "spool.db")
        finally:
            assert receiver.stdin is not None
            receiver.stdin.close()
            receiver.wait(timeout=30)
    return Figure("B6", "delivery: reliable sender, spool on", "events/s", ours, baseline,
                  "requests.post loop", ">= 5x", 5.0)


def _post_loop(url: str, events: list[OutgoingEvent]) -> float:
    start = time.perf_counter()
    for event in events:
        answer = requests.post(url, data=event.body, timeout=10,
                               headers={"Content-Type": "application/json", "webhook-id": event.event_id})
        answer.raise_for_status()
    return len(events) / (time.perf_counter() - start)


def _reliable(url: str, events: list[OutgoingEvent], spool: Path) -> float:
    config = config_from_dict({"targetURL": url, "timeoutMsec": 10000, "headers": {"Content-Type": "application/json"}},
                              settings={"spool": str(spool), "workers": 8})
    sender = ReliableSender(config, spool=Spool(spool))
    start = time.perf_counter()
    for event in events:
        sender.submit(event)
    drained = sender.drain(timeout=300)
    elapsed = time.perf_counter() - start
    stats = sender.stats()
    sender.close()
    if not drained or stats["delivered"] != len(events):
        raise RuntimeError(f"reliable sender did not deliver everything: {stats}")
    return len(events) / elapsed
