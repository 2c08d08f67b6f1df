"""The direct poster reads with the read timeout, not the (shorter) connect timeout it connected with:
an answer slower than the connect timeout but well within the read timeout is a 200 (raw server on 127.0.0.1)."""

from __future__ import annotations

import socket
import threading

from aurorakit.runtime.webhook.direct_post import DirectPoster

CONNECT, READ = 0.2, 10.0
DELAY = 0.8  # four connect timeouts; a tenth of the read timeout


def slow_server(listener: socket.socket, answers: int) -> None:
    conn, _ = listener.accept()
    with conn:
        for _ in range(answers):
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            while len(body) < length:
                body += conn.recv(65536)
            threading.Event().wait(DELAY)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def test_a_slow_answer_within_the_read_timeout_is_read() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = threading.Thread(target=slow_server, args=(listener, 2), daemon=True)
    server.start()
    poster = DirectPoster("http", "127.0.0.1", port, "/hook", [])
    try:
        first = poster.post(b"{}", {}, (CONNECT, READ))
        second = poster.post(b"{}", {}, (CONNECT, READ))  # the same connection, its timeout already set
        assert (first.status, first.error, second.status) == (200, None, 200)
    finally:
        poster.close()
        listener.close()
    server.join(5)
