"""The reliable sender's hot path: POSTs over one keep-alive ``http.client`` connection per worker.

requests costs about four times the CPU of the request itself (preparing,
merging and hooking every request). The request's fixed parts are the same
for every event, so requests prepares them once here (URL, auth from the
URL's userinfo, the configured headers) and each event is then written
with ``http.client``; only the per-event headers and the body change.

It is used only with the session the sender makes itself, which adds
nothing of its own (no proxies, no netrc, no cookies): a session given by
the caller may carry proxies, auth or adapters, so it is used as it is
(see :func:`http_attempt.post_once`).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Mapping

import requests
import requests.utils
from urllib3.util import parse_url
from urllib3.util.wait import wait_for_read

from .attempt_deadline import DEADLINES, sending_on
from .http_attempt import MAX_RESPONSE_BYTES, AttemptResult

_PORTS = {"http": 80, "https": 443}
_CORK: int | None = getattr(socket, "TCP_CORK", None)


class DirectPoster:
    """POSTs to one URL; each thread gets its own connection, reused while the server keeps it open."""

    def __init__(self, scheme: str, host: str, port: int, path: str, fixed: list[tuple[bytes, bytes]]) -> None:
        self._scheme, self._host, self._port, self._path = scheme, host, port, path
        self._fixed = fixed
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[http.client.HTTPConnection] = []
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
        except UnicodeEncodeError:
            return None  # requests raises it on each attempt, naming the encoding
        host = parts.host.strip("[]")  # an IPv6 literal; http.client adds the brackets back in Host
        return cls(parts.scheme, host, parts.port or _PORTS[parts.scheme], prepared.path_url, fixed)

    def post(self, body: bytes, headers: Mapping[str, str], timeout: tuple[float, float]) -> AttemptResult:
        """POST ``body``; network trouble becomes the result. Other errors (a header that cannot be
        encoded) raise, after the connection is closed."""
        connection = self._connection()
        try:
            return self._post(connection, body, headers, timeout)
        except BaseException:
            connection.close()
            raise

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    # -- internals -------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            if self._tls is not None:
                connection = http.client.HTTPSConnection(self._host, self._port, context=self._tls)
            else:
                connection = http.client.HTTPConnection(self._host, self._port)
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        elif connection.sock is not None and wait_for_read(connection.sock, timeout=0.0):
            connection.close()  # the server closed it while idle (or sent something unasked): a fresh one
        return connection

    def _post(self, connection: http.client.HTTPConnection, body: bytes, headers: Mapping[str, str],
              timeout: tuple[float, float]) -> AttemptResult:
        step = "ConnectTimeout"
        try:
            if connection.sock is None:
                connection.timeout = timeout[0]
                connection.connect()
            assert connection.sock is not None
            connection.sock.settimeout(timeout[1])
            step = "ReadTimeout"
            sending_on(connection)
            connection.putrequest("POST", self._path, skip_accept_encoding=True)
            for name, value in self._fixed:
                connection.putheader(name, value)
            for text, value_text in headers.items():
                connection.putheader(text, value_text)
            connection.putheader("Content-Length", str(len(body)))
            _corked(connection.sock, True)
            connection.endheaders(body)
            _corked(connection.sock, False)
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            return AttemptResult(None, _describe(exc, step))
        DEADLINES.answered(threading.get_ident())
        retry_after = response.getheader("Retry-After")
        if not _discard_body(response, timeout[1]):
            connection.close()  # cut off: the connection cannot carry another request
        return AttemptResult(response.status, retry_after=retry_after)


def _corked(sock: socket.socket | None, on: bool) -> None:
    """Hold the head until the body follows (Linux TCP_CORK), so one segment carries both.

    http.client writes a body over 2000 bytes apart from the head; with
    TCP_NODELAY each write is a segment, and the receiver wakes twice.
    """
    if _CORK is not None and sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, _CORK, 1 if on else 0)


def _discard_body(response: http.client.HTTPResponse, within: float) -> bool:
    """Read a small answer to the end (True: the connection can be reused); a large or slow one is cut off.

    read1 returns what has arrived, so the clock is checked however slowly the bytes come.
    """
    received = 0
    give_up_at = time.monotonic() + within
    try:
        while True:
            chunk = response.read1(8192) if response.length != 0 else b""
            if not chunk:
                response.close()  # the connection's turn for the next request (its socket stays open)
                return not response.will_close
            received += len(chunk)
            if received > MAX_RESPONSE_BYTES or time.monotonic() > give_up_at:
                return False
    except (OSError, http.client.HTTPException):
        return False  # the status line arrived; a broken body does not change the answer


def _describe(exc: BaseException, step: str) -> str:
    """Named like requests' exceptions, for the same troubles: ``ConnectionError (ConnectionRefusedError)``."""
    if isinstance(exc, ssl.SSLError):
        kind = "SSLError"
    elif isinstance(exc, socket.timeout):
        kind = step
    else:
        kind = "ConnectionError"
    return f"{kind} ({type(exc).__name__})"
