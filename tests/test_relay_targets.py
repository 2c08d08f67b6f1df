"""The relay's HTTP targets: another release's form, each target's own retry policy, secret and dead
letters, the options that set them, and who may post to the relay."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from aurorakit.runtime.aurora.event import decode_event
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.cli.main import main
from aurorakit.runtime.relay.http_target import HttpTarget, TargetSpec
from aurorakit.runtime.relay.outbox import Outbox
from aurorakit.runtime.relay.relay import Relay, RelayConfigError
from aurorakit.runtime.relay.sinks import wait_drained
from aurorakit.runtime.webhook.receiver import ReceiverStore, WebhookReceiver
from aurorakit.runtime.webhook.settings import RetryPolicy
from aurorakit.runtime.webhook.signing import generate_secret
from servers import free_port
from shared import vector_file

CONTENT_TYPE = "application/vnd.kafka.json.v1+json; charset=utf-8"
P22, P14 = profile_for("0.22"), profile_for("0.14")
M22, M14 = P22.models(), P14.models()


def _lifecycle(limit: int | None = None) -> list[bytes]:
    cases = vector_file("aurora-0.22.0-lifecycles.json")["cases"]
    return [case["payload"].encode("utf-8") for case in cases[:limit]]


def _post(url: str, body: bytes, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(url, data=body, headers={"Content-Type": CONTENT_TYPE, **(headers or {})}, timeout=30)


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[WebhookReceiver]:
    store = ReceiverStore(tmp_path / "target.db")
    with WebhookReceiver(store) as running:
        yield running
    store.close()


def test_a_target_gets_another_releases_form_and_back_gives_aurora_s_bytes(tmp_path: Path,
                                                                         receiver: WebhookReceiver) -> None:
    """0.22 events relayed to a 0.14 relay as 0.14, which relays them on as 0.22: the vector's bytes again.

    The middle form is checked against what the releases' notes say 0.14 wrote: Guava's Optional
    (``{"reference":..}``) for oldState, one byte per character (ISO-8859-1 for these names).
    """
    bodies = _lifecycle(40)
    back_box, forth_box = Outbox(tmp_path / "b.db"), Outbox(tmp_path / "a.db")
    back = Relay(back_box, P14, M14, [HttpTarget(TargetSpec(receiver.url, release="0.22"))]).start()
    forth = Relay(forth_box, P22, M22, [HttpTarget(TargetSpec(back.url, release="0.14"))]).start()
    try:
        for body in bodies:
            assert _post(forth.url, body).status_code == 200
        assert wait_drained(forth_box, 60) and wait_drained(back_box, 60)
        middle = [event.body for event in back_box.after("nobody", len(bodies) + 1, seq=0)]
    finally:
        forth.stop()
        back.stop()
    assert [d.body for d in receiver.store.all()] == bodies
    assert forth_box.dead() == [] and back_box.dead() == []
    assert len(middle) == len(bodies) and all(m != b for m, b in zip(middle, bodies))
    for before, after in zip(bodies, middle):
        text = after.decode("iso-8859-1")
        assert after == text.encode("iso-8859-1")  # one byte per character
        decode_event(text, M14)  # a 0.14 payload
        if b'"oldState":{"value":' in before:
            assert '"oldState":{"reference":' in text and '"value"' not in text.split('"oldState"')[1]
    assert "\u00f1and\u00fa" in "".join(m.decode("iso-8859-1") for m in middle)
    forth_box.close()
    back_box.close()


def test_an_event_the_target_release_cannot_hold_is_dead_lettered_for_that_target_only(
        tmp_path: Path, receiver: WebhookReceiver) -> None:
    body = _lifecycle(1)[0]
    # task.status (the first "status": after assignedTask) PENDING -> PARTITIONED, a 0.20+ status
    partitioned = body.replace(b'},"status":"PENDING","failureCount"', b'},"status":"PARTITIONED","failureCount"', 1)
    assert partitioned != body
    outbox = Outbox(tmp_path / "relay.db")
    old, new = TargetSpec(receiver.url, release="0.19"), TargetSpec(receiver.url)
    relay = Relay(outbox, P22, M22, [HttpTarget(old), HttpTarget(new)]).start()
    try:
        assert _post(relay.url, partitioned).status_code == 200
        assert wait_drained(outbox, 30)
    finally:
        relay.stop()
    [dead] = outbox.dead()
    assert dead.sink == old.name == f"http:{receiver.url} as 0.19" and dead.body == partitioned
    assert "PARTITIONED" in dead.reason and dead.reason.startswith("cannot put it in Aurora 0.19's form")
    assert [d.body for d in receiver.store.all()] == [partitioned]  # the other target got it as received
    outbox.close()


def test_each_target_has_its_own_deadline_attempts_and_secret(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    bodies = _lifecycle(2)
    secret = generate_secret()
    signed_store = ReceiverStore(tmp_path / "signed.db")
    outbox = Outbox(tmp_path / "relay.db")
    down = f"http://127.0.0.1:{free_port()}/"
    quick = RetryPolicy(initial_backoff_msec=20, max_backoff_msec=40)
    by_deadline = TargetSpec(down, retry=RetryPolicy(initial_backoff_msec=20, max_backoff_msec=40, deadline_sec=0.6))
    by_attempts = TargetSpec(down, release="0.22", retry=RetryPolicy(initial_backoff_msec=20, max_attempts=3))
    with WebhookReceiver(signed_store, secret=secret) as signed:  # refuses unsigned or wrongly signed posts
        wrong = TargetSpec(signed.url, release="0.20", secret=generate_secret(), retry=quick)
        right = TargetSpec(signed.url, secret=secret, retry=quick)
        targets = [HttpTarget(spec) for spec in (by_deadline, by_attempts, wrong, right)]
        relay = Relay(outbox, P22, M22, targets).start()
        try:
            started = time.monotonic()
            for body in bodies:
                assert _post(relay.url, body).status_code == 200
            assert wait_drained(outbox, 30)
            took = time.monotonic() - started
        finally:
            relay.stop()
    assert [d.body for d in signed_store.all()] == bodies
    dead = {(d.sink, d.body): d.reason for d in outbox.dead()}
    assert set(dead) == {(spec.name, body) for spec in (by_deadline, by_attempts, wrong) for body in bodies}
    assert all("retry deadline (0.6 s after acceptance) passed" in dead[by_deadline.name, b] for b in bodies)
    assert all(dead[by_attempts.name, b].endswith("after 3 attempts") for b in bodies)
    assert all(dead[wrong.name, b] == "HTTP 401" for b in bodies)  # not retried: the receiver refused it
    assert took < 10
    capsys.readouterr()
    assert main(["relay", "--record", str(tmp_path / "relay.db"), "--dead-letters", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {(line["sink"], line["payload"].encode("utf-8")) for line in listed} == set(dead)
    assert all(line["reason"] == dead[line["sink"], line["payload"].encode("utf-8")] for line in listed)
    signed_store.close()
    outbox.close()


def _relay_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[int, list[str]]:
    try:
        code = main(["relay", "--aurora", "0.22", "--port", "0", "--record", str(tmp_path / "r.db"), *args])
    except SystemExit as done:  # argparse's own refusals
        code = int(done.code or 0)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err.splitlines()


@pytest.mark.parametrize(("args", "message"), [
    (["--target-release", "0.19", "--target", "http://a/"],
     "--target-release: give it after the --target URL it applies to"),
    (["--target", "http://a/", "--target-deadline-sec", "-1"],
     "--target http://a/ --target-deadline-sec: must be a number greater than 0, got -1.0"),
    (["--target", "http://a/", "--target-max-attempts", "x"],
     "--target http://a/ --target-max-attempts: expected an integer, got 'x'"),
    (["--target", "http://a/", "--target-release", "0.99"], "--target http://a/ --target-release: "),
    (["--target", "http://a/", "--target-release", "0.19", "--target-release", "0.20"],
     "--target-release: given twice for --target http://a/"),
    (["--target", "ftp://a/"], "--target ftp://a/: url: expected an http:// or https:// URL, got 'ftp://a/'"),
    (["--target", "http://a/", "--target-secret-file", "/nonexistent/s"],
     "--target http://a/ --target-secret-file: cannot read the secret file /nonexistent/s"),
    (["--target", "http://a/", "--target-initial-backoff-msec", "900", "--target-max-backoff-msec", "10"],
     "--target http://a/ --target-max-backoff-msec: must be at least"),
    (["--target", "http://a/", "--target", "http://a/"], "target http://a/: given twice"),
    (["--port", "70000", "--nats", "nats://x"], "argument --port: expected a port number from 0 to 65535, got '70000'"),
    (["--nats", "nats://x", "--host", "0.0.0.0"], "--host 0.0.0.0: not a loopback address"),
    (["--nats", "nats://x", "--auth-token-file", "/nonexistent/t"], "--auth-token-file /nonexistent/t: cannot read"),
    ([], "relay: give --nats URL and/or --target URL"),
    (["--target-max-attempts", "2", "--target", "http://a/"],
     "argument --target-max-attempts: give it after the --target URL it applies to"),
    (["--target", "http://a/", "--target-max-attempts", "2", "--target-max-attempts", "3"],
     "argument --target-max-attempts: given twice for --target http://a/"),
    (["--dead-letters"], "r.db: no such file"),
    (["--nats", "127.0.0.1:4222"], "argument --nats: expected a URL like nats://127.0.0.1:4222, got '127.0.0.1:4222'"),
    (["--nats", "nats://h:x"], "argument --nats: expected a port number in 'nats://h:x'"),
])
def test_bad_relay_options_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str],
                                        message: str) -> None:
    code, lines = _relay_cli(capsys, tmp_path, *args)
    assert code == 2 and len(lines) == 1 and message in lines[0], lines
    assert not (tmp_path / "r.db").exists()  # refused before anything was made


@pytest.mark.parametrize(("settings", "message"), [
    ("{", "r.json: invalid JSON at line 1 column 2"),
    ('{"target": []}', "r.json: target: unknown setting (known: targets)"),
    ('{"targets": {}}', "r.json: targets: expected a list"),
    ('{"targets": ["http://a/"]}', "r.json: targets[0]: expected an object with a url"),
    ('{"targets": [{"url": "http://a/", "workers": 2}]}', "r.json: targets[0]: workers: unknown key"),
    ('{"targets": [{"url": "http://a/", "retry": {"deadlineSec": "1"}}]}',
     "r.json: targets[0]: retry.deadlineSec: expected a number"),
    ('{"targets": [{"url": "http://a/", "timeoutSec": 0}]}', "r.json: targets[0]: timeoutSec: must be a number"),
    ('{"targets": [{"url": "http://a/", "signingSecretFile": "missing"}]}',
     "r.json: targets[0]: signingSecretFile: cannot read the secret file"),
])
def test_bad_settings_files_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, settings: str,
                                         message: str) -> None:
    (tmp_path / "r.json").write_text(settings, encoding="utf-8")
    code, lines = _relay_cli(capsys, tmp_path, "--settings", str(tmp_path / "r.json"))
    assert code == 2 and len(lines) == 1 and message in lines[0], lines


def test_settings_file_and_flags_give_each_target_its_policies(tmp_path: Path) -> None:
    from argparse import ArgumentParser

    from aurorakit.runtime.cli.target_arguments import add_target_arguments, targets_from_arguments
    (tmp_path / "a.secret").write_text("whsec_" + "QUJD" * 8 + "\n", encoding="utf-8")
    (tmp_path / "relay.json").write_text(json.dumps({"targets": [
        {"url": "http://a/", "aurora": "0.19.1", "signingSecretFile": "a.secret",
         "retry": {"deadlineSec": 600, "maxBackoffMsec": 10000}, "timeoutSec": 2.5}]}), encoding="utf-8")
    parser = ArgumentParser()
    add_target_arguments(parser)
    args = parser.parse_args(["--settings", str(tmp_path / "relay.json"), "--target", "http://b/",
                              "--target-max-attempts", "4", "--target-jitter", "0", "--target", "http://c/"])
    a, b, c = targets_from_arguments(args)
    assert (a.url, a.release, a.secret, a.timeout_sec) == ("http://a/", "0.19", "whsec_" + "QUJD" * 8, 2.5)
    assert (a.retry.deadline_sec, a.retry.max_backoff_msec, a.retry.initial_backoff_msec) == (600, 10000, 500)
    assert (b.url, b.release, b.secret, b.retry.max_attempts, b.retry.jitter) == ("http://b/", None, None, 4, 0)
    assert c == TargetSpec("http://c/") and c.retry == RetryPolicy() and c.retry.deadline_sec == 86400
    assert "QUJD" not in repr(a)


def test_an_open_address_needs_a_token_and_then_only_the_token_gets_in(tmp_path: Path,
                                                                     receiver: WebhookReceiver) -> None:
    outbox = Outbox(tmp_path / "relay.db")
    with pytest.raises(RelayConfigError, match="not a loopback address"):
        Relay(outbox, P22, M22, [], host="0.0.0.0")
    relay = Relay(outbox, P22, M22, [HttpTarget(TargetSpec(receiver.url))], host="0.0.0.0",
                  auth_token="s3cret-token").start()
    url = f"http://127.0.0.1:{relay.url.rsplit(':', 1)[1]}"
    body = _lifecycle(1)[0]
    try:
        assert _post(url, body).status_code == 401
        assert _post(url, body, {"Authorization": "Bearer wrong"}).status_code == 401
        assert _post(url, body, {"Authorization": "s3cret-token"}).status_code == 401
        assert _post(url, body, {"Authorization": "Bearer s3cret-token"}).status_code == 200
        assert wait_drained(outbox, 30)
    finally:
        relay.stop()
    assert outbox.count() == 1 and [d.body for d in receiver.store.all()] == [body]
    outbox.close()


def test_consume_from_an_unreachable_server_is_one_clear_error() -> None:
    from aurorakit.runtime.relay.consume import messages
    from aurorakit.runtime.relay.nats_connect import NatsUnreachable
    url = f"nats://127.0.0.1:{free_port()}"
    with pytest.raises(NatsUnreachable, match=rf"^--nats {url}: cannot connect within 0.5 s: ConnectionRefused"):
        list(messages(url, connect_within=0.5))


@pytest.mark.parametrize(("args", "message"), [
    (["--nats", "bogus"], "argument --nats: expected a URL like nats://127.0.0.1:4222, got 'bogus'"),
    (["--nats", "nats://127.0.0.1:4222", "--since", "yesterday"],
     "argument --since: expected an ISO 8601 time like 2026-12-01T22:00:00+00:00, got 'yesterday'"),
    (["--nats", "nats://127.0.0.1:4222", "--from-seq", "0"],
     "argument --from-seq: expected a whole number > 0, got '0'"),
    (["--nats", "nats://127.0.0.1:4222", "--from-seq", "1", "--since", "2026-01-01"],
     "argument --since: not allowed with argument --from-seq"),
])
def test_bad_consume_options_are_one_line(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as done:
        main(["consume", *args])
    lines = capsys.readouterr().err.splitlines()
    assert done.value.code == 2 and len(lines) == 1 and message in lines[0], lines


def test_running_a_relay_needs_a_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["relay", "--nats", "nats://127.0.0.1:4222"]) == 2
    assert capsys.readouterr().err == "aurorakit: relay: --port needed (or --dead-letters)\n"


def test_relay_behaves_as_0_22_unless_told(capsys: pytest.CaptureFixture[str]) -> None:
    """As the README says of every command: --aurora defaults to 0.22."""
    from aurorakit.runtime.cli.main import build_parser
    assert build_parser().parse_args(["relay", "--port", "0"]).aurora == "0.22"
    assert build_parser().parse_args(["relay", "--port", "0", "--aurora", "0.19"]).aurora == "0.19"
    with pytest.raises(SystemExit):
        main(["relay", "--help"])
    assert "default 0.22" in capsys.readouterr().out
