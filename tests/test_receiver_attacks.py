"""Attack requests over raw sockets against a real receiver on 127.0.0.1.

Every expected status and reason is written here by hand from the issue's list
of attacks (RFC 9112's framing rules: one Content-Length of digits, no
Transfer-Encoding with it, chunk sizes in hex).
"""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from aurorakit.runtime.webhook.receiver import Limits, ReceiverConfigError, WebhookReceiver, is_loopback
from aurorakit.runtime.webhook.receiver_framing import Answer, Incoming
from aurorakit.runtime.webhook.receiver_http import HttpServer
from aurorakit.runtime.webhook.receiver_store import ReceiverStore
from aurorakit.runtime.webhook.signing import decode_secret, signature_headers
from test_webhook_helpers import wait_until

BODY = b'{"task": {"status": "RUNNING"}}'
SECRET = "attack-test-secret"


def summary(body: bytes) -> dict[str, str]:
    status = json.loads(body)["task"]["status"]
    return {"status": status, "taskId": "task-1"}


def limits(**changes: float) -> Limits:
    values: dict[str, float] = {"max_body_bytes": 100_000, "header_timeout": 5.0, "body_timeout": 5.0,
                                "max_connections": 100, "workers": 4, "linger": 0.2}
    values.update(changes)
    return Limits(**values)  # type: ignore[arg-type]


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[WebhookReceiver]:
    with WebhookReceiver(ReceiverStore(tmp_path / "received.db"), decode=summary, limits=limits()) as running:
        yield running


def exchange(receiver: WebhookReceiver, data: bytes, *, timeout: float = 10.0) -> bytes:
    """Send ``data`` on one connection, then read until the server closes it (or ``timeout``)."""
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=timeout) as conn:
        try:
            conn.sendall(data)
        except OSError:
            pass
        answer = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            answer += chunk
    return answer


def statuses(answer: bytes) -> list[int]:
    """The status of each answer in ``answer`` (the JSON bodies hold no status line)."""
    return [int(found) for found in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)]


def post(headers: bytes, body: bytes = BODY) -> bytes:
    return b"POST /hook HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n" + body


GOOD = post(b"Content-Length: %d\r\n" % len(BODY))


@pytest.mark.parametrize("request_bytes, status, reason", [
    (post(b"Content-Length: +31\r\n"), 400, b"bad Content-Length"),
    (post(b"Content-Length: 3_1\r\n"), 400, b"bad Content-Length"),
    (post(b"Content-Length: -31\r\n"), 400, b"bad Content-Length"),
    (post(b"Content-Length: 31\r\nContent-Length: 31\r\n"), 400, b"more than one Content-Length"),
    (post(b"Content-Length: 31, 31\r\n"), 400, b"more than one Content-Length"),
    (post(b"Content-Length: 31\r\nContent-Length: 5\r\n"), 400, b"Content-Length"),
    (post(b"Transfer-Encoding: chunked\r\nContent-Length: 31\r\n", b"1f\r\n" + BODY + b"\r\n0\r\n\r\n"),
     400, b"both Transfer-Encoding and Content-Length"),
    (post(b"Transfer-Encoding: gzip\r\n"), 501, b"Transfer-Encoding"),
    (post(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 501, b"Transfer-Encoding"),
    (post(b"Transfer-Encoding: chunked\r\n", b"-1\r\n" + BODY), 400, b"chunk"),
    (post(b"Transfer-Encoding: chunked\r\n", b"-2\r\n" + BODY), 400, b"chunk"),
    (post(b"Transfer-Encoding: chunked\r\n", b"1f zz\r\n" + BODY), 400, b"chunk"),
    (post(b"Content-Length : 31\r\n"), 400, b"malformed request"),
    (post(b"X-" + b"a" * 20_000 + b": 1\r\nContent-Length: 31\r\n"), 431, b"malformed request"),
    (post(b""), 411, b"Content-Length required"),
])
def test_framing_attacks_are_refused_and_the_connection_closed(receiver: WebhookReceiver, request_bytes: bytes,
                                                               status: int, reason: bytes) -> None:
    answer = exchange(receiver, request_bytes)
    assert statuses(answer) == [status], answer  # exactly one answer, then the server closed
    assert reason in answer
    assert receiver.store.count() == 0
    assert wait_until(lambda: [r.status for r in receiver.store.rejected()] == [status], 5)  # kept for operators


@pytest.mark.parametrize("head", [
    b"GET /hook HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n",
    b"DELETE /hook HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n",
    b"POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: %d\r\n\r\n",
    b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nX-Pad: %d\r\n\r\n",
])
def test_the_body_of_a_refused_request_is_never_read_as_the_next_request(receiver: WebhookReceiver,
                                                                         head: bytes) -> None:
    smuggled = GOOD
    answer = exchange(receiver, head % len(smuggled) + smuggled)
    assert len(statuses(answer)) == 1 and statuses(answer)[0] in (400, 405, 501), answer
    assert receiver.store.count() == 0


def test_pipelined_requests_on_one_connection_are_each_answered(receiver: WebhookReceiver) -> None:
    chunked = post(b"Transfer-Encoding: chunked\r\n", b"5\r\n" + BODY[:5] + b"\r\n1a\r\n" + BODY[5:] + b"\r\n0\r\n\r\n")
    last = post(b"Content-Length: %d\r\nConnection: close\r\n" % len(BODY))
    assert statuses(exchange(receiver, GOOD + chunked + last)) == [200, 200, 200]
    assert [d.body for d in receiver.store.list()] == [BODY] * 3


def test_405_says_what_is_allowed(receiver: WebhookReceiver) -> None:
    answer = requests.get(receiver.url, timeout=5)
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"
    assert answer.json() == {"error": "method GET not allowed, only POST"}


def test_a_head_that_does_not_arrive_in_time_is_408_and_closed(tmp_path: Path) -> None:
    with WebhookReceiver(ReceiverStore(tmp_path / "r.db"), limits=limits(header_timeout=1.0)) as receiver:
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=10) as conn:
            conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
            conn.settimeout(0.2)
            answer = b""
            for _ in range(50):  # a byte every 0.2 s: the limit is on the whole head, not per read
                conn.sendall(b"X")
                try:
                    answer = conn.recv(65536)
                    break
                except TimeoutError:
                    continue
            conn.settimeout(10)
            while chunk := conn.recv(65536):
                answer += chunk
        assert statuses(answer) == [408] and b"request head not complete after 1 s" in answer
        # An idle kept-alive connection is closed without an answer.
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=10) as conn:
            assert conn.recv(10) == b""


def test_a_body_that_does_not_arrive_in_time_is_408(tmp_path: Path) -> None:
    store = ReceiverStore(tmp_path / "r.db")
    with WebhookReceiver(store, limits=limits(body_timeout=0.5)) as receiver:
        answer = b""
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=10) as conn:
            conn.sendall(post(b"Content-Length: 1000\r\n", b"{"))
            while chunk := conn.recv(65536):
                answer += chunk
        assert statuses(answer) == [408] and b"body not complete after 0.5 s" in answer
        assert store.count() == 0
        assert wait_until(lambda: [r.status for r in store.rejected()] == [408], 5)


@pytest.mark.parametrize("slow_start", [
    b"POST / HTTP/1.1\r\nHost: x\r\n",  # and never the rest of the head
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{",  # and never the rest of the body
])
def test_slow_client_flood_does_not_stop_a_normal_client(tmp_path: Path, slow_start: bytes) -> None:
    store = ReceiverStore(tmp_path / "r.db")
    flood_size, cap = 400, 100
    with WebhookReceiver(store, limits=limits(max_connections=cap, header_timeout=60.0,
                                              body_timeout=60.0)) as receiver:
        flood: list[socket.socket] = []
        try:
            for _ in range(flood_size):
                slow = socket.create_connection(("127.0.0.1", receiver.port), timeout=10)
                slow.sendall(slow_start)
                flood.append(slow)
            with requests.Session() as session:
                for n in range(5):
                    answer = session.post(receiver.url, data=BODY, headers={"webhook-id": f"normal-{n}"}, timeout=10)
                    assert answer.status_code == 200
                    # More slow clients arrive while the normal one keeps its connection.
                    for _ in range(20):
                        slow = socket.create_connection(("127.0.0.1", receiver.port), timeout=10)
                        slow.sendall(slow_start)
                        flood.append(slow)
            assert store.count() == 5

            def shed() -> int:
                closed = 0
                for slow in flood:
                    slow.setblocking(False)
                    try:
                        closed += slow.recv(1) == b""
                    except BlockingIOError:
                        pass
                    except OSError:
                        closed += 1
                return closed

            # All but (about) the cap were dropped to make room; the newest ones are still open.
            assert wait_until(lambda: shed() >= len(flood) - cap, 10)
        finally:
            for slow in flood:
                slow.close()


def test_a_store_that_cannot_write_is_503_and_the_sender_may_retry(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    ReceiverStore(path).close()
    # A store capped at its empty size: SQLite answers "database or disk is full".
    store = ReceiverStore(path, max_bytes=path.stat().st_size)
    with WebhookReceiver(store, decode=summary, limits=limits()) as receiver:
        answer = requests.post(receiver.url, data=BODY + b" " * 50_000, timeout=10)
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "5"
        assert "database or disk is full" in answer.json()["error"]
        assert store.count() == 0


def test_a_store_locked_by_another_writer_is_503(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    store = ReceiverStore(path, busy_timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with WebhookReceiver(store, decode=summary, limits=limits()) as receiver:
            answer = requests.post(receiver.url, data=BODY, timeout=10)
            assert answer.status_code == 503 and "database is locked" in answer.json()["error"]
            other.execute("ROLLBACK")
            answer = requests.post(receiver.url, data=BODY, timeout=10)
            assert answer.status_code == 200 and store.count() == 1
    finally:
        other.close()


def signed_request(headers: list[tuple[str, str]], body: bytes = BODY) -> bytes:
    head = b"".join(f"{name}: {value}\r\n".encode() for name, value in headers)
    return post(head + b"Content-Length: %d\r\n" % len(body), body)


def test_a_replay_with_an_extra_webhook_id_is_400_and_not_stored(tmp_path: Path) -> None:
    key = decode_secret(SECRET)
    store = ReceiverStore(tmp_path / "r.db")
    with WebhookReceiver(store, secret=SECRET, decode=summary, limits=limits()) as receiver:
        original = list(signature_headers(key, "evt-1", BODY).items())
        assert statuses(exchange(receiver, signed_request(original + [("Connection", "close")]))) == [200]
        for extra in ("webhook-id", "Webhook-Id", "webhook-timestamp", "webhook-signature"):
            value = {"webhook-id": "evt-2", "Webhook-Id": "evt-3"}.get(extra, dict(original).get(extra.lower(), ""))
            replay = signed_request([(extra, value)] + original + [("Connection", "close")])
            answer = exchange(receiver, replay)
            assert statuses(answer) == [400] and f"repeated {extra.lower()} header".encode() in answer, answer
        assert [d.webhook_id for d in store.list()] == ["evt-1"]
        assert [r.reason for r in store.rejected()] == [
            "repeated webhook-id header", "repeated webhook-id header", "repeated webhook-timestamp header",
            "repeated webhook-signature header"]


def test_duplicate_ids_are_kept_longer_than_the_tolerance(tmp_path: Path) -> None:
    key = decode_secret(SECRET)
    store = ReceiverStore(tmp_path / "r.db")
    # Stored a day ago: far outside the 300 s tolerance, still a duplicate.
    store.add(webhook_id="evt-old", path="/", remote="127.0.0.1", headers={}, body=BODY, summary=None,
              received_at=time.time() - 86_400)
    with WebhookReceiver(store, secret=SECRET, decode=summary, limits=limits()) as receiver:
        answer = requests.post(receiver.url, data=BODY, headers=signature_headers(key, "evt-old", BODY), timeout=5)
        assert answer.json() == {"stored": False, "duplicate": True}
        future = signature_headers(key, "evt-new", BODY, timestamp=int(time.time()) + 600)
        answer = requests.post(receiver.url, data=BODY, headers=future, timeout=5)
        assert answer.status_code == 401 and "too far in the future" in answer.json()["error"]
    assert store.count() == 1


def test_non_loopback_needs_a_secret_or_an_explicit_flag(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = ReceiverStore(tmp_path / "r.db")
    with pytest.raises(ReceiverConfigError, match="refusing to listen on 0.0.0.0 without a signing secret"):
        WebhookReceiver(store, host="0.0.0.0")
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning comes, then binding fails.
    with pytest.raises(OSError):
        WebhookReceiver(store, host="192.0.2.1", allow_unsigned=True)
    assert "listening on 192.0.2.1 without a signing secret" in caplog.text
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.1.2.3") and not is_loopback("0.0.0.0") and not is_loopback("example.org")


def test_rejected_requests_are_recorded_with_their_reason(receiver: WebhookReceiver) -> None:
    requests.post(receiver.url, data=b"{oops", timeout=5)
    exchange(receiver, post(b"Content-Length: 2000000\r\n"))
    exchange(receiver, post(b"Content-Length: +31\r\n"))
    assert wait_until(lambda: len(receiver.store.rejected()) == 3, 5)
    rejected = receiver.store.rejected()
    assert [(r.status, r.method, r.path) for r in rejected[:2]] == [(400, "POST", "/"), (413, "POST", "/hook")]
    assert rejected[1].reason == "body larger than 100000 bytes" and rejected[1].size == 2_000_000
    # Refused before its request line was read: no method or path to record.
    assert (rejected[2].status, rejected[2].method) == (400, "")
    assert rejected[2].reason == "malformed request: bad Content-Length"


def test_expect_100_continue_is_answered_before_the_body(receiver: WebhookReceiver) -> None:
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=10) as conn:
        conn.sendall(post(b"Content-Length: %d\r\nExpect: 100-continue\r\n" % len(BODY), b""))
        assert conn.recv(65536).startswith(b"HTTP/1.1 100 Continue\r\n")
        conn.sendall(BODY)
        assert conn.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")
    assert receiver.store.count() == 1


def test_a_handler_bug_is_a_500_not_a_dropped_connection(caplog: pytest.LogCaptureFixture) -> None:
    def broken(request: Incoming) -> Answer:
        raise KeyError("a bug")

    server = HttpServer(socket.create_server(("127.0.0.1", 0)), limits(), broken, lambda refusal: None)
    server.start()
    try:
        with socket.create_connection(server.sock.getsockname(), timeout=10) as conn:
            conn.sendall(GOOD)
            answer = conn.recv(65536)
            assert conn.recv(10) == b""  # then closed
    finally:
        server.stop()
    assert statuses(answer) == [500] and b'{"error": "internal error"}' in answer
    assert "handling POST /hook from 127.0.0.1 failed" in caplog.text and "KeyError: 'a bug'" in caplog.text


def test_bodies_in_memory_at_once_are_bounded(tmp_path: Path) -> None:
    store = ReceiverStore(tmp_path / "r.db")
    with WebhookReceiver(store, limits=limits(max_body_bytes=1000, max_buffered_bytes=1500)) as receiver:
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=10) as holder:
            holder.sendall(post(b"Content-Length: 1000\r\n", b" " * 900))  # 900 bytes held, 100 to come
            assert wait_until(lambda: receiver._server._buffered == 900, 5)  # the server has read them
            refused = exchange(receiver, post(b"Content-Length: 700\r\nConnection: close\r\n", b" " * 700))
            assert statuses(refused) == [503] and b"busy: 1500 bytes of bodies in memory" in refused
            assert b"retry-after: 1" in refused.lower()
            holder.sendall(b" " * 100)
            assert holder.recv(65536).startswith(b"HTTP/1.1 200 ")
        # Released: the same request now fits.
        answer = exchange(receiver, post(b"Content-Length: 700\r\nConnection: close\r\n", b" " * 700))
        assert statuses(answer) == [200]
    assert store.count() == 2


def test_at_the_cap_with_every_request_being_handled_a_new_connection_is_503_retry_after_1(tmp_path: Path) -> None:
    release = threading.Event()

    def slow_summary(body: bytes) -> dict[str, str]:
        release.wait(10)  # the one open connection's request stays in hand
        return summary(body)

    with WebhookReceiver(ReceiverStore(tmp_path / "r.db"), decode=slow_summary,
                         limits=limits(max_connections=1)) as receiver:
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=10) as busy:
            busy.sendall(GOOD)
            time.sleep(0.3)  # its request is read and handed to the decoder
            try:
                refused = exchange(receiver, GOOD)
            finally:
                release.set()
            answer = busy.recv(65536)
    assert statuses(refused) == [503] and b"\r\nretry-after: 1\r\n" in refused.lower()
    assert json.loads(refused.split(b"\r\n\r\n", 1)[1]) == {"error": "too many connections"}
    assert statuses(answer) == [200]
