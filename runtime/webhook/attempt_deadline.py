"""A bound on the whole of one HTTP attempt, however slowly the server answers.

Socket timeouts bound each read, not the answer: a server that sends its
status line and headers a byte at a time, each within the read timeout, holds
a request (and the worker making it) for as long as it likes. Here a
session's connections note which thread sends on them, and one watchdog
thread shuts down the socket of an attempt whose answer's head (status line
and headers) has not arrived by its deadline: the blocked read then ends at
once, and the attempt is a retryable error.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_WATCH_INTERVAL_SEC = 0.1
# Thread ident -> the connection its current request went out on (set by the connection itself).
_sending_on: dict[int, HTTPConnection] = {}


def sending_on(connection: Any) -> None:
    """Note that this thread's current request goes out on ``connection`` (anything with a ``sock``)."""
    _sending_on[threading.get_ident()] = connection


class _NotedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _sending_on[threading.get_ident()] = self
        super().request(*args, **kwargs)


class _NotedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _sending_on[threading.get_ident()] = self
        super().request(*args, **kwargs)


class _NotedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _NotedHTTPConnection


class _NotedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _NotedHTTPSConnection


def watch_session(session: requests.Session) -> requests.Session:
    """Make ``session``'s connections noted, so :meth:`AttemptDeadlines.bound` can cut them off."""
    for adapter in session.adapters.values():
        manager = getattr(adapter, "poolmanager", None)
        if manager is not None:  # a new dict: the default one is shared by every PoolManager
            manager.pool_classes_by_scheme = {"http": _NotedHTTPPool, "https": _NotedHTTPSPool}
    session.hooks["response"].append(_head_arrived)
    return session


def _head_arrived(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    # requests calls this once the status line and headers are read (the body is streamed after).
    DEADLINES.answered(threading.get_ident())


class Bound:
    """One attempt under a deadline.

    ``expired``: the watchdog cut it off before the status line and headers
    had all arrived, so whatever status the attempt reports is not to be
    trusted (http.client reads a cut-off ``HTTP/1.1 200 O`` as a 200). Once
    they arrived the attempt is left alone: reading the body has its own bound.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self.head_arrived = False


class AttemptDeadlines:
    """The watchdog thread (started on first use, a daemon) and the attempts it watches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watched: dict[int, Bound] = {}  # thread ident -> its attempt
        self._thread: threading.Thread | None = None

    @contextmanager
    def bound(self, seconds: float) -> Iterator[Bound]:
        """Within the block, this thread's request is cut off ``seconds`` from now."""
        attempt = Bound(time.monotonic() + seconds)
        ident = threading.get_ident()
        _sending_on.pop(ident, None)
        with self._lock:
            self._watched[ident] = attempt
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="webhook-deadlines", daemon=True)
                self._thread.start()
        try:
            yield attempt
        finally:
            with self._lock:
                del self._watched[ident]
            _sending_on.pop(ident, None)

    def answered(self, ident: int) -> None:
        with self._lock:
            attempt = self._watched.get(ident)
            if attempt is not None:
                attempt.head_arrived = True

    def _watch(self) -> None:
        while True:
            time.sleep(_WATCH_INTERVAL_SEC)
            now = time.monotonic()
            with self._lock:  # cut off under the lock: the attempt cannot end and reuse its socket meanwhile
                for ident, attempt in self._watched.items():
                    if not attempt.expired and not attempt.head_arrived and now >= attempt.deadline:
                        attempt.expired = True
                        _shut_down(_sending_on.get(ident))


def _shut_down(connection: HTTPConnection | None) -> None:
    """Shut the connection's socket down both ways: a read blocked on it fails at once."""
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed: the attempt is ending anyway


DEADLINES = AttemptDeadlines()  # one watchdog for the process
