"""A sending process killed with SIGKILL mid-stream, restarted on the same spool."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aurorakit.runtime.webhook.receiver import ReceiverStore, WebhookReceiver
from aurorakit.runtime.webhook.spool import Spool, SpoolCounts
from test_webhook_helpers import wait_until

EVENTS = 80
TASKS = 4

SENDER_SCRIPT = textwrap.dedent("""
    import json, sys
    from aurorakit.runtime.webhook.config import parse_config
    from aurorakit.runtime.webhook.outgoing import OutgoingEvent
    from aurorakit.runtime.webhook.sender import ReliableSender

    url, spool, mode, count, tasks = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    config = parse_config(json.dumps({"targetURL": url, "timeoutMsec": 2000, "headers": {}}), settings={
        "workers": 2, "spool": spool, "signingSecret": "crash-test-secret",
        "retry": {"initialBackoffMsec": 10, "maxBackoffMsec": 100, "maxAttempts": 1000}})
    sender = ReliableSender(config)
    if mode == "produce":
        for i in range(count):
            task = f"task-{i % tasks}"
            body = json.dumps({"task": task, "n": i // tasks}).encode()
            sender.submit(OutgoingEvent(f"crash-{i}", task, "RUNNING", "STARTING", body))
        assert sender.flush(10)
        print("SPOOLED", flush=True)
        sender.drain(60)  # killed long before this ends
        print("DRAINED", flush=True)
    else:
        recovered = sender.spool.recovered
        print("DRAINED" if sender.close(30) else "LEFT", recovered, flush=True)
""")


class GatedDecoder:
    """Decodes JSON; from the ``hold_from``-th request on, holds each request
    until ``release`` is set, so the kill lands while POSTs are in flight."""

    def __init__(self, hold_from: int) -> None:
        self.hold_from = hold_from
        self.seen = 0
        self.held = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, body: bytes) -> Mapping[str, Any]:
        with self._lock:
            self.seen += 1
            hold = self.seen >= self.hold_from
            self.held += hold
        if hold:
            self.release.wait(10)
        summary: dict[str, Any] = json.loads(body)
        return summary


def run_sender(script: Path, url: str, spool: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(script), url, str(spool), mode, str(EVENTS), str(TASKS)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_mid_stream_then_restart_delivers_everything(tmp_path: Path) -> None:
    script = tmp_path / "sender.py"
    script.write_text(SENDER_SCRIPT)
    spool = tmp_path / "spool.db"
    store = ReceiverStore(tmp_path / "received.db")
    decoder = GatedDecoder(hold_from=20)
    with WebhookReceiver(store, secret="crash-test-secret", decode=decoder) as receiver:
        producer = run_sender(script, receiver.url, spool, "produce")
        try:
            assert producer.stdout is not None
            assert producer.stdout.readline().strip() == "SPOOLED", producer.stderr
            # Both workers are now waiting for an answer that will not come in time.
            assert wait_until(lambda: decoder.held == 2, 20)
            os.kill(producer.pid, signal.SIGKILL)
            assert producer.wait(10) == -signal.SIGKILL
        finally:
            if producer.poll() is None:
                producer.kill()
        decoder.release.set()  # the receiver stores the two it held; no one hears the 200
        assert wait_until(lambda: store.count() == 21, 5)

        restarted = run_sender(script, receiver.url, spool, "drain")
        out, err = restarted.communicate(timeout=60)
        assert restarted.returncode == 0, err
        # Leased, never acknowledged: the two held, sent again (and dropped as duplicates), and up to the
        # lease window (4 per worker) never sent before.
        assert out.split()[0] == "DRAINED" and 2 <= int(out.split()[1]) <= 8, out

    deliveries = store.list(limit=10 * EVENTS)
    assert sorted(d.webhook_id or "" for d in deliveries) == sorted(f"crash-{i}" for i in range(EVENTS))
    for task in range(TASKS):
        numbers = [d.summary["n"] for d in deliveries if d.summary and d.summary["task"] == f"task-{task}"]
        assert numbers == list(range(EVENTS // TASKS)), f"task-{task} out of order: {numbers}"
    left = Spool(spool)
    assert left.counts() == SpoolCounts(pending=0, leased=0, delivered=EVENTS, given_up=0)
