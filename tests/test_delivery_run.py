"""The delivery run both ``send`` and ``simulate`` use, against real servers on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.webhook.config import WebhookConfig, parse_config
from aurorakit.runtime.webhook.delivery_run import AuroraDelivery, ReliableDelivery, open_delivery
from aurorakit.runtime.webhook.spool import SpoolError
from test_webhook_helpers import Answer, RecordingServer, make_events, unused_port

PROFILE = profile_for("0.22")


def config(url: str, **settings: object) -> WebhookConfig:
    text = json.dumps({"targetURL": url, "timeoutMsec": 2000, "headers": {"Content-Type": "application/json"}})
    return parse_config(text, settings=settings)


def test_aurora_delivery_counts_every_answer_and_fails_when_one_was_not_200() -> None:
    statuses = {1: 200, 2: 500, 3: 200}
    with RecordingServer(lambda n: Answer(statuses[n])) as server:
        delivery = open_delivery(config(server.url, delivery="aurora"), PROFILE)
        assert isinstance(delivery, AuroraDelivery)
        assert all(delivery.submit(event) for event in make_events(3, 1))
        finished: list[int] = []
        report = delivery.finish(None, progress=finished.append)
    assert len(server.arrivals) == 3
    assert {name: report.counters[name] for name in ("posted", "answered_200", "answered_other", "no_answer")} \
        == {"posted": 3, "answered_200": 2, "answered_other": 1, "no_answer": 0}
    assert finished == [3]
    assert report.exit_status() == 1


def test_aurora_delivery_with_every_event_answered_200_exits_0() -> None:
    with RecordingServer() as server:
        delivery = open_delivery(config(server.url, delivery="aurora"), PROFILE)
        for event in make_events(2, 1):
            delivery.submit(event)
        report = delivery.finish(None)
    assert report.counters["answered_200"] == 2 and report.exit_status() == 0
    assert report.notes == [] and report.problems == []


def test_reliable_delivery_waits_for_every_event_and_reports_it_delivered(tmp_path: Path) -> None:
    spool = tmp_path / "spool.db"
    with RecordingServer() as server:
        delivery = open_delivery(config(server.url, spool=str(spool)), PROFILE)
        assert isinstance(delivery, ReliableDelivery)
        events = make_events(2, 2)
        assert all(delivery.submit(event) for event in events)
        assert delivery.submitted() == 4
        finished: list[int] = []
        report = delivery.finish(None, progress=finished.append)
    assert sorted(arrival.webhook_id for arrival in server.arrivals) == sorted(e.event_id for e in events)
    assert report.counters["delivered"] == 4 and report.counters["not_delivered"] == 0
    assert finished[-1] == 4 and finished == sorted(finished)
    assert report.exit_status() == 0 and report.notes == []


def test_reliable_delivery_says_where_undelivered_events_stay(tmp_path: Path) -> None:
    spool = tmp_path / "spool.db"
    delivery = open_delivery(config(f"http://127.0.0.1:{unused_port()}/", spool=str(spool)), PROFILE)
    for event in make_events(3, 1):
        delivery.submit(event)
    report = delivery.finish(0.2)
    assert report.counters["not_delivered"] == 3
    assert report.notes == [f"3 event(s) not delivered yet; they stay in the spool {spool}; "
                            f"'aurorakit send --config ... --resume' sends them"]
    assert report.exit_status() == 1 and not report.interrupted


def test_reliable_delivery_sends_an_event_already_spooled_only_once(tmp_path: Path) -> None:
    spool = tmp_path / "spool.db"
    event = make_events(1, 1)[0]
    with RecordingServer() as server:
        delivery = open_delivery(config(server.url, spool=str(spool)), PROFILE)
        delivery.submit(event)
        delivery.submit(event)
        report = delivery.finish(None)
    assert len(server.arrivals) == 1
    assert report.counters["duplicates"] == 1
    assert report.notes == ["1 event(s) were already in the spool (sent or given up before, same event id): "
                            "not sent again"]


def test_resuming_needs_the_spool_file_to_exist(tmp_path: Path) -> None:
    with pytest.raises(SpoolError):
        open_delivery(config("http://127.0.0.1:9/", spool=str(tmp_path / "none.db")), PROFILE, resume=True)
    assert not (tmp_path / "none.db").exists()


def test_quirks_go_with_aurora_delivery_only() -> None:
    with pytest.raises(ValueError, match="only with delivery 'aurora'"):
        open_delivery(config("http://127.0.0.1:9/"), PROFILE, disabled_quirks=["no-counters"])


def test_a_body_quirk_switched_off_changes_the_encoding_bodies_are_made_in() -> None:
    aurora = config("http://127.0.0.1:9/", delivery="aurora")
    as_released = open_delivery(aurora, profile_for("0.16"))
    latin1_off = open_delivery(aurora, profile_for("0.16"), disabled_quirks=["latin1-body"])
    reliable = open_delivery(config("http://127.0.0.1:9/"), PROFILE)
    try:
        assert (as_released.encoding, latin1_off.encoding, reliable.encoding) == (None, "utf-8", None)
        assert as_released.content_type == "application/json"
    finally:
        for delivery in (as_released, latin1_off, reliable):
            delivery.finish(0.0)
