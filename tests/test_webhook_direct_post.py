"""The direct path's connection handling, seen from the server: how many connections a run takes, which
answers leave a connection reusable, and how failures are named (as requests names them).

A raw-socket server on 127.0.0.1 answers each request with scripted bytes and counts connections.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType

from aurorakit.runtime.webhook.config import RetryPolicy, WebhookConfig
from aurorakit.runtime.webhook.http_attempt import MAX_RESPONSE_BYTES
from aurorakit.runtime.webhook.outgoing import OutgoingEvent
from aurorakit.runtime.webhook.sender import ReliableSender

OK_EMPTY = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
OK_BODY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class ScriptedServer:
    """Answers request n (1-based, over all connections) with ``answer(n)``: bytes, or a callable writing them."""

    def __init__(self, answer: Callable[[int], bytes | Callable[[socket.socket], None]]) -> None:
        self.answer = answer
        self.connections = 0
        self.requests = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/hook"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        pending = b""
        with connection:
            try:
                while not self._stop.is_set():
                    while b"\r\n\r\n" not in pending:
                        data = connection.recv(65536)
                        if not data:
                            return
                        pending += data
                    head, pending = pending.split(b"\r\n\r\n", 1)
                    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length:"))
                    while len(pending) < length:
                        pending += connection.recv(65536)
                    pending = pending[length:]
                    with self._lock:
                        self.requests += 1
                        number = self.requests
                    reply = self.answer(number)
                    if callable(reply):
                        reply(connection)
                    else:
                        connection.sendall(reply)
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self._listener.close()


@contextmanager
def scripted(answer: Callable[[int], bytes | Callable[[socket.socket], None]]) -> Iterator[ScriptedServer]:
    server = ScriptedServer(answer)
    try:
        yield server
    finally:
        server.close()


def config_for(url: str, timeout_msec: int = 2000, max_attempts: int = 100) -> WebhookConfig:
    retry = RetryPolicy(max_attempts=max_attempts, initial_backoff_msec=5, max_backoff_msec=20, deadline_sec=30.0)
    return WebhookConfig(target_url=url, timeout_msec=timeout_msec, workers=1, retry=retry,
                         headers=MappingProxyType({"Content-Type": "application/json"}))


def events(n: int) -> list[OutgoingEvent]:  # one task: sent one after another on the one worker
    return [OutgoingEvent(f"e{i}", "task", "RUNNING", "STARTING", b'{"n": %d}' % i) for i in range(n)]


def send_all(config: WebhookConfig, tmp_path: Path, count: int) -> tuple[dict[str, int], str | None]:
    """The sender's counters and the first event's last error, after sending ``count`` events."""
    sender = ReliableSender(config, spool=tmp_path / "spool.db")
    assert sender._attempts.direct is not None  # the direct path, not requests
    for event in events(count):
        assert sender.submit(event)
    assert sender.drain(15), sender[0]
    record = sender.spool.record("e0")
    assert sender.close(5)
    assert record is not None
    return sender.stats(), record.last_error


def test_one_keep_alive_connection_carries_every_event(tmp_path: Path) -> None:
    for number, answer in enumerate((OK_EMPTY, OK_BODY)):
        (tmp_path / str(number)).mkdir()
        with scripted(lambda n, answer=answer: answer) as server:
            stats = send_all(config_for(server.url), tmp_path / str(number), 5)[0]
        assert (stats["delivered"], stats["webhooks_errors"], server.requests, server.connections) == (5, 0, 5, 1)


def test_an_answer_too_large_to_read_gives_up_its_connection_and_the_next_event_takes_a_new_one(
        tmp_path: Path) -> None:
    big = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (4 * MAX_RESPONSE_BYTES) + b"x" * (4 * MAX_RESPONSE_BYTES)
    with scripted(lambda n: big if n == 1 else OK_BODY) as server:
        stats = send_all(config_for(server.url), tmp_path, 3)[0]
    # Not reused with a body still unread: no error, no retry, one more connection.
    assert (stats["delivered"], stats["webhooks_errors"], stats["retried"]) == (3, 0, 0)
    assert (server.requests, server.connections) == (3, 2)


def test_an_answer_whose_body_outlasts_the_timeout_gives_up_its_connection(tmp_path: Path) -> None:
    def slow_body(connection: socket.socket) -> None:  # head at once, then a byte every 50 ms of 40
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n")
        for _ in range(40):
            time.sleep(0.05)
            connection.sendall(b"x")

    with scripted(lambda n: slow_body if n == 1 else OK_BODY) as server:
        began = time.monotonic()
        stats = send_all(config_for(server.url, timeout_msec=300), tmp_path, 2)[0]
        took = time.monotonic() - began
    assert (stats["delivered"], stats["webhooks_errors"], stats["retried"]) == (2, 0, 0)
    assert (server.requests, server.connections) == (2, 2) and took < 1.8, took


def test_a_server_that_never_answers_is_a_read_timeout(tmp_path: Path) -> None:
    with scripted(lambda n: b"") as server:  # reads the request, says nothing
        _, last_error = send_all(config_for(server.url, timeout_msec=200, max_attempts=1), tmp_path, 1)
    assert last_error == "ReadTimeout (TimeoutError) after 1 attempt(s)"


def test_a_server_that_stops_reading_the_request_is_a_read_timeout(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))  # accepts, then never reads: the send stalls
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    sender = ReliableSender(config_for(url, timeout_msec=200, max_attempts=1), spool=tmp_path / "spool.db")
    try:
        assert sender.submit(OutgoingEvent("e0", "task", "RUNNING", "STARTING", b"x" * (8 << 20)))
        assert sender.drain(10)
        record = sender.spool.record("e0")
    finally:
        sender.close(5)
        listener.close()
    assert record is not None and record.last_error == "ReadTimeout (TimeoutError) after 1 attempt(s)"


def test_a_connect_that_never_completes_is_a_connect_timeout(tmp_path: Path) -> None:
    listener = socket.socket()  # its backlog full: SYNs to it are dropped, so connecting times out
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    held = socket.create_connection(listener.getsockname(), timeout=1)
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
        _, last_error = send_all(config_for(url, timeout_msec=200, max_attempts=1), tmp_path, 1)
    finally:
        held.close()
        listener.close()
    assert last_error == "ConnectTimeout (TimeoutError) after 1 attempt(s)"


def test_an_https_target_is_written_directly_and_speaks_tls(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    url = f"https://127.0.0.1:{listener.getsockname()[1]}/hook"
    sender = ReliableSender(config_for(url, timeout_msec=500, max_attempts=1), spool=tmp_path / "spool.db")
    try:
        assert sender._attempts.direct is not None  # https is the direct path too, not left to requests
        assert sender.submit(events(1)[0])
        connection, _ = listener.accept()
        with connection:
            connection.settimeout(5)
            first = connection.recv(1)
        assert first == b"\x16"  # a TLS handshake record, not "POST" in the clear
        assert sender.drain(10)
    finally:
        sender.close(5)
        listener.close()
