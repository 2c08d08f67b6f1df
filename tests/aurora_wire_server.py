"""A raw-socket HTTP/1.1 server on 127.0.0.1 that records requests exactly as they arrived.

For the "aurora" delivery tests: header lines in wire order and spelling,
body bytes, which connection each request came on, and how many were open at
once. Per arrival it answers as scripted, or closes without answering,
never answers, or trickles an answer byte by byte. (No tests here.)
"""

from __future__ import annotations

import functools
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Request:
    number: int  # 1-based order of arrival
    connection: int  # 1-based order of the connection it came on
    method: str
    path: str
    headers: list[tuple[str, str]]  # as on the wire, in order
    body: bytes

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def names(self) -> list[str]:
        return [key for key, _ in self.headers]


@dataclass(frozen=True)
class Reply:
    """How to answer one request. ``action``: answer, close, hang or trickle."""

    action: str = "answer"
    status: int = 200
    body: bytes = b"ok"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # before answering
    every: float = 0.0  # trickle: seconds between bytes


Script = Callable[[int], Reply]  # arrival number -> reply


@dataclass
class WireServer:
    script: Script = field(default=lambda number: Reply())
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._connections = 0
        self._open_requests = 0
        self.most_at_once = 0  # requests received and not yet answered, at the peak
        self.arrived = threading.Condition(self._lock)
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def __enter__(self) -> WireServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._accepter.join(5)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)

    @property
    def connections(self) -> int:
        return self._connections

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections += 1
                number = self._connections
            thread = threading.Thread(target=self._serve, args=(conn, number), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket, connection: int) -> None:
        conn.settimeout(0.05)
        buffer = b""
        try:
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buffer:
                    if self._stop.is_set():
                        return
                    chunk = self._recv(conn)
                    if chunk is None:
                        continue
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = [(k, v.strip()) for k, _, v in (line.partition(":") for line in lines[1:])]
                length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
                while len(buffer) < length:
                    if self._stop.is_set():
                        return
                    chunk = self._recv(conn)
                    if chunk == b"":
                        return
                    buffer += chunk or b""
                body, buffer = buffer[:length], buffer[length:]
                with self._lock:
                    request = Request(len(self.requests) + 1, connection, method, path, headers, body)
                    self.requests.append(request)
                    self._open_requests += 1
                    self.most_at_once = max(self.most_at_once, self._open_requests)
                    self.arrived.notify_all()
                # Counted as answered before the answer's last byte: the client may send the next request at once.
                answering = functools.partial(self._answered, threading.Event())
                try:
                    if not self._reply(conn, self.script(request.number), answering):
                        return
                finally:
                    answering()
        except OSError:
            return
        finally:
            conn.close()

    def _answered(self, once: threading.Event) -> None:
        if not once.is_set():
            once.set()
            with self._lock:
                self._open_requests -= 1

    def _recv(self, conn: socket.socket) -> bytes | None:
        try:
            return conn.recv(65536)
        except TimeoutError:
            return None

    def _sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def _reply(self, conn: socket.socket, reply: Reply, answering: Callable[[], None]) -> bool:
        """Answer, calling ``answering`` just before its last byte goes out; False: close the connection."""
        if reply.delay:
            self._sleep(reply.delay)
        if reply.action == "close":
            return False
        if reply.action == "hang":
            self._stop.wait()
            return False
        head = f"HTTP/1.1 {reply.status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in reply.headers)
        head += f"Content-Length: {len(reply.body)}\r\n\r\n"
        if reply.action == "trickle":
            if not reply.body:
                answering()
            conn.sendall(head.encode("latin-1"))
            for index, byte in enumerate(reply.body):
                if self._stop.is_set():
                    return False
                self._sleep(reply.every)
                if index == len(reply.body) - 1:
                    answering()
                conn.sendall(bytes([byte]))
            return True
        answering()
        conn.sendall(head.encode("latin-1") + reply.body)
        return True

