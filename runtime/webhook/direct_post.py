"""The reliable sender's hot path: POSTs over one keep-alive connection per worker, written by hand.

requests costs about four times the CPU of the request itself (preparing,
merging and hooking every request), and http.client about ten times what a
hand-written request costs (its answer's head goes through the email
package). The request's fixed parts are the same for every event, so
requests prepares them once here (URL, auth from the URL's userinfo, the
configured headers) and each event is then one ``sendall`` of those bytes,
the per-event headers and the body; :mod:`.http_answer` reads the answer.

It is used only with the session the sender makes itself, which adds
nothing of its own (no proxies, no netrc, no cookies): a session given by
the caller may carry proxies, auth or adapters, so it is used as it is
(see :func:`http_attempt.post_once`).
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import struct
import threading
from collections.abc import Mapping

import requests
import requests.utils
from urllib3.util import parse_url
from urllib3.util.wait import wait_for_read

from .attempt_deadline import DEADLINES, sending_on
from .http_answer import read_answer
from .http_attempt import AttemptResult

_PORTS = {"http": 80, "https": 443}
# What must never reach the wire inside a header value or the path: it would end the line (or the head).
_LINE_BREAK = re.compile(rb"[\r\n\0]")
_UNSAFE_PATH = re.compile(rb"[\x00-\x20\x7f]")


class _Connection:
    """One worker's keep-alive connection; ``sock`` is what the attempt watchdog shuts down."""

    __slots__ = ("read_timeout", "sock")

    def __init__(self) -> None:
        self.sock: socket.socket | None = None
        self.read_timeout: float | None = None

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()


class DirectPoster:
    """POSTs to one URL; each thread gets its own connection, reused while the server keeps it open."""

    def __init__(self, scheme: str, host: str, port: int, path: str, fixed: list[tuple[bytes, bytes]]) -> None:
        self._host, self._port = host, port
        self._head = b"".join([b"POST ", path.encode("ascii"), b" HTTP/1.1\r\nHost: ", _host_header(scheme, host, port),
                               b"\r\n", *(name + b": " + value + b"\r\n" for name, value in fixed)])
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[_Connection] = []
        self._tls = ssl.create_default_context(cafile=requests.utils.DEFAULT_CA_BUNDLE_PATH) if scheme == "https" else None

    @classmethod
    def prepare(cls, session: requests.Session, url: str, headers: Mapping[str, str],
                per_event: tuple[str, ...]) -> DirectPoster | None:
        """A poster for ``url`` with ``headers`` on every request, or None where requests must send.

        ``per_event`` names the headers each post adds (they replace fixed
        ones of the same name, as requests would). None when requests cannot
        prepare the request (its error is then reported per attempt, as
        before), a proxy applies, or a header cannot be written as latin-1.
        """
        try:
            prepared = session.prepare_request(requests.Request("POST", url, headers=dict(headers), data=b""))
            parts = parse_url(prepared.url or "")
        except Exception:  # noqa: BLE001  requests reports it on every attempt
            return None
        if parts.scheme not in _PORTS or not parts.host or session.proxies or session.trust_env:
            return None
        replaced = {name.lower() for name in per_event} | {"content-length"}
        try:
            fixed = [(name.encode("latin-1"), value.encode("latin-1"))
                     for name, value in prepared.headers.items()
                     if name.lower() not in replaced and not value.startswith("@@@")]  # urllib3's SKIP_HEADER
            path = (prepared.path_url or "/").encode("ascii")
            host = parts.host.strip("[]")  # an IPv6 literal: bracketed again in Host
            _host_header(parts.scheme, host, parts.port or _PORTS[parts.scheme])
        except UnicodeError:
            return None  # requests raises it on each attempt, naming the encoding
        if _UNSAFE_PATH.search(path) or any(_LINE_BREAK.search(name + value) for name, value in fixed):
            return None  # requests refuses it on each attempt
        return cls(parts.scheme, host, parts.port or _PORTS[parts.scheme], path.decode("ascii"), fixed)

    def post(self, body: bytes, headers: Mapping[str, str], timeout: tuple[float, float]) -> AttemptResult:
        """POST ``body``; network trouble becomes the result. A header value that cannot be written
        (not latin-1, or holding a line break) raises ValueError before anything is sent."""
        request = self._request(body, headers)
        connection = self._connection()
        try:
            return self._post(connection, request, timeout)
        except BaseException:
            connection.close()
            raise

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    # -- internals -------------------------------------------------------------

    def _request(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        parts = [self._head]
        for name, text in headers.items():
            value = text.encode("latin-1")
            if _LINE_BREAK.search(value):
                raise ValueError(f"the {name} header's value holds a line break")
            parts += (name.encode("latin-1"), b": ", value, b"\r\n")
        parts += (b"Content-Length: ", str(len(body)).encode("ascii"), b"\r\n\r\n", body)
        return b"".join(parts)

    def _connection(self) -> _Connection:
        connection: _Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = _Connection()
            with self._lock:
                self._connections.append(connection)
        elif connection.sock is not None and wait_for_read(connection.sock, timeout=0.0):
            connection.close()  # the server closed it while idle (or sent something unasked): a fresh one
        return connection

    def _connect(self, timeout: float) -> socket.socket:
        sock = socket.create_connection((self._host, self._port), timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self._host)
        except BaseException:
            sock.close()
            raise
        return sock

    def _post(self, connection: _Connection, request: bytes, timeout: tuple[float, float]) -> AttemptResult:
        step = "ConnectTimeout"
        ident = threading.get_ident()
        try:
            if connection.sock is None:
                connection.sock, connection.read_timeout = self._connect(timeout[0]), None
            sock = connection.sock
            if connection.read_timeout != timeout[1]:  # a system call: only on a change
                _set_read_timeout(sock, timeout[1])
                connection.read_timeout = timeout[1]
            step = "ReadTimeout"
            sending_on(connection)
            sock.sendall(request)
            answer = read_answer(sock, timeout[1], lambda: DEADLINES.answered(ident))
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            return AttemptResult(None, _describe(exc, step))
        if not answer.reusable:
            connection.close()
        return AttemptResult(answer.status, retry_after=answer.retry_after)


def _set_read_timeout(sock: socket.socket, seconds: float) -> None:
    """Bound each send and receive on ``sock`` by ``seconds``.

    On a plain socket the kernel's own timeouts do it (``SO_RCVTIMEO``,
    ``SO_SNDTIMEO``; one that expires raises BlockingIOError): with Python's
    timeout every send and receive is a ``poll()`` first, and each system call
    hands the GIL to another thread and back. TLS keeps Python's timeout (its
    reads report an expired kernel timeout as an SSL error).
    """
    if isinstance(sock, ssl.SSLSocket):
        sock.settimeout(seconds)
        return
    whole = int(seconds)
    micro = max(int((seconds - whole) * 1_000_000), 0 if whole else 1)  # 0 s would mean no timeout at all
    value = struct.pack("ll", whole, micro)  # struct timeval
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
    sock.settimeout(None)


def _host_header(scheme: str, host: str, port: int) -> bytes:
    """``Host`` as http.client writes it: IPv6 in brackets, the port only when it is not the scheme's."""
    try:
        name = host.encode("ascii")
    except UnicodeEncodeError:
        name = host.encode("idna")
    if b":" in name:
        name = b"[" + name + b"]"
    return name if port == _PORTS[scheme] else name + b":" + str(port).encode("ascii")


def _describe(exc: BaseException, step: str) -> str:
    """Named like requests' exceptions, for the same troubles: ``ConnectionError (ConnectionRefusedError)``."""
    if isinstance(exc, ssl.SSLError):
        kind = "SSLError"
    elif isinstance(exc, socket.timeout):
        kind = step
    elif isinstance(exc, BlockingIOError):  # a kernel timeout (see _set_read_timeout): named as Python's
        return f"{step} ({socket.timeout.__name__})"
    else:
        kind = "ConnectionError"
    return f"{kind} ({type(exc).__name__})"
