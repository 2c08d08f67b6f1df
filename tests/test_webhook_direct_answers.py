"""The direct path's HTTP/1.1 (requests written whole, answers read by httptools): every kind of answer framing a server may send, against a real
socket server on 127.0.0.1 that answers each request with scripted bytes, and what the sender makes of it
(the status, whether the connection was reused, what was given up or retried).
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from types import MappingProxyType

import pytest
from aurorakit.runtime.webhook.config import RetryPolicy, WebhookConfig
from aurorakit.runtime.webhook.outgoing import OutgoingEvent
from aurorakit.runtime.webhook.sender import ReliableSender


class ScriptedServer:
    """Reads each request whole (by its Content-Length) and answers it with the next scripted bytes (the
    last one again once the script ends); ``None`` closes the connection instead, as does ``close_after``
    after every answer. Counts connections."""

    def __init__(self, answers: list[bytes | None], close_after: bool = False) -> None:
        self.answers = answers
        self.close_after = close_after
        self.requests: list[bytes] = []
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/hook"
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length:")))
                while len(rest) < length:
                    rest += connection.recv(65536)
                buffer = rest[length:]
                with self._lock:
                    self.requests.append(head + b"\r\n\r\n" + rest[:length])
                    answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
                if answer is None:
                    return
                connection.sendall(answer)
                if self.close_after:
                    return

    def close(self) -> None:
        self._listener.close()


def send(answers: list[bytes | None], tmp_path: Path, events: int = 3, close_after: bool = False,
         **retry: float) -> tuple[ReliableSender, ScriptedServer]:
    server = ScriptedServer(answers, close_after)
    policy = {"max_attempts": 2, "initial_backoff_msec": 5, "max_backoff_msec": 5, **retry}
    config = WebhookConfig(target_url=server.url, timeout_msec=1000, workers=1, retry=RetryPolicy(**policy),
                           headers=MappingProxyType({"Content-Type": "application/json"}))
    sender = ReliableSender(config, spool=tmp_path / "spool.db")
    assert sender._attempts.direct is not None
    for n in range(events):
        sender.submit(OutgoingEvent(f"e{n}", "task", "RUNNING", "STARTING", b'{"n": %d}' % n))
    assert sender.drain(10), sender.stats()
    return sender, server


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


# The server keeps every connection open: one the sender must not reuse, it has to close itself.
@pytest.mark.parametrize("answer, reused", [
    (OK, True),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", True),
    (b"HTTP/1.1 204 No Content\r\n\r\n", True),                                       # no body by its status
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n3;x=y\r\n!!!\r\n0\r\nT: v\r\n\r\n", True),
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", True),  # 1xx skipped
    (b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", False),  # bare LF line ends: llhttp refuses them, the status stands
    (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok", True),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", False),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", False),                       # 1.0 closes by default
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", False),                  # bytes nobody asked for
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", False),         # a broken chunk
])
def test_every_framing_is_read_to_its_end_and_the_connection_reused_only_when_safe(
        tmp_path: Path, answer: bytes, reused: bool) -> None:
    sender, server = send([answer], tmp_path)
    try:
        stats = sender.stats()
        assert sender.close(5)
    finally:
        server.close()
    assert stats["delivered"] == 3 and stats["webhooks_errors"] == 0, stats
    assert len(server.requests) == 3
    assert server.connections == (1 if reused else 3)


def test_an_answer_without_framing_is_read_to_the_close(tmp_path: Path) -> None:
    for answer in (b"HTTP/1.1 200 OK\r\n\r\nall of it", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"):
        (tmp_path / str(len(answer))).mkdir()
        sender, server = send([answer], tmp_path / str(len(answer)), close_after=True)
        try:
            stats = sender.stats()
            assert sender.close(5)
        finally:
            server.close()
        assert stats["delivered"] == 3 and stats["webhooks_errors"] == 0 and server.connections == 3, stats


@pytest.mark.parametrize("answer, error", [
    (b"HTTP/1.1 2x0 OK\r\n\r\n", "ConnectionError (BadStatusLine)"),
    (b"SMTP ready\r\n\r\n", "ConnectionError (BadStatusLine)"),
    (b"HTTP/1.1 200 O", "ConnectionError (BadStatusLine)"),                # cut off in its head
    (None, "ConnectionError (RemoteDisconnected)"),                        # closed without a word
    (b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"x" * 70_000 + b"\r\n\r\n", "ConnectionError (LineTooLong)"),
])
def test_a_broken_answer_is_a_retryable_error_named_like_http_client(
        tmp_path: Path, answer: bytes | None, error: str) -> None:
    sender, server = send([answer], tmp_path, events=1, close_after=True)
    try:
        record = sender.spool.record("e0")
        assert sender.close(5)
    finally:
        server.close()
    assert record is not None and record.state == "given_up"
    assert record.last_error == f"{error} after 2 attempt(s)"
    assert sender.stats()["webhooks_errors"] == 2


def test_retry_after_and_the_status_come_from_the_head(tmp_path: Path) -> None:
    answers: list[bytes | None] = [b"HTTP/1.1 503 Busy\r\nretry-after:  0 \r\nContent-Length: 0\r\n\r\n", OK]
    sender, server = send(answers, tmp_path, events=1, initial_backoff_msec=5, max_backoff_msec=5)
    try:
        record = sender.spool.record("e0")
        stats = sender.stats()
        assert sender.close(5)
    finally:
        server.close()
    assert record is not None and record.state == "delivered" and record.attempts == 2
    assert (stats["webhooks_user_errors"], stats["retried"], stats["delivered"]) == (1, 1, 1)


def test_a_line_break_in_an_event_id_is_never_written_into_the_head(tmp_path: Path) -> None:
    server = ScriptedServer([OK])
    config = WebhookConfig(target_url=server.url, timeout_msec=1000, workers=1,
                           retry=RetryPolicy(max_attempts=3), headers=MappingProxyType({}))
    sender = ReliableSender(config, spool=tmp_path / "spool.db")
    try:
        sender.submit(OutgoingEvent("e0\r\nX-Injected: yes", "task", "RUNNING", "STARTING", b"{}"))
        sender.submit(OutgoingEvent("e1", "task", "RUNNING", "STARTING", b"{}"))
        assert sender.drain(10)
        record = sender.spool.record("e0\r\nX-Injected: yes")
        assert sender.close(5)
    finally:
        server.close()
    assert record is not None and record.state == "given_up"
    assert record.last_error == "the request could not be sent: ValueError (not retried)"
    assert len(server.requests) == 1 and b"X-Injected" not in server.requests[0]
    assert b"\r\nwebhook-id: e1\r\n" in server.requests[0]
