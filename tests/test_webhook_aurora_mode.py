"""``delivery: aurora``: one POST per event, Aurora's headers, timeouts and counters."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from aurorakit.runtime.webhook.config import WebhookConfig, parse_config
from aurorakit.runtime.webhook.outgoing import OutgoingEvent
from aurorakit.runtime.webhook.sender import AuroraSender, make_sender

from test_webhook_helpers import Answer, RecordingServer, unused_port


def aurora_config(url: str, **extra: Any) -> WebhookConfig:
    config = {"targetURL": url, "timeoutMsec": 300,
              "headers": {"Content-Type": "application/vnd.kafka.json.v1+json", "Producer-Type": "reliable"}}
    release = extra.pop("profile", None)  # aurorakit settings live outside webhook.json
    config.update(extra)
    return parse_config(json.dumps(config), release=release, settings={"delivery": "aurora"})


def event(n: int, new: str = "RUNNING", old: str | None = "STARTING") -> OutgoingEvent:
    return OutgoingEvent(f"a-{n}", f"task-{n}", new, old, json.dumps({"n": n}).encode())


def test_one_attempt_per_event_and_aurora_counters() -> None:
    answers = {1: Answer(200), 2: Answer(500), 3: Answer(delay=0.8)}  # 3: later than timeoutMsec
    with RecordingServer(lambda n: answers.get(n, Answer())) as server:
        sender = make_sender(aurora_config(server.url))
        assert isinstance(sender, AuroraSender)
        first, second, third = (sender.submit(event(n)) for n in (1, 2, 3))
    assert first is not None and first.status == 200
    assert second is not None and second.status == 500
    assert third is not None and third.status is None and "ReadTimeout" in (third.error or "")
    # No retry of the 500 nor of the timeout.
    assert [a.body for a in server.arrivals] == [b'{"n": 1}', b'{"n": 2}', b'{"n": 3}']
    assert sender.stats() == {"webhooks_attempts": 3, "webhooks_success": 1, "webhooks_errors": 1,
                              "webhooks_user_errors": 1, "skipped": 0}


def test_only_200_is_a_success() -> None:
    with RecordingServer(lambda n: Answer(204)) as server:
        sender = AuroraSender(aurora_config(server.url))
        sender.submit(event(1))
    assert sender.stats()["webhooks_user_errors"] == 1 and sender.stats()["webhooks_success"] == 0


@pytest.mark.parametrize("profile, timestamp_header", [("0.14", "TimeStamp"), ("0.15", "TimeStamp"),
                                                       ("0.16", "Timestamp"), ("0.22", "Timestamp")])
def test_headers_are_the_configured_ones_plus_the_timestamp(profile: str, timestamp_header: str) -> None:
    with RecordingServer() as server:
        before = int(time.time() * 1000)
        AuroraSender(aurora_config(server.url, profile=profile)).submit(event(1))
        after = int(time.time() * 1000)
    [arrival] = server.arrivals
    assert arrival.path == "/hook"
    assert sorted(arrival.header_names) == sorted(
        ["Host", "Content-Length", "Content-Type", "Producer-Type", timestamp_header])
    assert arrival.headers["content-type"] == "application/vnd.kafka.json.v1+json"
    assert arrival.headers["producer-type"] == "reliable"
    assert before <= int(arrival.headers[timestamp_header.lower()]) <= after
    assert arrival.body == b'{"n": 1}'


def test_timeout_is_connect_only_before_0_16_and_covers_the_read_after() -> None:
    with RecordingServer(lambda n: Answer(delay=0.8)) as server:
        early = AuroraSender(aurora_config(server.url, profile="0.15"))
        result = early.submit(event(1))
        assert result is not None and result.status == 200  # waited past timeoutMsec
        late = AuroraSender(aurora_config(server.url, profile="0.16"))
        began = time.monotonic()
        result = late.submit(event(2))
        assert result is not None and result.status is None and "Timeout" in (result.error or "")
        assert time.monotonic() - began < 0.7
    assert late.stats()["webhooks_errors"] == 1 and early.stats()["webhooks_success"] == 1


def test_connect_timeout_applies_in_every_profile() -> None:
    url = f"http://127.0.0.1:{unused_port()}/"
    for profile in ("0.14", "0.22"):
        result = AuroraSender(aurora_config(url, profile=profile)).submit(event(1))
        assert result is not None and result.status is None


def test_which_events_each_version_posts() -> None:
    with RecordingServer() as server:
        filtered = {"statuses": ["FAILED", "LOST"]}
        v22 = AuroraSender(aurora_config(server.url, profile="0.22", **filtered))
        assert v22.submit(event(1, "RUNNING")) is None  # not listed
        assert v22.submit(event(2, "FAILED")) is not None
        assert v22.submit(event(3, "FAILED", old=None)) is None  # initial events stopped in 0.16
        v18 = AuroraSender(aurora_config(server.url, profile="0.18"))  # "statuses" would stop 0.18
        assert v18.submit(event(4, "RUNNING")) is not None
        v14 = AuroraSender(aurora_config(server.url, profile="0.14"))
        assert v14.submit(event(5, "PENDING", old=None)) is not None  # 0.14 posted initial events
    assert [json.loads(a.body or b"")["n"] for a in server.arrivals] == [2, 4, 5]
    assert v22.stats()["skipped"] == 2 and v22.stats()["webhooks_attempts"] == 1


# Sections 1 and 5 of the payload format note, stated here independently of runtime/profiles.py:
# (posts initial events, honours "statuses", timestamp header, what timeoutMsec bounds).
RELEASE_FACTS = {f"0.{minor}": (minor <= 15, minor >= 19, "TimeStamp" if minor <= 15 else "Timestamp",
                                "connect" if minor <= 15 else "all") for minor in range(14, 23)}


@pytest.mark.parametrize("version", sorted(RELEASE_FACTS))
def test_payload_layer_profiles_plug_in(version: str) -> None:
    from aurorakit.runtime.profiles import profile_for

    from aurorakit.runtime.webhook.profile_traits import DeliveryProfile

    profile: DeliveryProfile = profile_for(version)
    fields = ("posts_initial_events", "statuses_filter", "timestamp_header", "timeout_scope")
    assert tuple(getattr(profile, f) for f in fields) == RELEASE_FACTS[version]
    if version == "0.14":
        with RecordingServer() as server:
            AuroraSender(aurora_config(server.url, profile=version), profile=profile).submit(event(1, old=None))
        assert "TimeStamp" in server.arrivals[0].header_names
