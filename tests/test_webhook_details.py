"""Smaller webhook promises the other tests leave open: the settings flags' help names what each
value is, and a refused request's answer says ``Connection: close`` before the server closes."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from aurora_delivery_helpers import send, sender
from aurora_wire_server import Reply, WireServer
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.webhook.delivery_run import open_delivery
from aurorakit.runtime.webhook.receiver import WebhookReceiver
from aurorakit.runtime.webhook.receiver_store import ReceiverStore
from aurorakit.runtime.webhook.settings import SECRET_KEY, SettingsError, add_arguments, from_arguments
from aurorakit.runtime.webhook.signing import generate_secret
from test_delivery_run import config as delivery_config
from test_receiver_attacks import BODY, exchange, limits, post, summary
from test_webhook_helpers import RecordingServer, make_events


def test_settings_help_names_each_flags_value() -> None:
    parser = argparse.ArgumentParser(prog="x")
    add_arguments(parser)
    text = " ".join(parser.format_help().split())
    for usage in ("--delivery MODE", "--secret SECRET", "--spool FILE", "--settings FILE"):
        assert usage in text, usage


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[WebhookReceiver]:
    with WebhookReceiver(ReceiverStore(tmp_path / "received.db"), decode=summary, limits=limits()) as running:
        yield running


@pytest.mark.parametrize("request_bytes, status", [
    (post(b""), 411),
    (b"GET /hook HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY, 405),
])
def test_a_refused_request_is_answered_with_connection_close(receiver: WebhookReceiver, request_bytes: bytes,
                                                             status: int) -> None:
    answer = exchange(receiver, request_bytes)
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert re.match(rb"http/1\.1 %d " % status, head), answer
    assert b"\r\nconnection: close" in head, answer


@pytest.mark.parametrize("size, connections", [(64 * 1024, 1), (64 * 1024 + 8 * 8192, 3)])
def test_an_answer_body_up_to_64_kib_is_read_to_reuse_the_connection(size: int, connections: int) -> None:
    with WireServer(lambda n: Reply(body=b"x" * size)) as server:
        s = sender("0.22", server.url)
        outcomes = [send(s, n) for n in range(3)]
    assert [o.status for o in outcomes] == [200] * 3
    assert server.connections == connections  # a larger answer is cut off and its connection dropped


def _from_file(path: Path) -> object:
    parser = argparse.ArgumentParser(prog="x")
    add_arguments(parser)
    return from_arguments(parser.parse_args(["--settings", str(path)]), environ={})


def test_a_settings_file_that_is_not_utf8_is_one_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b'{"delivery": "\xff"}')
    with pytest.raises(SettingsError) as raised:
        _from_file(path)
    assert str(raised.value).startswith(f"{path}: cannot read the settings file: 'utf-8' codec can't decode")


def test_a_signing_secret_in_the_settings_file_is_taken_and_a_non_string_refused(tmp_path: Path) -> None:
    secret = generate_secret()
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({SECRET_KEY: secret}), encoding="utf-8")
    assert _from_file(path).signing_secret == secret
    path.write_text(json.dumps({SECRET_KEY: 5}), encoding="utf-8")
    with pytest.raises(SettingsError, match=f"^{path}: {SECRET_KEY}: expected a string$"):
        _from_file(path)


def test_aurora_delivery_counts_each_event_handed_over_as_submitted() -> None:
    with RecordingServer() as server:
        delivery = open_delivery(delivery_config(server.url, delivery="aurora"), profile_for("0.22"))
        assert delivery.submitted() == 0
        for event in make_events(2, 1):
            delivery.submit(event)
        assert delivery.submitted() == 2  # a progress total: every event handed over, answered or not
        delivery.finish(None)
