from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
from aurorakit.runtime.webhook.config import WebhookConfig, parse_config
from aurorakit.runtime.webhook.outgoing import OutgoingEvent
from aurorakit.runtime.webhook.receiver import ReceiverStore, WebhookReceiver
from aurorakit.runtime.webhook.sender import ReliableSender
from aurorakit.runtime.webhook.signing import (
    SecretFormatError,
    SignatureError,
    decode_secret,
    generate_secret,
    sign,
    signature_headers,
    verify,
)

# The example published with the Standard Webhooks specification.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def spec_headers(signature: str = SPEC_SIGNATURE, timestamp: int = SPEC_TIMESTAMP) -> dict[str, str]:
    return {"webhook-id": SPEC_ID, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def test_matches_the_standard_webhooks_example() -> None:
    key = decode_secret(SPEC_SECRET)
    assert sign(key, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    assert signature_headers(key, SPEC_ID, SPEC_BODY, timestamp=SPEC_TIMESTAMP) == spec_headers()
    assert verify(key, spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP + 10) == SPEC_ID


def test_secret_forms() -> None:
    assert decode_secret("plain-text") == b"plain-text"
    assert len(decode_secret(generate_secret())) == 32
    with pytest.raises(SecretFormatError):
        decode_secret("whsec_not base64")
    with pytest.raises(SecretFormatError):
        decode_secret("")


def test_verification_accepts_any_of_several_signatures_and_header_case() -> None:
    key = decode_secret(SPEC_SECRET)
    other = sign(b"rotated-out", SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    headers = {"Webhook-Id": SPEC_ID, "Webhook-Timestamp": str(SPEC_TIMESTAMP),
               "Webhook-Signature": f"v2,xyz {other} {SPEC_SIGNATURE}"}
    assert verify(key, headers, SPEC_BODY, now=SPEC_TIMESTAMP) == SPEC_ID


@pytest.mark.parametrize("headers, body, now, reason", [
    (spec_headers(), SPEC_BODY + b" ", SPEC_TIMESTAMP, "no matching signature"),
    (spec_headers(signature="v1,AAAA"), SPEC_BODY, SPEC_TIMESTAMP, "no matching signature"),
    (spec_headers(signature=SPEC_SIGNATURE.replace("v1,", "v2,")), SPEC_BODY, SPEC_TIMESTAMP,
     "no matching signature"),
    (spec_headers(), SPEC_BODY, SPEC_TIMESTAMP + 301, "webhook-timestamp too old"),
    (spec_headers(), SPEC_BODY, SPEC_TIMESTAMP - 301, "webhook-timestamp too far in the future"),
    ({**spec_headers(), "webhook-timestamp": "soon"}, SPEC_BODY, SPEC_TIMESTAMP,
     "webhook-timestamp is not an integer"),
    ({"webhook-id": SPEC_ID}, SPEC_BODY, SPEC_TIMESTAMP,
     "missing webhook-id, webhook-timestamp or webhook-signature header"),
])
def test_verification_refuses(headers: dict[str, str], body: bytes, now: float, reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        verify(decode_secret(SPEC_SECRET), headers, body, now=now)
    assert str(caught.value) == reason


def test_tolerance_edges_are_inclusive() -> None:
    key = decode_secret(SPEC_SECRET)
    assert verify(key, spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP + 300) == SPEC_ID
    assert verify(key, spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP - 300) == SPEC_ID


def _event(n: int) -> OutgoingEvent:
    return OutgoingEvent(f"sig-{n}", "task-0", "RUNNING", "STARTING", json.dumps({"n": n}).encode())


def test_receiver_with_the_secret_accepts_and_refuses_a_wrong_one(tmp_path: Path) -> None:
    secret = generate_secret()
    store = ReceiverStore(tmp_path / "received.db")
    with WebhookReceiver(store, secret=secret) as receiver:
        def sender_config(signing_secret: str) -> WebhookConfig:
            return parse_config(json.dumps({"targetURL": receiver.url, "timeoutMsec": 2000, "headers": {}}),
                                settings={"signingSecret": signing_secret,
                                          "retry": {"initialBackoffMsec": 10, "maxBackoffMsec": 50}})

        good = ReliableSender(sender_config(secret), spool=tmp_path / "good.db")
        good.submit(_event(1))
        assert good.drain(10)
        assert good.stats()["delivered"] == 1
        good.close()
        assert [d.webhook_id for d in store.list()] == ["sig-1"]

        wrong = ReliableSender(sender_config(generate_secret()), spool=tmp_path / "wrong.db")
        wrong.submit(_event(2))
        assert wrong.drain(10)
        stats = wrong.stats()
        record = wrong.spool.record("sig-2")
        wrong.close()
        assert (stats["given_up"], stats["webhooks_user_errors"], stats["webhooks_attempts"]) == (1, 1, 1)
        assert record is not None and record.state == "given_up"
        assert record.last_error == "HTTP 401 (not retried)"
        assert store.count() == 1


def test_receiver_refuses_stale_and_unsigned_requests(tmp_path: Path) -> None:
    secret = generate_secret()
    key = decode_secret(secret)
    body = b'{"n": 1}'
    with WebhookReceiver(ReceiverStore(tmp_path / "received.db"), secret=secret) as receiver:
        stale = signature_headers(key, "stale-1", body, timestamp=int(time.time()) - 600)
        answer = requests.post(receiver.url, data=body, headers=stale, timeout=5)
        assert answer.status_code == 401
        assert answer.json() == {"error": "signature refused: webhook-timestamp too old"}
        unsigned = requests.post(receiver.url, data=body, headers={"webhook-id": "x"}, timeout=5)
        assert unsigned.status_code == 401
        fresh = signature_headers(key, "fresh-1", body)
        assert requests.post(receiver.url, data=body, headers=fresh, timeout=5).status_code == 200
        assert receiver.store.count() == 1
