"""Real servers on 127.0.0.1 for the webhook tests, with scripted misbehaviour.

(No tests here; pytest imports it like the test modules, which import it by name.)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aurorakit.runtime.webhook.outgoing import OutgoingEvent


@dataclass
class Arrival:
    """One request as the server saw it when it arrived."""

    number: int  # 1-based order of arrival
    at: float
    path: str
    header_names: list[str]  # as spelled on the wire
    headers: dict[str, str]  # lower-cased names
    body: bytes | None  # None when the server dropped the request before the body

    @property
    def webhook_id(self) -> str | None:
        return self.headers.get("webhook-id")


@dataclass(frozen=True)
class Answer:
    status: int = 200
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()


Behaviour = Callable[[int], Answer]  # arrival number -> how to answer


def always_ok(number: int) -> Answer:
    return Answer()


class RecordingServer:
    """A ThreadingHTTPServer that records every POST and answers per ``behaviour``."""

    def __init__(self, behaviour: Behaviour = always_ok, port: int = 0) -> None:
        self.behaviour = behaviour
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                answer = recorder._record(self, body)
                if answer.delay:
                    time.sleep(answer.delay)
                payload = b"" if answer.status in (204, 304) else b'{"ok": true}'
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def _record(self, handler: BaseHTTPRequestHandler, body: bytes | None) -> Answer:
        with self._lock:
            number = len(self.arrivals) + 1
            self.arrivals.append(Arrival(
                number=number, at=time.time(), path=handler.path,
                header_names=list(handler.headers.keys()),
                headers={k.lower(): v for k, v in handler.headers.items()}, body=body))
        return self.behaviour(number)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> RecordingServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> RecordingServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class DroppingServer:
    """A raw-socket HTTP server that cuts the first ``drops`` requests off mid-request.

    A dropped request is recorded after its headers arrived; the connection
    is then reset without an answer. Later requests get ``200``.
    """

    def __init__(self, drops: int) -> None:
        self.drops = drops
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/hook"

    def start(self) -> DroppingServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(2)
        self._listener.close()

    def __enter__(self) -> DroppingServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve_connection, args=(conn,), daemon=True).start()

    def _serve_connection(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                names = []
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    names.append(name)
                    headers[name.strip().lower()] = value.strip()
                with self._lock:
                    drop = len(self.arrivals) < self.drops
                    number = len(self.arrivals) + 1
                    self.arrivals.append(Arrival(number, time.time(), lines[0].split(" ")[1], names,
                                                 headers, None))
                if drop:
                    # Reset (not a clean FIN) so the client sees a broken connection.
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    return
                length = int(headers.get("content-length", "0"))
                while len(buffer) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                body, buffer = buffer[:length], buffer[length:]
                with self._lock:
                    self.arrivals[number - 1].body = body
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            return
        finally:
            conn.close()


def unused_port() -> int:
    """A port that was free a moment ago (for a server started later)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def make_events(tasks: int, per_task: int, prefix: str = "evt") -> list[OutgoingEvent]:
    """Events interleaved across tasks; ids and bodies are deterministic."""
    events = []
    for n in range(per_task):
        for t in range(tasks):
            task_id = f"task-{t}"
            body = json.dumps({"task": task_id, "n": n}, separators=(",", ":")).encode()
            events.append(OutgoingEvent(f"{prefix}-{t}-{n}", task_id, "RUNNING", "STARTING", body))
    return events


def assert_complete_and_ordered(arrivals: list[Arrival], events: list[OutgoingEvent]) -> int:
    """Every event arrived, each task's arrivals never go back in its order,
    a duplicate always repeats the same ``webhook-id`` with the same body.
    Returns how many arrivals were duplicates."""
    by_id = {event.event_id: event for event in events}
    position: dict[str, int] = {}
    seen_per_task: dict[str, int] = {}
    for event in events:
        position[event.event_id] = seen_per_task.get(event.task_id, 0)
        seen_per_task[event.task_id] = position[event.event_id] + 1
    ids_per_body: dict[bytes, set[str | None]] = {}
    for arrival in arrivals:
        assert arrival.webhook_id in by_id, f"unexpected arrival {arrival}"
        if arrival.body is not None:
            assert arrival.body == by_id[arrival.webhook_id].body
            ids_per_body.setdefault(arrival.body, set()).add(arrival.webhook_id)
    assert all(len(ids) == 1 for ids in ids_per_body.values()), "a body arrived under two ids"
    arrived = {a.webhook_id for a in arrivals if a.body is not None}
    missing = sorted(set(by_id) - arrived)
    assert not missing, f"{len(missing)} event(s) never arrived: {missing[:5]}"
    for task in {e.task_id for e in events}:
        order = [position[a.webhook_id] for a in arrivals  # type: ignore[index]
                 if by_id[a.webhook_id].task_id == task]  # type: ignore[index]
        assert order == sorted(order), f"{task} out of order: {order}"
    return len(arrivals) - len(events)


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


@contextmanager
def small_filesystem(folder: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of ``size_kb`` KiB mounted on ``folder`` (root only; skips the test otherwise)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (the simulated full-disk tests cover this case)")
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); "
                    f"the simulated full-disk tests cover this case")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)
