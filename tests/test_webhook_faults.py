"""Reliable delivery against receivers that are down, failing, slow or rude.

Every scenario ends with: every event arrived, per-task order kept,
duplicates only as repeats of the same ``webhook-id``.
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from aurorakit.runtime.webhook.config import WebhookConfig, parse_config
from aurorakit.runtime.webhook.outgoing import OutgoingEvent
from aurorakit.runtime.webhook.sender import ReliableSender, SubmitQueueFullError
from test_webhook_helpers import (
    Answer,
    DroppingServer,
    RecordingServer,
    assert_complete_and_ordered,
    make_events,
    unused_port,
    wait_until,
)


def reliable_config(url: str, **extra: Any) -> WebhookConfig:
    config: dict[str, Any] = {
        "targetURL": url, "timeoutMsec": 300, "workers": 4,
        "headers": {"Content-Type": "application/json", "Authorization": "Bearer hush-hush"},
        "retry": {"initialBackoffMsec": 10, "maxBackoffMsec": 100, "maxAttempts": 1000, "deadlineSec": 60},
    }
    config.update(extra)
    settings = {key: config.pop(key) for key in ("workers", "retry", "queueSize", "signingSecret") if key in config}
    return parse_config(json.dumps(config), settings=settings)  # aurorakit settings live outside webhook.json


def run_all(sender: ReliableSender, events: list[OutgoingEvent], timeout: float = 20) -> dict[str, int]:
    for event in events:
        assert sender.submit(event)
    assert sender.drain(timeout), f"not drained: {sender.stats()}"
    stats = sender.stats()
    assert sender.close(5)
    return stats


def test_receiver_down_for_a_while_then_up(tmp_path: Path) -> None:
    port = unused_port()
    events = make_events(tasks=5, per_task=8)
    sender = ReliableSender(reliable_config(f"http://127.0.0.1:{port}/hook"), spool=tmp_path / "spool.db")
    for event in events:
        sender.submit(event)
    assert wait_until(lambda: sender.stats()["webhooks_errors"] >= 10, 5)
    assert sender.stats()["delivered"] == 0
    with RecordingServer(port=port) as server:
        assert sender.drain(20), sender.stats()
        stats = sender.stats()
        sender.close(5)
    assert assert_complete_and_ordered(server.arrivals, events) == 0
    assert stats["delivered"] == 40 and stats["given_up"] == 0 and stats["pending"] == 0
    assert stats["retried"] == stats["webhooks_errors"] >= 10


def test_receiver_answering_500_for_a_while(tmp_path: Path) -> None:
    started = time.time()
    server = RecordingServer(lambda n: Answer(500) if time.time() - started < 1.0 else Answer(200)).start()
    events = make_events(tasks=6, per_task=6)
    try:
        stats = run_all(ReliableSender(reliable_config(server.url), spool=tmp_path / "spool.db"), events)
    finally:
        server.stop()
    duplicates = assert_complete_and_ordered(server.arrivals, events)
    assert duplicates == stats["webhooks_user_errors"] == stats["retried"] > 0
    assert stats["webhooks_success"] == stats["delivered"] == 36


def test_receiver_slower_than_the_timeout(tmp_path: Path) -> None:
    server = RecordingServer(lambda n: Answer(delay=0.8) if n <= 6 else Answer()).start()
    events = make_events(tasks=4, per_task=5)
    try:
        stats = run_all(ReliableSender(reliable_config(server.url), spool=tmp_path / "spool.db"), events)
    finally:
        server.stop()
    assert assert_complete_and_ordered(server.arrivals, events) == 6
    assert stats["webhooks_errors"] == 6 and stats["delivered"] == 20


def test_receiver_dropping_connections_mid_request(tmp_path: Path) -> None:
    events = make_events(tasks=4, per_task=6)
    with DroppingServer(drops=10) as server:
        stats = run_all(ReliableSender(reliable_config(server.url), spool=tmp_path / "spool.db"), events)
    assert assert_complete_and_ordered(server.arrivals, events) == 10
    assert stats["webhooks_errors"] == 10 and stats["delivered"] == 24


def test_client_errors_are_given_up_with_the_reason_and_the_task_moves_on(tmp_path: Path) -> None:
    server = RecordingServer(lambda n: Answer(404) if n == 1 else Answer(204)).start()
    events = make_events(tasks=1, per_task=3)
    sender = ReliableSender(reliable_config(server.url, workers=1), spool=tmp_path / "spool.db")
    try:
        for event in events:
            sender.submit(event)
        assert sender.drain(10)
        record = sender.spool.record(events[0].event_id)
        stats = sender.stats()
        sender.close()
    finally:
        server.stop()
    assert record is not None and record.state == "given_up" and record.last_error == "HTTP 404 (not retried)"
    assert [a.webhook_id for a in server.arrivals] == [e.event_id for e in events]
    # Aurora's counters count only 200 as success: the 204s are user errors there.
    assert stats == {"webhooks_attempts": 3, "webhooks_success": 0, "webhooks_errors": 0,
                     "webhooks_user_errors": 3, "delivered": 2, "retried": 0, "given_up": 1,
                     "skipped": 0, "duplicates": 0, "not_accepted": 0, "pending": 0}


@pytest.mark.parametrize("retry_after", ["1", "HTTP-DATE"])
def test_retry_after_is_honoured(tmp_path: Path, retry_after: str) -> None:
    def answer(n: int) -> Answer:
        if n > 1:
            return Answer()
        value = retry_after
        if value == "HTTP-DATE":  # two seconds ahead: at least one second after rounding
            value = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 2))
        return Answer(503 if retry_after == "1" else 429, headers=(("Retry-After", value),))

    server = RecordingServer(answer).start()
    try:
        run_all(ReliableSender(reliable_config(server.url), spool=tmp_path / "spool.db"),
                make_events(tasks=1, per_task=1))
    finally:
        server.stop()
    first, second = server.arrivals
    assert second.at - first.at >= 0.95


def test_attempts_and_deadline_are_bounded(tmp_path: Path) -> None:
    server = RecordingServer(lambda n: Answer(503)).start()
    try:
        config = reliable_config(server.url, retry={"maxAttempts": 3, "initialBackoffMsec": 5})
        sender = ReliableSender(config, spool=tmp_path / "a.db")
        run_all(sender, make_events(tasks=1, per_task=1, prefix="max"))
        assert len(server.arrivals) == 3
        # Attempts at 0 and 0.3s; the next would be at 0.9s, so one last one at the 0.6s deadline
        # (exactly so on a made-up clock in test_retry_rules; here only "never early" is tight).
        config = reliable_config(server.url, retry={"deadlineSec": 0.6, "initialBackoffMsec": 300,
                                                    "jitter": 0})
        sender = ReliableSender(config, spool=tmp_path / "b.db")
        submitted = time.time()
        for event in make_events(tasks=1, per_task=1, prefix="late"):
            sender.submit(event)
        assert sender.drain(10)
        record = sender.spool.record("late-0-0")
        sender.close()
    finally:
        server.stop()
    assert record is not None and record.state == "given_up"
    assert record.last_error == "HTTP 503; deadline of 0.6s reached"
    late = [a.at - submitted for a in server.arrivals[3:]]
    assert record.attempts == len(late) and 2 <= len(late) <= 3, late  # 2: the retry came after the deadline
    assert all(t >= due - 0.01 for t, due in zip(late, [0.0, 0.3, 0.6])) and late[-1] < 10, late


def test_full_queue_pushes_back_then_everything_is_sent(tmp_path: Path) -> None:
    with RecordingServer() as server:
        sender = ReliableSender(reliable_config(server.url, queueSize=2), spool=tmp_path / "spool.db",
                                start=False)
        events = make_events(tasks=1, per_task=3)
        sender.submit(events[0])
        sender.submit(events[1])
        began = time.monotonic()
        with pytest.raises(SubmitQueueFullError, match="queueSize 2"):
            sender.submit(events[2], timeout=0.2)
        assert 0.15 <= time.monotonic() - began < 2
        sender.start()
        sender.submit(events[2], timeout=2)
        assert sender.drain(10)
        sender.close()
    assert_complete_and_ordered(server.arrivals, events)


def test_close_leaves_pending_events_in_the_spool_for_the_next_sender(tmp_path: Path) -> None:
    port = unused_port()
    events = make_events(tasks=3, per_task=4)
    config = reliable_config(f"http://127.0.0.1:{port}/hook")
    first = ReliableSender(config, spool=tmp_path / "spool.db")
    for event in events:
        first.submit(event)
    assert not first.close(0.3)
    with RecordingServer(port=port) as server:
        second = ReliableSender(config, spool=tmp_path / "spool.db", start=False)
        assert second.stats()["pending"] == 12
        second.start()
        assert second.close(10)
    assert_complete_and_ordered(server.arrivals, events)


def test_secrets_stay_out_of_logs_and_reprs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    port = unused_port()
    config = reliable_config(f"http://user:pw-in-url@127.0.0.1:{port}/hook?x=1",
                             signingSecret="whsec_c2lnbmluZy1zZWNyZXQtYnl0ZXM=",
                             retry={"maxAttempts": 2, "initialBackoffMsec": 5})
    with caplog.at_level(logging.DEBUG, logger="aurorakit"):
        sender = ReliableSender(config, spool=tmp_path / "spool.db")
        sender.submit(make_events(tasks=1, per_task=1)[0])
        assert sender.drain(10)
        text = caplog.text + repr(sender) + repr(config)
        sender.close()
    assert "given up" in caplog.text
    for secret in ("hush-hush", "pw-in-url", "c2lnbmluZy1zZWNyZXQtYnl0ZXM="):
        assert secret not in text


def test_tls_certificates_are_verified(tmp_path: Path) -> None:
    import ssl
    from http.server import BaseHTTPRequestHandler, HTTPServer

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                           "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
                          capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("openssl cannot make a self-signed certificate here")
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = reliable_config(f"https://127.0.0.1:{server.server_address[1]}/",
                                 retry={"maxAttempts": 1})
        sender = ReliableSender(config, spool=tmp_path / "spool.db")
        sender.submit(make_events(tasks=1, per_task=1)[0])
        assert sender.drain(10)
        stats = sender.stats()
        record = sender.spool.record("evt-0-0")
        sender.close()
    finally:
        server.shutdown()
        server.server_close()
    assert stats["delivered"] == 0 and stats["given_up"] == 1 and stats["webhooks_errors"] == 1
    assert record is not None and "SSLError" in (record.last_error or "")
