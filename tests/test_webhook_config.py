from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from aurorakit.runtime.webhook.config import (
    CONFIG_KEYS, RetryPolicy, WebhookConfigError, describe_keys, load_config, parse_config)

GOOD = {"targetURL": "http://localhost:5000/", "timeoutMsec": 5}


def bad(**changes: object) -> str:
    config = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            config.pop(key, None)
        else:
            config[key] = value
    return json.dumps(config)


BAD_CONFIGS = [
    # (config text, exact message)
    (bad(targetURL=...), "targetURL: missing (required)"),
    (bad(targetURL=5), "targetURL: expected a string, got integer"),
    (bad(targetURL=""), "targetURL: must not be empty"),
    (bad(targetURL="localhost:5000"), "targetURL: not an absolute URL: 'localhost:5000'"),
    (bad(targetURL="ftp://example.org/x"), "targetURL: unsupported scheme 'ftp' (only http and https)"),
    (bad(targetURL="http:///path"), "targetURL: no host in 'http:///path'"),
    (bad(targetURL="http://host:99999/"), "targetURL: invalid port in 'http://host:99999/'"),
    (bad(targetURL="http://host/a b"), "targetURL: contains whitespace or control characters"),
    (bad(targetURL="http://user:hunter2@host:x/"),
     "targetURL: invalid port in 'http://user:<redacted>@host:x/'"),
    (bad(timeoutMsec=...), "timeoutMsec: missing (required, a positive integer of milliseconds)"),
    (bad(timeoutMsec=0), "timeoutMsec: must be a positive integer, got 0"),
    (bad(timeoutMsec=-5), "timeoutMsec: must be a positive integer, got -5"),
    (bad(timeoutMsec=True), "timeoutMsec: expected an integer, got boolean"),
    (bad(timeoutMsec=2.5), "timeoutMsec: expected an integer, got number 2.5"),
    (bad(timeoutMsec="5"), "timeoutMsec: expected an integer, got string"),
    (bad(timeoutMsec=2**31), "timeoutMsec: too large (at most 2147483647), got 2147483648"),
    (bad(headers=["Content-Type"]), "headers: expected an object of string to string, got array"),
    (bad(headers={"X-Count": 3}), "headers.X-Count: expected a string, got integer"),
    (bad(headers={"Bad Name": "x"}), "headers: invalid header name 'Bad Name'"),
    (bad(headers={"X-A": "one\r\nX-B: two"}), "headers.X-A: value contains a line break"),
    (bad(headers={"Content-Length": "3"}), "headers.Content-Length: set by the sender, cannot be configured"),
    (bad(headers={"X-A": "1", "x-a": "2"}), "headers.x-a: same header as 'X-A'"),
    (bad(statuses="RUNNING"), "statuses: expected an array of status names, got string"),
    (bad(statuses=[]), 'statuses: empty list (use ["*"] for all statuses, or omit the key)'),
    (bad(statuses=["RUNNING", 7]), "statuses[1]: expected a string, got integer"),
    (bad(statuses=["FAILED", "RUNING"]), "statuses[1]: unknown status 'RUNING' (did you mean 'RUNNING'?)"),
    (bad(statuses=["running"]), "statuses[0]: unknown status 'running' (did you mean 'RUNNING'?)"),
    (bad(targetUrl="http://x/"), "targetUrl: unknown key (did you mean 'targetURL'?)"),
    (bad(timeout=5), "timeout: unknown key (did you mean 'timeoutMsec'?)"),
    (bad(colour="blue"), "colour: unknown key"),
    (bad(profile="0.13"), "profile: unsupported Aurora version '0.13' (supported: 0.14 to 0.22)"),
    (bad(profile=0.22), "profile: expected a string, got number"),
    (bad(delivery="fast"), "delivery: expected 'reliable' or 'aurora', got 'fast'"),
    (bad(retry=3), "retry: expected an object, got integer"),
    (bad(retry={"maxAtempts": 3}), "retry.maxAtempts: unknown key (did you mean 'maxAttempts'?)"),
    (bad(retry={"maxAttempts": 0}), "retry.maxAttempts: must be a positive integer, got 0"),
    (bad(retry={"initialBackoffMsec": 500, "maxBackoffMsec": 100}),
     "retry.maxBackoffMsec: must be at least retry.initialBackoffMsec (500), got 100"),
    (bad(retry={"jitter": 1.5}), "retry.jitter: must be between 0 and 1, got 1.5"),
    (bad(retry={"jitter": False}), "retry.jitter: expected a number, got boolean"),
    (bad(retry={"deadlineSec": 0}), "retry.deadlineSec: must be greater than 0, got 0"),
    (bad(spool=7), "spool: expected a string, got integer"),
    (bad(signingSecret="whsec_!!!"), "signingSecret: not valid base64 after the 'whsec_' prefix"),
    (bad(signingSecret="whsec_"), "signingSecret: no key bytes after the 'whsec_' prefix"),
    (bad(delivery="aurora", signingSecret="s3cret"),
     "signingSecret: not used with delivery 'aurora' (Aurora did not sign requests)"),
    (bad(queueSize=0), "queueSize: must be a positive integer, got 0"),
    (bad(workers=65), "workers: too large (at most 64), got 65"),
    ("[1, 2]", "expected a JSON object at the top level, got array"),
    ('{"targetURL": "http://x/",\n "timeoutMsec": 5,,}',
     "invalid JSON at line 2 column 19: Expecting property name enclosed in double quotes"),
    ('{"targetURL": "http://x/", "timeoutMsec": NaN}', "invalid JSON: NaN is not a JSON value"),
    ('{"targetURL": "http://x/", "targetURL": "http://y/", "timeoutMsec": 5}',
     "targetURL: duplicate key"),
]


@pytest.mark.parametrize("text, message", BAD_CONFIGS, ids=[m[:40] for _, m in BAD_CONFIGS])
def test_bad_config_is_refused_with_a_message_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(WebhookConfigError) as caught:
        parse_config(text)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_aurora_documented_sample_is_accepted_with_defaults() -> None:
    sample = """{
      "headers": {"Content-Type": "application/vnd.kafka.json.v1+json", "Producer-Type": "reliable"},
      "targetURL": "http://localhost:5000/",
      "timeoutMsec": 5
    }"""
    config = parse_config(sample)
    assert config.target_url == "http://localhost:5000/"
    assert config.timeout_msec == 5
    assert dict(config.headers) == {"Content-Type": "application/vnd.kafka.json.v1+json",
                                    "Producer-Type": "reliable"}
    assert config.statuses is None and config.wants_status("LOST")
    assert (config.profile, config.delivery, config.retry) == ("0.22", "reliable", RetryPolicy())
    assert (config.spool, config.signing_secret, config.queue_size, config.workers) == (None, None, 10_000, 4)


def test_every_key_parsed() -> None:
    config = parse_config(json.dumps({
        "targetURL": "https://hooks.example/x", "timeoutMsec": 250, "statuses": ["FAILED", "LOST"],
        "profile": "0.19.1", "delivery": "aurora", "spool": "/var/spool.db", "queueSize": 7, "workers": 2,
        "retry": {"maxAttempts": 3, "initialBackoffMsec": 10, "maxBackoffMsec": 20, "jitter": 0,
                  "deadlineSec": 1.5}}))
    assert config.statuses == frozenset({"FAILED", "LOST"})
    assert not config.wants_status("RUNNING")
    assert config.profile == "0.19"
    assert config.retry == RetryPolicy(3, 10, 20, 0.0, 1.5)
    assert (config.queue_size, config.workers, config.delivery) == (7, 2, "aurora")


def test_star_means_all_statuses_and_caller_supplies_valid_names() -> None:
    assert parse_config(bad(statuses=["FAILED", "*"])).statuses is None
    custom = parse_config(bad(statuses=["NEW_STATE"]), valid_statuses=["NEW_STATE"])
    assert custom.statuses == frozenset({"NEW_STATE"})
    with pytest.raises(WebhookConfigError, match=r"statuses\[0\]: unknown status 'RUNNING'"):
        parse_config(bad(statuses=["RUNNING"]), valid_statuses=["NEW_STATE"])


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(WebhookConfigError) as caught:
        load_config(missing)
    assert str(caught.value) == f"{missing}: cannot read: No such file or directory"
    broken = tmp_path / "webhook.json"
    broken.write_text('{"targetURL": ')
    with pytest.raises(WebhookConfigError) as caught:
        load_config(broken)
    assert str(caught.value) == f"{broken}: invalid JSON at line 1 column 15: Expecting value"
    broken.write_text(bad(timeoutMsec=0))
    with pytest.raises(WebhookConfigError) as caught:
        load_config(broken)
    assert str(caught.value) == f"{broken}: timeoutMsec: must be a positive integer, got 0"
    assert caught.value.key == "timeoutMsec"


def test_relative_spool_path_is_taken_from_the_config_folder(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "webhook.json"
    path.parent.mkdir()
    path.write_text(bad(spool="spool.sqlite3"))
    assert load_config(path).spool == str(tmp_path / "conf" / "spool.sqlite3")


def test_secrets_are_redacted_in_repr_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    config = parse_config(json.dumps({
        "targetURL": "http://bob:pa55word@host/x", "timeoutMsec": 5, "signingSecret": "topsecretvalue",
        "headers": {"Authorization": "Bearer abc123", "X-Api-Key": "k-9", "X-Auth-Token": "t-1",
                    "Cookie": "c=1", "Content-Type": "application/json"}}))
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("aurorakit.test").info("config %r", config)
    for text in (repr(config), caplog.text):
        for secret in ("pa55word", "topsecretvalue", "abc123", "k-9", "t-1", "c=1"):
            assert secret not in text
        assert "application/json" in text and "<redacted>" in text


def test_describe_keys_lists_every_key() -> None:
    text = describe_keys()
    for key in CONFIG_KEYS:
        assert key.name in text
    assert len(text.splitlines()) == len(CONFIG_KEYS) + 1
    import aurorakit.runtime.webhook.config as module
    assert all(f"``{key.name}``" in (module.__doc__ or "") for key in CONFIG_KEYS)
