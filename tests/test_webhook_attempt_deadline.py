"""The whole-attempt bound: a watched session's request is cut off when its answer's head trickles in,
left alone once the head arrived, and a bound cuts only its own attempt's connection.

Real sockets on 127.0.0.1; the bounds are a few tenths of a second.
"""

from __future__ import annotations

import gc
import socket
import ssl
import subprocess
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from aurorakit.runtime.webhook.attempt_deadline import DEADLINES, sending_on, watch_session


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                           "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                           "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, check=False)
    assert made.returncode == 0, made.stderr
    return key, cert


@contextmanager
def serving(head: bytes, every: float, body: bytes = b"", tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """One connection at a time: read the request, then send ``head`` a byte every ``every`` s, then ``body``."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            try:
                if tls is not None:
                    connection = tls.wrap_socket(connection, server_side=True)
            except OSError:
                connection.close()
                continue
            with connection:
                connection.recv(65536)
                try:
                    for byte in head:
                        if stop.wait(every):
                            return
                        connection.sendall(bytes([byte]))
                    connection.sendall(body)
                    stop.wait(5)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        listener.close()
        thread.join(5)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_watched_session_s_request_is_cut_off_at_the_bound_while_its_head_trickles_in(
        scheme: str, certificate: tuple[Path, Path]) -> None:
    session = watch_session(requests.Session())
    tls = None
    if scheme == "https":
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(certificate[1], certificate[0])
    # Six status lines, a byte every 50 ms: each read is quick, the head never ends (5 s of it, then silence).
    with serving(b"HTTP/1.1 200 OK\r\n" * 6, every=0.05, tls=tls) as url:
        began = time.monotonic()
        with DEADLINES.bound(0.3) as bound, pytest.raises(requests.RequestException):
            session.post(url, data=b"{}", timeout=(1.0, 1.0), verify=str(certificate[1]))
        took = time.monotonic() - began
    session.close()
    assert bound.expired and not bound.head_arrived
    assert 0.25 <= took < 1.5, took


def test_a_bound_cuts_the_connection_its_attempt_noted() -> None:
    mine, peer = socket.socketpair()

    class Noted:
        sock = mine

    with mine, peer:
        with DEADLINES.bound(0.05) as bound:
            sending_on(Noted())  # as direct_post does before writing the request
            mine.settimeout(2.0)
            began = time.monotonic()
            assert mine.recv(64) == b""  # the watchdog shut it down: the blocked read ends at once
        assert bound.expired and time.monotonic() - began < 1.0


def test_the_watchdog_is_one_daemon_thread_named_for_what_it_does() -> None:
    with DEADLINES.bound(1.0):
        pass
    watchdogs = [t for t in threading.enumerate() if t.name == "webhook-deadlines"]
    assert len(watchdogs) == 1 and watchdogs[0].daemon  # never keeps a process from exiting


def test_once_the_head_arrived_the_bound_leaves_the_attempt_alone() -> None:
    session = watch_session(requests.Session())
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
    with serving(head, every=0.0, body=b"ok") as url:
        with DEADLINES.bound(0.2) as bound:
            response = session.post(url, data=b"{}", timeout=(1.0, 1.0))
            time.sleep(0.4)  # past the bound, the answer read and kept
        session.close()
    assert response.status_code == 200 and response.content == b"ok"
    assert bound.head_arrived and not bound.expired


def test_a_bound_does_not_cut_a_connection_noted_before_it_began() -> None:
    mine, peer = socket.socketpair()

    class Noted:  # what sending_on needs: something with a socket
        sock = mine

    with mine, peer:
        sending_on(Noted())  # e.g. a request made outside any bound on this thread
        with DEADLINES.bound(0.05) as bound:
            time.sleep(0.35)  # the watchdog sees the bound expire with no request of its own
        assert bound.expired
        mine.sendall(b"still open")
        assert peer.recv(64) == b"still open"


def test_a_finished_attempt_s_connection_is_not_kept_for_its_thread() -> None:
    class Noted:
        sock = None

    connection = Noted()
    gone = weakref.ref(connection)

    def attempt(noted: Noted) -> None:
        with DEADLINES.bound(5.0):
            sending_on(noted)

    thread = threading.Thread(target=attempt, args=(connection,))
    thread.start()
    thread.join(5)
    del connection
    gc.collect()
    assert gone() is None  # a worker that ends (or goes idle) holds no socket through the watchdog


def test_a_bound_that_ended_in_time_is_not_marked_expired_later() -> None:
    with DEADLINES.bound(0.05) as bound:
        pass
    time.sleep(0.3)  # the watchdog passes its deadline twice: the attempt it bounded is over
    assert not bound.expired
