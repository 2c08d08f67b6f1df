"""A receiver's life: ``serve_forever`` starts one not yet started and returns once it is stopped;
``HttpServer.wait`` has nothing to wait for before a start or after a stop (real sockets on 127.0.0.1)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import requests
from aurorakit.runtime.webhook.receiver import WebhookReceiver
from aurorakit.runtime.webhook.receiver_framing import Limits
from aurorakit.runtime.webhook.receiver_http import Answer, HttpServer
from aurorakit.runtime.webhook.receiver_store import ReceiverStore

JOIN = 10.0


def test_serve_forever_starts_the_receiver_and_returns_after_stop(tmp_path: Path) -> None:
    store = ReceiverStore(tmp_path / "received.db")
    receiver = WebhookReceiver(store)
    server = threading.Thread(target=receiver.serve_forever, daemon=True)
    server.start()
    try:
        answer = requests.post(receiver.url, data=b'{"task": {}}', headers={"Content-Type": "application/json"},
                               timeout=JOIN)
        assert answer.status_code == 200
    finally:
        receiver.stop()
    server.join(JOIN)
    assert not server.is_alive()
    assert len(store.list(10)) == 1
    store.close()


def test_a_server_not_running_has_nothing_to_wait_for() -> None:
    server = HttpServer(socket.create_server(("127.0.0.1", 0)), Limits(), lambda request: Answer(200, {}),
                        lambda refusal: None)
    assert server.wait(0)  # never started
    server.start()
    assert not server.wait(0)  # running
    server.stop()
    assert server.wait(0)  # stopped
