"""``delivery: aurora`` per release group: connections, resends, timeouts, concurrency, the 0.16 leak.

Against a raw recording server on 127.0.0.1 that can close without
answering, never answer, or trickle an answer. Expected counts are written
by hand from section 2 of ../shared/docs/aurora-webhook-behaviour.md. Time
is asserted only where the note says a timeout bounds (an upper bound of a
few timeoutMsec) or costs (a lower bound).
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from typing import Any

import pytest
from aurora_delivery_helpers import GROUPS, T, event, send, sender
from aurora_wire_server import Reply, WireServer
from aurorakit.runtime.webhook.aurora_http import Outcome

# Added to upper bounds of time: what a loaded machine may add. A missing timeout still fails them,
# since send() then waits its full 30 s.
SLACK = 2.0


# -- 2.5 resends -----------------------------------------------------------------------------

@pytest.mark.parametrize("version, arrivals", [("0.14", 2), ("0.16", 1), ("0.17", 1), ("0.19", 6), ("0.22", 6)])
def test_resends_when_the_connection_closes_without_an_answer(version: str, arrivals: int) -> None:
    with WireServer(lambda n: Reply("close")) as server:
        s = sender(version, server.url)
        outcome = send(s)
    assert outcome.status is None and "closed without an answer" in (outcome.error or "")
    assert len(server.requests) == arrivals and outcome.sends == arrivals
    assert len({r.body for r in server.requests}) == 1  # the same request each time
    if GROUPS[version] in "DE":  # one error counted, whatever the resends
        assert {k: v for k, v in s.stats().items() if k.startswith("webhooks_")} == {
            "webhooks_attempts": 1, "webhooks_success": 0, "webhooks_errors": 1, "webhooks_user_errors": 0}


def test_a_resend_that_is_answered_succeeds() -> None:
    with WireServer(lambda n: Reply("close") if n == 1 else Reply()) as server:
        outcome = send(sender("0.14", server.url))
    assert outcome.status == 200 and len(server.requests) == 2


def test_resend_off_sends_once() -> None:
    with WireServer(lambda n: Reply("close")) as server:
        send(sender("0.22", server.url, off=("resend-on-close",)))
    assert len(server.requests) == 1


# -- 2.3 timeouts ----------------------------------------------------------------------------

@pytest.mark.parametrize("version", ("0.16", "0.17", "0.19", "0.22"))
def test_a_receiver_that_never_answers_fails_within_a_few_timeouts(version: str) -> None:
    with WireServer(lambda n: Reply("hang")) as server:
        began = time.monotonic()
        outcome = send(sender(version, server.url))
        elapsed = time.monotonic() - began
    assert outcome.status is None and "timed out" in (outcome.error or "")
    assert len(server.requests) == 1  # a timeout is not a resend
    assert elapsed < 4 * T / 1000 + SLACK


def test_a_receiver_that_never_answers_stalls_group_a() -> None:
    with WireServer(lambda n: Reply("hang") if n == 1 else Reply("close")) as server:
        s = sender("0.14", server.url)
        outcomes: list[Outcome] = []
        worker = threading.Thread(target=lambda: outcomes.append(send(s)))
        worker.start()
        worker.join(4 * T / 1000)
        assert worker.is_alive() and not outcomes  # reads are unbounded in A
    worker.join(10)  # stopping the server closed the connection
    assert outcomes and outcomes[0].status is None


TRICKLE_T = 500  # timeoutMsec of the trickle tests: 20 bytes, one every 100 ms, 4 x timeoutMsec in all


def trickle(n: int) -> Reply:
    return Reply("trickle", body=b"x" * 20, every=0.1)


@pytest.mark.parametrize("version, completes", [("0.17", True), ("0.18", True), ("0.19", False), ("0.22", False)])
def test_a_trickled_answer(version: str, completes: bool) -> None:
    with WireServer(trickle) as server:
        began = time.monotonic()
        outcome = send(sender(version, server.url, timeout=TRICKLE_T))
        elapsed = time.monotonic() - began
    if completes:  # B, C: timeoutMsec bounds each read only
        assert outcome.status == 200 and elapsed >= 3 * TRICKLE_T / 1000
    else:  # D, E: the whole request is bounded
        assert outcome.status is None and "whole request" in (outcome.error or "")
        assert elapsed < 3 * TRICKLE_T / 1000 + SLACK  # a trickle left alone takes 2 s, but ends in 200


def test_idle_read_timeout_off_bounds_the_whole_request() -> None:
    with WireServer(trickle) as server:
        outcome = send(sender("0.17", server.url, off=("idle-read-timeout",), timeout=TRICKLE_T))
    assert outcome.status is None and "whole request" in (outcome.error or "")


def test_connect_only_timeout_off_bounds_group_a_reads() -> None:
    with WireServer(lambda n: Reply("hang")) as server:
        outcome = send(sender("0.14", server.url, off=("connect-only-timeout",)))
    assert outcome.status is None and "timed out" in (outcome.error or "")


def unreachable() -> tuple[socket.socket, list[socket.socket]]:
    """A listener whose backlog is full: connecting to it times out (SYNs are dropped)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    held = [socket.create_connection(listener.getsockname(), timeout=1)]
    return listener, held


@pytest.mark.parametrize("version, connects", [("0.14", 2), ("0.16", 1), ("0.17", 1), ("0.19", 1), ("0.22", 1)])
def test_connect_timeout_and_a_second_connect_in_a(version: str, connects: int) -> None:
    listener, held = unreachable()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
        began = time.monotonic()
        outcome = send(sender(version, url))
        elapsed = time.monotonic() - began
    finally:
        for sock in held + [listener]:
            sock.close()
    assert outcome.status is None and outcome.error == "connect timed out" and outcome.connects == connects
    assert elapsed >= connects * T / 1000 * 0.95  # an unreachable endpoint costs connects x timeoutMsec
    assert elapsed < (connects + 1) * T / 1000 + 1.0


def test_refused_connect_is_tried_twice_in_a_only() -> None:
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{free.getsockname()[1]}/hook"
    free.close()
    assert send(sender("0.14", url)).connects == 2
    assert send(sender("0.14", url, off=("second-connect",))).connects == 1
    assert send(sender("0.22", url)).connects == 1


def test_zero_timeout() -> None:
    with WireServer(lambda n: Reply(delay=0.2)) as server:
        a = sender("0.14", server.url)
        a.config = dataclasses.replace(a.config, timeout_msec=0)  # A: 0 is no limit
        e = sender("0.22", server.url)
        e.config = dataclasses.replace(e.config, timeout_msec=0)  # D/E: 0 times out at once
        assert send(a).status == 200
        outcome = send(e)
    assert outcome.status is None and "timed out" in (outcome.error or "") and len(server.requests) == 1


# -- 2.7 concurrency and order ------------------------------------------------------------------

@pytest.mark.parametrize("version", ("0.19", "0.22"))
def test_d_and_e_send_at_once_over_parallel_connections(version: str) -> None:
    server: WireServer

    def hold_until_all_arrived(n: int) -> Reply:
        server.wait_for(10, 10.0)
        return Reply()

    with WireServer(hold_until_all_arrived) as server:
        s = sender(version, server.url, timeout=10_000)  # held until all ten arrive, however slow the machine
        futures = [s.submit(event(s, n)) for n in range(10)]
        assert all(f is not None for f in futures)
        assert server.wait_for(10, 10.0)
        assert s.close(timeout=10.0)
    assert [f.result().status for f in futures if f is not None] == [200] * 10
    assert server.most_at_once == 10 and server.connections == 10


@pytest.mark.parametrize("version, off", [("0.14", ()), ("0.16", ()), ("0.18", ()),
                                          ("0.22", ("unordered-concurrency",))])
def test_one_at_a_time_in_order(version: str, off: tuple[str, ...]) -> None:
    with WireServer(lambda n: Reply(delay=0.02, body=b"")) as server:  # empty: 0.16 does not leak
        s = sender(version, server.url, off=off)
        for n in range(6):
            s.submit(event(s, n))
        s.close()
    assert [json.loads(r.body.decode("latin-1"))["task"]["assignedTask"]["taskId"] for r in server.requests] == [
        f"task-{n}" for n in range(6)]
    assert server.most_at_once == 1


# -- 2.6 the 0.16 connection leak -------------------------------------------------------------------

def test_016_leak_exhausts_the_pool_after_two_answers_with_a_body() -> None:
    with WireServer(lambda n: Reply(body=b'{"ok":true}')) as server:
        s = sender("0.16", server.url)
        first, second = send(s, 1), send(s, 2)
        began = time.monotonic()
        third = send(s, 3)
        waited = time.monotonic() - began
        fourth = send(s, 4)
    assert (first.status, second.status, first.leaked, second.leaked) == (200, 200, True, True)
    assert third.status is None and third.sends == 0 and "pooled connection" in (third.error or "")
    assert fourth.status is None and waited >= 0.95 * T / 1000  # waited timeoutMsec for a connection
    assert len(server.requests) == 2 and s.leaked_connections == 2


@pytest.mark.parametrize("version, reply, off", [
    ("0.16", Reply(body=b""), ()),  # empty answers do not leak
    ("0.16", Reply(status=204, body=b""), ()),
    ("0.16", Reply(body=b"body"), ("connection-leak",)),
    ("0.17", Reply(body=b"body"), ()),  # fixed in 0.17
])
def test_no_leak(version: str, reply: Reply, off: tuple[str, ...]) -> None:
    with WireServer(lambda n: reply) as server:
        s = sender(version, server.url, off=off)
        outcomes = [send(s, n) for n in range(5)]
    assert [o.status for o in outcomes] == [reply.status] * 5 and len(server.requests) == 5
    assert server.connections == 1  # the pooled connection is reused


@pytest.mark.parametrize("version", ("0.14", "0.17", "0.19", "0.22"))
def test_only_016_leaks_a_connection(version: str) -> None:
    with WireServer(lambda n: Reply(body=b'{"ok":true}')) as server:
        s = sender(version, server.url)
        outcomes = [send(s, n) for n in range(3)]
    assert [(o.status, o.leaked) for o in outcomes] == [(200, False)] * 3
    assert s.leaked_connections == 0


@pytest.mark.parametrize("version", ("0.17", "0.19", "0.22"))
def test_a_tls_handshake_that_never_ends_is_bounded(version: str) -> None:
    with WireServer(lambda n: Reply("hang")) as server:  # accepts, never speaks TLS
        began = time.monotonic()
        outcome = send(sender(version, server.url.replace("http://", "https://")))
        elapsed = time.monotonic() - began
    assert outcome.status is None and outcome.error == "TLS handshake timed out" and outcome.sends == 0
    assert elapsed < 4 * T / 1000 + SLACK


def test_tls_certificates_are_verified(tmp_path: Any) -> None:
    import ssl
    import subprocess
    from http.server import BaseHTTPRequestHandler, HTTPServer

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                           "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
                          capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("openssl cannot make a self-signed certificate here")
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        outcome = send(sender("0.22", f"https://127.0.0.1:{server.server_address[1]}/hook"))
    finally:
        server.shutdown()
        server.server_close()
    assert outcome.status is None and outcome.sends == 0
    assert outcome.error == "TLS failed (SSLCertVerificationError)"
