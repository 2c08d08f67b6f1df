"""One Aurora POST on the wire, as a :class:`~.aurora_clients.Behaviour` says.

Built on ``http.client`` rather than requests/urllib3: those add headers,
order them their own way, retry or reuse connections by their own rules, and
have no connect-only timeout, no whole-request deadline and no way to keep a
connection leased forever. Here every header is written in the order given,
the socket's timeout is set separately for the connect and for reads, a timer
shuts the socket at the whole-request deadline, and the small
:class:`ConnectionPool` can leak connections the way 0.16 did.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from .aurora_clients import Behaviour, redirect_headers

MAX_REDIRECTS = 20  # the JDK's default http.maxRedirects
_MAX_DISCARD_BYTES = 64 * 1024  # an answer's body is read only to reuse the connection
Key = tuple[str, str, int]  # scheme, host, port


@dataclass(frozen=True)
class Outcome:
    """How one event's POST ended. ``status`` is None when no HTTP answer came (``error`` says why)."""

    status: int | None
    error: str | None = None
    sends: int = 0  # times the request was written (resends and followed redirects included)
    connects: int = 0  # connect attempts
    redirects: tuple[str, ...] = ()  # URLs followed
    leaked: bool = False  # the connection was left leased (0.16)

    def describe(self) -> str:
        return f"HTTP {self.status}" if self.status is not None else f"{self.error}"


class _NoAnswer(Exception):
    """The request failed before an answer; ``resend`` when the server closed without answering."""

    def __init__(self, reason: str, resend: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.resend = resend


class ConnectionPool:
    """Idle keep-alive connections per host, at most ``per_host`` leased and idle together."""

    def __init__(self, per_host: int | None) -> None:
        self.per_host = per_host
        self._lock = threading.Condition()
        self._idle: dict[Key, list[http.client.HTTPConnection]] = {}
        self._busy: dict[Key, int] = {}
        self._leaked: list[http.client.HTTPConnection] = []  # kept referenced: open, as in the JVM

    def acquire(self, key: Key, wait: float | None) -> http.client.HTTPConnection | None:
        """An idle connection, or None to open one; waits ``wait`` s while the host has none free."""
        deadline = None if wait is None else time.monotonic() + wait
        with self._lock:
            while True:
                idle = self._idle.get(key, [])
                while idle:
                    conn = idle.pop()
                    if _still_open(conn):
                        self._busy[key] = self._busy.get(key, 0) + 1
                        return conn
                    conn.close()
                if self.per_host is None or self._busy.get(key, 0) < self.per_host:
                    self._busy[key] = self._busy.get(key, 0) + 1
                    return None
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise _NoAnswer("no pooled connection free within timeoutMsec (every one leased)")
                self._lock.wait(left)

    def release(self, key: Key, conn: http.client.HTTPConnection | None, reusable: bool) -> None:
        with self._lock:
            self._busy[key] -= 1
            if conn is not None and reusable:
                self._idle.setdefault(key, []).append(conn)
            elif conn is not None:
                conn.close()
            self._lock.notify_all()

    def leak(self, conn: http.client.HTTPConnection) -> None:
        """Keep ``conn`` leased for good: its slot is never given back."""
        with self._lock:
            self._leaked.append(conn)

    @property
    def leaked(self) -> int:
        with self._lock:
            return len(self._leaked)

    def close(self) -> None:
        with self._lock:
            for conns in self._idle.values():
                for conn in conns:
                    conn.close()
            for conn in self._leaked:
                conn.close()
            self._idle.clear()
            self._leaked.clear()


def _still_open(conn: http.client.HTTPConnection) -> bool:
    """An idle connection the server has not closed (nothing, not even EOF, is waiting to be read)."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


@dataclass
class Exchange:
    """One event's request: where, what, and the client behaviour and timeout to send it with."""

    behaviour: Behaviour
    pool: ConnectionPool
    url: str
    headers: list[tuple[str, str]]
    body: bytes
    timeout_msec: int
    java_version: str

    def run(self) -> Outcome:
        if self.timeout_msec < 0 and self.behaviour.group == "A":
            return Outcome(None, "negative timeoutMsec (HttpURLConnection refuses it)")
        limit = self._limit()
        if limit == 0.0 and "request" in self.behaviour.bounds:
            return Outcome(None, "request timed out (timeoutMsec 0)")
        deadline = None
        if "request" in self.behaviour.bounds and limit is not None:
            deadline = time.monotonic() + limit
        state = _Tally()
        method, url, headers, body = "POST", self.url, self.headers, self.body
        try:
            while True:
                status, location = self._send_with_resends(method, url, headers, body, deadline, state)
                if (status in self.behaviour.redirect_statuses and location
                        and len(state.redirects) < MAX_REDIRECTS):
                    target = urljoin(url, location)
                    if urlsplit(target).scheme.lower() != urlsplit(url).scheme.lower():
                        break  # the JDK follows no redirect to another protocol
                    url, method, body = target, "GET", b""
                    headers = redirect_headers(self.behaviour, host_header(target), self.java_version)
                    state.redirects.append(target)
                    continue
                return Outcome(status, sends=state.sends, connects=state.connects,
                               redirects=tuple(state.redirects), leaked=state.leaked)
        except _NoAnswer as err:
            return Outcome(None, err.reason, sends=state.sends, connects=state.connects,
                           redirects=tuple(state.redirects))
        return Outcome(status, sends=state.sends, connects=state.connects, redirects=tuple(state.redirects))

    def _limit(self) -> float | None:
        """``timeoutMsec`` in seconds, None for no limit."""
        if self.timeout_msec <= 0 and self.behaviour.zero_timeout == "unbounded":
            return None
        return max(0, self.timeout_msec) / 1000.0

    def _send_with_resends(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes,
                           deadline: float | None, state: _Tally) -> tuple[int, str | None]:
        for _ in range(self.behaviour.sends_on_close - 1):
            try:
                return self._send_once(method, url, headers, body, deadline, state)
            except _NoAnswer as err:
                if not err.resend:
                    raise
        return self._send_once(method, url, headers, body, deadline, state)  # the last: its failure is the answer

    def _send_once(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes,
                   deadline: float | None, state: _Tally) -> tuple[int, str | None]:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise _NoAnswer(f"cannot POST to a {scheme or 'relative'} URL")
        key = (scheme, parts.hostname, parts.port or (443 if scheme == "https" else 80))
        limit = self._limit()
        bounds = self.behaviour.bounds
        pool = self.pool if self.behaviour.reuse_connections else ConnectionPool(None)
        conn = pool.acquire(key, limit if "pool" in bounds else None)
        reusable = leaked = False
        try:
            read_timeout = limit if "read" in bounds else None
            if conn is None:
                conn = self._connect(key, limit if "connect" in bounds else None, read_timeout, state)
            with _deadline(conn, deadline) as expired:
                try:
                    conn.sock.settimeout(sooner(read_timeout, deadline, time.monotonic()))
                    state.sends += 1
                    conn.putrequest(method, (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                                    skip_host=True, skip_accept_encoding=True)
                    for name, value in headers:
                        conn.putheader(name, value)
                    conn.endheaders(body if method == "POST" else None)
                    response = conn.getresponse()
                    reusable, leaked = self._finish_answer(response)
                    if expired.is_set():  # the deadline cut the answer short
                        reusable = leaked = False
                        raise _NoAnswer("request timed out (timeoutMsec bounds the whole request)")
                    if leaked:
                        pool.leak(conn)  # stays leased: its pool slot is never released
                        state.leaked = True
                    return response.status, response.getheader("Location")
                except _NoAnswer:
                    raise
                except (http.client.HTTPException, OSError) as exc:
                    if expired.is_set():
                        raise _NoAnswer("request timed out (timeoutMsec bounds the whole request)") from None
                    raise _classify(exc) from None
        finally:
            if not leaked:
                pool.release(key, conn, reusable)

    def _connect(self, key: Key, timeout: float | None, handshake_timeout: float | None,
                 state: _Tally) -> http.client.HTTPConnection:
        """A new connection; the TLS handshake is reads, so it is bounded as reads are."""
        scheme, host, port = key
        last = "connect failed"
        for _ in range(self.behaviour.connect_attempts):
            state.connects += 1
            try:
                sock = socket.create_connection((host, port), timeout)
                break
            except TimeoutError:
                last = "connect timed out"
            except OSError as exc:
                last = f"connect failed ({type(exc).__name__})"
        else:
            raise _NoAnswer(last)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if scheme == "https":
            sock.settimeout(handshake_timeout)
            try:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
            except TimeoutError:
                sock.close()
                raise _NoAnswer("TLS handshake timed out") from None
            except OSError as exc:  # ssl.SSLError included
                sock.close()
                raise _NoAnswer(f"TLS failed ({type(exc).__name__})") from None
        conn = http.client.HTTPConnection(host, port)
        conn.auto_open = 0  # never reconnect behind the client's back
        conn.sock = sock
        return conn

    def _finish_answer(self, response: http.client.HTTPResponse) -> tuple[bool, bool]:
        """Read (or not) the answer's body as the client did; (connection reusable, leaked)."""
        has_body = response.length != 0  # http.client sets 0 for 204, 304 and HEAD as well
        mode = self.behaviour.answer_body
        if mode == "leak" and has_body:
            return False, True
        if not self.behaviour.reuse_connections:  # A ("close"): the body is never read, the connection closed
            return False, False
        received = 0
        while received <= _MAX_DISCARD_BYTES:
            chunk = response.read(8192)
            if not chunk:
                return not response.will_close, False
            received += len(chunk)
        return False, False  # a large answer is cut off: that connection is dropped


@dataclass
class _Tally:
    sends: int = 0
    connects: int = 0
    leaked: bool = False

    def __post_init__(self) -> None:
        self.redirects: list[str] = []


def _classify(exc: BaseException) -> _NoAnswer:
    if isinstance(exc, TimeoutError):
        return _NoAnswer("read timed out")
    if isinstance(exc, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
        return _NoAnswer("connection closed without an answer", resend=True)
    if isinstance(exc, http.client.IncompleteRead):
        return _NoAnswer("answer cut off")
    return _NoAnswer(f"no answer ({type(exc).__name__})")


def sooner(timeout: float | None, deadline: float | None, now: float) -> float | None:
    """A socket timeout: ``timeout`` or the time left to ``deadline``, whichever ends first (None: no limit).

    At least a millisecond: a deadline already past still gives the read a moment, and the deadline's
    timer then cuts it (0 would make the socket non-blocking)."""
    if deadline is None:
        return timeout
    left = max(0.001, deadline - now)
    return left if timeout is None else min(timeout, left)


@contextmanager
def _deadline(conn: http.client.HTTPConnection, deadline: float | None) -> Iterator[threading.Event]:
    """Shut the socket down when ``deadline`` passes, so even a trickled answer ends there."""
    expired = threading.Event()
    if deadline is None:
        yield expired
        return

    def expire() -> None:
        expired.set()
        try:
            if conn.sock is not None:
                conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), expire)
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        timer.cancel()


def host_header(url: str) -> str:
    """``host[:port]`` as the URL gives it (the port only when written)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port is not None else host
