from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
from aurorakit.runtime.webhook.receiver import ReceiverStore, RequestLog, StoredDelivery, WebhookReceiver
from test_webhook_helpers import wait_until


class StandInPayloadError(ValueError):
    """Shaped like the payload layer's PayloadError: ``.message``, ``.path``, str "path: message"."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def decode_summary(body: bytes) -> Mapping[str, Any]:
    """A stand-in for the payload layer's decoder."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise StandInPayloadError("$", f"not JSON ({exc})") from None
    status = payload.get("task", {}).get("status")
    if not isinstance(status, str):
        raise StandInPayloadError("$.task.status", "expected a ScheduleStatus name")
    return {"status": status, "oldState": payload.get("oldState")}


def payload(status: str = "RUNNING") -> bytes:
    return json.dumps({"task": {"status": status}, "oldState": {"value": "STARTING"}}).encode()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[WebhookReceiver]:
    with WebhookReceiver(ReceiverStore(tmp_path / "received.db"), decode=decode_summary,
                         max_body_bytes=100_000) as running:
        yield running


def raw_exchange(receiver: WebhookReceiver, request: bytes, then_send: Iterator[bytes] = iter(())) -> bytes:
    """Send ``request`` on a raw socket (then more chunks while the server reads); return the answer."""
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as conn:
        conn.sendall(request)
        try:
            for chunk in then_send:
                conn.sendall(chunk)
        except OSError:
            pass  # the server stopped reading: expected once it refused the body
        answer = b""
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                break
            if not data:
                break
            answer += data
    return answer


def test_stores_raw_bytes_headers_and_summary(receiver: WebhookReceiver) -> None:
    body = payload("FAILED").replace(b"}}", b"} }")  # exact bytes, not re-serialised
    answer = requests.post(receiver.url + "some/path", data=body, timeout=5,
                           headers={"Timestamp": "1700000000000", "Authorization": "Bearer s3cr3t",
                                    "webhook-id": "msg_1", "Content-Type": "application/json"})
    assert answer.status_code == 200 and answer.json() == {"stored": True, "duplicate": False}
    [stored] = receiver.store.list()
    assert stored.body == body and stored.path == "/some/path" and stored.webhook_id == "msg_1"
    assert stored.summary == {"status": "FAILED", "oldState": {"value": "STARTING"}}
    assert stored.headers["Timestamp"] == "1700000000000"
    assert stored.headers["Authorization"] == "<redacted>"


def test_bad_payload_is_400_with_the_path(receiver: WebhookReceiver) -> None:
    answer = requests.post(receiver.url, data=b'{"task": {"status": 3}}', timeout=5)
    assert answer.status_code == 400
    assert answer.json() == {"error": "expected a ScheduleStatus name", "path": "$.task.status"}
    answer = requests.post(receiver.url, data=b"{oops", timeout=5)
    assert answer.status_code == 400 and answer.json()["path"] == "$"

    class PlainValueError(ValueError):
        pass

    def no_path(body: bytes) -> Mapping[str, Any]:
        raise PlainValueError("unreadable")

    receiver.decode = no_path
    answer = requests.post(receiver.url, data=b"{}", timeout=5)
    assert answer.status_code == 400 and answer.json() == {"error": "unreadable", "path": None}
    assert receiver.store.count() == 0


def test_duplicate_webhook_id_is_answered_200_and_stored_once(receiver: WebhookReceiver) -> None:
    for _ in range(3):
        answer = requests.post(receiver.url, data=payload(), headers={"webhook-id": "msg_dup"}, timeout=5)
        assert answer.status_code == 200
    assert answer.json() == {"stored": False, "duplicate": True}
    for _ in range(2):  # Aurora sends no webhook-id: nothing to deduplicate on
        assert requests.post(receiver.url, data=payload(), timeout=5).status_code == 200
    assert [d.webhook_id for d in receiver.store.list()] == ["msg_dup", None, None]


def test_oversized_body_is_413_before_it_is_read(receiver: WebhookReceiver) -> None:
    # Only the headers are sent: the answer must come without the body.
    answer = raw_exchange(receiver, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"body larger than 100000 bytes" in answer
    # A client that sends the whole body still gets to read the 413.
    big = requests.post(receiver.url, data=b"x" * 2_000_000, timeout=10)
    assert big.status_code == 413
    # Exactly at the limit is fine (and then a bad payload, but not too large).
    assert requests.post(receiver.url, data=b" " * 100_000, timeout=5).status_code == 400
    assert receiver.store.count() == 0


def test_chunked_body_is_read_and_an_endless_one_cut_off(receiver: WebhookReceiver) -> None:
    body = payload()
    head = b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:])) + b"0\r\n\r\n"
    assert raw_exchange(receiver, head + chunks).startswith(b"HTTP/1.1 200 ")
    assert receiver.store.list()[-1].body == body

    def endless() -> Iterator[bytes]:
        for _ in range(400):  # 400 x 16 KiB, far above the 100 kB limit
            yield b"4000\r\n" + b"y" * 0x4000 + b"\r\n"

    answer = raw_exchange(receiver, head, endless())
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert receiver.store.count() == 1


def test_missing_length_and_other_methods(receiver: WebhookReceiver) -> None:
    answer = raw_exchange(receiver, b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 411 ")
    assert requests.get(receiver.url, timeout=5).status_code == 405


def test_list_and_tail_follow_new_deliveries(receiver: WebhookReceiver, tmp_path: Path) -> None:
    for n in range(5):
        requests.post(receiver.url, data=payload(), headers={"webhook-id": f"m{n}"}, timeout=5)
    assert [d.webhook_id for d in receiver.store.list(2)] == ["m3", "m4"]
    assert [d.webhook_id for d in receiver.store.since(3)] == ["m3", "m4"]

    # Another process would open the file itself: a second store on the same file.
    reader = ReceiverStore(tmp_path / "received.db")
    seen: list[StoredDelivery] = []
    stop = threading.Event()

    def follow() -> None:
        for delivery in reader.tail(last=1, follow=True, poll_interval=0.02, stop=stop):
            seen.append(delivery)

    follower = threading.Thread(target=follow)
    follower.start()
    try:
        assert wait_until(lambda: len(seen) == 1, 5)
        for n in range(5, 8):
            requests.post(receiver.url, data=payload(), headers={"webhook-id": f"m{n}"}, timeout=5)
        assert wait_until(lambda: len(seen) == 4, 5)
    finally:
        stop.set()
        follower.join(5)
    assert [d.webhook_id for d in seen] == ["m4", "m5", "m6", "m7"]
    assert [d.webhook_id for d in reader.tail(last=2)] == ["m6", "m7"]
    assert not follower.is_alive()


def test_stop_also_cuts_kept_alive_connections(tmp_path: Path) -> None:
    receiver = WebhookReceiver(ReceiverStore(tmp_path / "received.db")).start()
    with requests.Session() as session:
        assert session.post(receiver.url, data=b"{}", timeout=5).status_code == 200
        receiver.stop()
        with pytest.raises(requests.exceptions.ConnectionError):
            session.post(receiver.url, data=b"{}", timeout=5)
    assert receiver.store.count() == 1


def test_each_request_is_given_to_on_request_with_what_it_was(tmp_path: Path) -> None:
    entries: list[RequestLog] = []

    def summary(body: bytes) -> Mapping[str, Any]:
        return {**decode_summary(body), "taskId": json.loads(body)["task"]["taskId"]}

    body = json.dumps({"task": {"status": "FAILED", "taskId": "job-0-abc"}, "oldState": {"value": "RUNNING"}}).encode()
    with WebhookReceiver(ReceiverStore(tmp_path / "received.db"), decode=summary, on_request=entries.append) as running:
        for _ in range(2):
            assert requests.post(running.url, data=body, headers={"webhook-id": "msg_7"}, timeout=5).status_code == 200
        assert requests.post(running.url, data=b"{oops", timeout=5).status_code == 400
        assert wait_until(lambda: len(entries) == 3, 5)
    stored, duplicate, rejected = entries
    assert (stored.status, stored.outcome, stored.task_id, stored.new_status, stored.webhook_id, stored.size) == (
        200, "stored", "job-0-abc", "FAILED", "msg_7", len(body))
    assert (duplicate.status, duplicate.outcome, duplicate.webhook_id) == (200, "duplicate", "msg_7")
    assert (rejected.status, rejected.outcome, rejected.task_id, rejected.new_status) == (400, "rejected", None, None)
    assert rejected.remote == "127.0.0.1" and rejected.reason
