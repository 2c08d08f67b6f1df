"""webhook.json as each Aurora release read it (section 3 of the behaviour doc), and what aurorakit can send.

Every expected outcome below is written by hand from the doc, not taken from the code.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aurorakit.runtime.webhook.config import RetryPolicy, load_config, parse_config
from aurorakit.runtime.webhook.webhook_json import CONFIG_KEYS, WebhookConfigError, describe_keys, read_aurora_config

SAMPLE = """{
  "headers": {"Content-Type": "application/vnd.kafka.json.v1+json", "Producer-Type": "reliable"},
  "targetURL": "http://localhost:5000/",
  "timeoutMsec": 5
}"""  # the documented sample
BASE: dict[str, Any] = {"targetURL": "http://localhost:5000/", "timeoutMsec": 5, "headers": {}}
EVERY = ("0.14", "0.15", "0.16", "0.17", "0.18", "0.19", "0.20", "0.21", "0.22")
BEFORE_STATUSES = ("0.14", "0.15", "0.16", "0.17", "0.18")
WITH_STATUSES = ("0.19", "0.20", "0.21", "0.22")


def cfg(**changes: Any) -> str:
    config = dict(BASE)
    for key, value in changes.items():
        if value is ...:
            config.pop(key)
        else:
            config[key] = value
    return json.dumps(config)


# (releases, text, (targetURL, timeoutMsec, headers in order, statuses)) -- the release starts.
STARTS: list[tuple[tuple[str, ...], str, tuple[str, int, tuple[tuple[str, str], ...], frozenset[str] | None]]] = [
    (EVERY, SAMPLE, ("http://localhost:5000/", 5, (("Content-Type", "application/vnd.kafka.json.v1+json"),
                                                   ("Producer-Type", "reliable")), None)),
    (EVERY, cfg(timeoutMsec="5000"), ("http://localhost:5000/", 5000, (), None)),
    (EVERY, cfg(timeoutMsec=5.9), ("http://localhost:5000/", 5, (), None)),
    (EVERY, '{"targetURL": "http://h/", "timeoutMsec": 1e3, "headers": {}}', ("http://h/", 1000, (), None)),
    (EVERY, cfg(timeoutMsec=0), ("http://localhost:5000/", 0, (), None)),
    (EVERY, cfg(timeoutMsec=-20), ("http://localhost:5000/", -20, (), None)),
    (EVERY, '{"targetURL": "http://h/", "timeoutMsec": 7, "headers": {"X-N": 3, "X-R": 1.50, "X-B": true, '
            '"X-F": false}}', ("http://h/", 7, (("X-N", "3"), ("X-R", "1.50"), ("X-B", "true"), ("X-F", "false")),
                               None)),
    (EVERY, cfg(targetURL="ftp://example.org/x"), ("ftp://example.org/x", 5, (), None)),
    (EVERY, cfg(targetURL="mailto:ops@example.org"), ("mailto:ops@example.org", 5, (), None)),
    (EVERY, cfg(headers={"Content-Type": "application/json; charset=utf-8"}),
     ("http://localhost:5000/", 5, (("Content-Type", "application/json; charset=utf-8"),), None)),
    (WITH_STATUSES, cfg(statuses=[]), ("http://localhost:5000/", 5, (), frozenset())),
    (WITH_STATUSES, cfg(statuses=None), ("http://localhost:5000/", 5, (), None)),
    (WITH_STATUSES, cfg(statuses=["FAILED", "*"]), ("http://localhost:5000/", 5, (), None)),
    (WITH_STATUSES, cfg(statuses=["FAILED", "LOST"]),
     ("http://localhost:5000/", 5, (), frozenset({"FAILED", "LOST"}))),
    (("0.20", "0.21", "0.22"), cfg(statuses=["PARTITIONED"]),
     ("http://localhost:5000/", 5, (), frozenset({"PARTITIONED"}))),
]


@pytest.mark.parametrize("releases, text, expected", STARTS, ids=[f"starts-{i}" for i in range(len(STARTS))])
def test_configs_each_release_starts_with(releases: tuple[str, ...], text: str,
                                          expected: tuple[str, int, tuple[tuple[str, str], ...], Any]) -> None:
    for release in releases:
        aurora = read_aurora_config(text, release)
        assert (aurora.target_url, aurora.timeout_msec, aurora.headers, aurora.statuses) == expected, release
        assert aurora.profile.version == release


# (releases, text, exact message with {r} for the release) -- the release does not start.
DOES_NOT_START: list[tuple[tuple[str, ...], str, str]] = [
    (EVERY, cfg(headers=...), "headers: missing (required: Aurora {r} stops at startup)"),
    (EVERY, cfg(headers=None), "headers: null (required: Aurora {r} stops at startup)"),
    (EVERY, cfg(targetURL=...), "targetURL: missing (required: Aurora {r} stops at startup)"),
    (EVERY, cfg(targetURL=None), "targetURL: null (required: Aurora {r} stops at startup)"),
    (EVERY, cfg(timeoutMsec=...), "timeoutMsec: missing (required: Aurora {r} stops at startup)"),
    (EVERY, cfg(timeoutMsec=None), "timeoutMsec: null (required: Aurora {r} stops at startup)"),
    (BEFORE_STATUSES, cfg(statuses=["FAILED"]),
     "statuses: Aurora {r} does not know this key (it came in 0.19): the scheduler stops at startup"),
    (BEFORE_STATUSES, cfg(statuses=None),
     "statuses: Aurora {r} does not know this key (it came in 0.19): the scheduler stops at startup"),
    (("0.19",), cfg(statuses=["PARTITIONED"]),
     "statuses[0]: unknown status 'PARTITIONED' in Aurora 0.19 (it came in 0.20): the scheduler stops at startup"),
    (WITH_STATUSES, cfg(statuses=["FAILED", "running"]),
     "statuses[1]: unknown status 'running' in Aurora {r} (did you mean 'RUNNING'?): the scheduler stops at startup"),
    (WITH_STATUSES, cfg(statuses=["RUNING"]),
     "statuses[0]: unknown status 'RUNING' in Aurora {r} (did you mean 'RUNNING'?): the scheduler stops at startup"),
    (WITH_STATUSES, cfg(statuses="RUNNING"), "statuses: expected an array of status names, got string"),
    (WITH_STATUSES, cfg(statuses=[7]), "statuses[0]: expected a string, got number"),
    (EVERY, cfg(colour="blue"), "colour: unknown key: Aurora {r} stops at startup"),
    (EVERY, cfg(targetUrl="http://x/"),
     "targetUrl: unknown key (did you mean 'targetURL'?): Aurora {r} stops at startup"),
    (EVERY, cfg(timeoutMsec=True), "timeoutMsec: expected a number of milliseconds, got boolean"),
    (EVERY, cfg(timeoutMsec=[5]), "timeoutMsec: expected a number of milliseconds, got array"),
    (EVERY, cfg(timeoutMsec=2**31), "timeoutMsec: 2147483648 is out of range of a Java int"),
    (EVERY, cfg(timeoutMsec=-(2**31) - 1), "timeoutMsec: -2147483649 is out of range of a Java int"),
    (EVERY, cfg(timeoutMsec=1e300), "timeoutMsec: 1e+300 is out of range of a Java int"),
    (EVERY, cfg(timeoutMsec="five"), "timeoutMsec: the string 'five' is not a whole number (only strings of digits "
                                     "are documented as accepted: aurorakit refuses it)"),
    (EVERY, cfg(headers=["Content-Type"]), "headers: expected an object of header names to values, got array"),
    (EVERY, cfg(headers={"X-A": None}), "headers.X-A: null (not documented: aurorakit refuses it)"),
    (EVERY, cfg(headers={"X-A": {"b": 1}}), "headers.X-A: expected a string, number or boolean, got object"),
    (EVERY, cfg(targetURL=5), "targetURL: expected a string, got number"),
    (EVERY, cfg(targetURL=""), "targetURL: not a URI: empty, or contains whitespace or control characters"),
    (EVERY, cfg(targetURL="http://h/a b"),
     "targetURL: not a URI: empty, or contains whitespace or control characters"),
    (EVERY, "[1, 2]", "expected a JSON object at the top level, got array"),
    (EVERY, '{"targetURL": "http://x/",\n "timeoutMsec": 5,,}',
     "invalid JSON at line 2 column 19: Expecting property name enclosed in double quotes"),
    (EVERY, '{"targetURL": "http://x/", "timeoutMsec": NaN, "headers": {}}', "invalid JSON: NaN is not a JSON value"),
    (EVERY, '{"targetURL": "http://x/", "timeoutMsec": 1e999, "headers": {}}',
     "timeoutMsec: 1e999 is out of range of a Java int"),  # infinity as a double: no int of it
    (EVERY, '{"targetURL": "http://x/", "headers": {}, "timeoutMsec": 5} x',
     "invalid JSON at line 1 column 61: Extra data"),
    (EVERY, '{"targetURL": "http://x/", "targetURL": "http://y/", "timeoutMsec": 5, "headers": {}}',
     "targetURL: duplicate key (which one a release keeps is not documented: aurorakit refuses it)"),
    (EVERY, "[" * 100_000, "nested too deeply to be a webhook config"),
]


@pytest.mark.parametrize("releases, text, message", DOES_NOT_START,
                         ids=[f"stops-{i}" for i in range(len(DOES_NOT_START))])
def test_configs_each_release_does_not_start_with(releases: tuple[str, ...], text: str, message: str) -> None:
    for release in releases:
        with pytest.raises(WebhookConfigError) as caught:
            read_aurora_config(text, release)
        assert str(caught.value) == message.format(r=release)
        with pytest.raises(WebhookConfigError):  # and aurorakit will not send with it either
            parse_config(text, release=release)


def test_bytes_are_read_as_strict_utf8() -> None:
    text = json.dumps({**BASE, "headers": {"X-Team": "équipe"}}, ensure_ascii=False)
    good = text.encode("utf-8")
    assert read_aurora_config(good, "0.22").headers == (("X-Team", "équipe"),)
    for data, message in [
        (b"\xef\xbb\xbf" + good, "starts with a UTF-8 byte order mark, which is not JSON (remove it)"),
        (text.encode("latin-1"), f"not valid UTF-8 (byte {text.index('é')})"),
    ]:
        with pytest.raises(WebhookConfigError) as caught:
            read_aurora_config(data, "0.22", source="webhook.json")
        assert str(caught.value) == f"webhook.json: {message}"


def test_old_aurorakit_keys_say_where_each_goes_now() -> None:
    old = cfg(profile="0.19", delivery="aurora", spool="s.db", retry={"maxAttempts": 3}, signingSecret="hush",
              queueSize=5, workers=2)
    with pytest.raises(WebhookConfigError) as caught:
        parse_config(old, source="webhook.json")
    text = str(caught.value)
    assert text.startswith("webhook.json: profile: aurorakit settings do not belong in webhook.json "
                           "(a real scheduler stops at startup on any key it does not know); move them: ")
    for moved in ['profile -> --aurora, AURORAKIT_AURORA or "aurora" in the settings file',
                  'delivery -> --delivery, AURORAKIT_DELIVERY or "delivery" in the settings file',
                  'spool -> --spool, AURORAKIT_SPOOL or "spool" in the settings file',
                  'retry -> --retry-* flags, AURORAKIT_RETRY_* variables or "retry" in the settings file',
                  'signingSecret -> AURORAKIT_WEBHOOK_SECRET, a secret file (--secret-file',
                  'queueSize -> --queue-size, AURORAKIT_QUEUE_SIZE or "queueSize" in the settings file',
                  'workers -> --workers, AURORAKIT_WORKERS or "workers" in the settings file']:
        assert moved in text
    assert "hush" not in text and text.count("\n") == 0


# Aurora starts with these, but no HTTP request can carry them: aurorakit refuses them at config time
# (before, a bad header left events leased forever).
UNSENDABLE = [
    ({"X-A\n": "v"}, "headers: invalid header name 'X-A\\n' (a request cannot carry it)"),  # "$" matched before "\n"
    ({"Bad Name": "v"}, "headers: invalid header name 'Bad Name' (a request cannot carry it)"),
    ({"": "v"}, "headers: invalid header name '' (a request cannot carry it)"),
    ({"X-A": "one\r\nX-B: two"}, "headers.X-A: value contains a line break or NUL (a request cannot carry it)"),
    ({"X-A": "a\0b"}, "headers.X-A: value contains a line break or NUL (a request cannot carry it)"),
    ({"X-Team": "caf\u00e9 \u2615"},
     "headers.X-Team: value 'café ☕' has a character outside ISO-8859-1 U+2615 (a request cannot carry it)"),
    ({"Authorization": "Bearer \u20ac-token"},
     "headers.Authorization: value <redacted> has a character outside ISO-8859-1 (a request cannot carry it)"),
    ({"Content-Length": "3"}, "headers.Content-Length: set by the sender, cannot be configured"),
    ({"webhook-id": "x"}, "headers.webhook-id: set by the sender, cannot be configured"),
    *[({name: "x"}, f"headers.{name}: set by the sender, cannot be configured")
      for name in ("Host", "Transfer-Encoding", "Connection", "Webhook-Timestamp", "webhook-signature")],
    ({"X-A": "1", "x-a": "2"}, "headers.x-a: same header as 'X-A'"),
    ({"x-team": "1", "X-Team": "2"}, "headers.X-Team: same header as 'x-team'"),
]


@pytest.mark.parametrize("headers, message", UNSENDABLE, ids=[m[:40] for _, m in UNSENDABLE])
def test_headers_that_cannot_be_sent_are_config_errors(headers: dict[str, str], message: str) -> None:
    text = cfg(headers=headers)
    read_aurora_config(text, "0.22")  # the release itself starts
    for delivery in ("reliable", "aurora"):
        with pytest.raises(WebhookConfigError) as caught:
            parse_config(text, settings={"delivery": delivery}, source="webhook.json")
        assert str(caught.value) == "webhook.json: " + message


def test_latin1_header_values_are_sendable() -> None:
    config = parse_config(cfg(headers={"X-Team": "équipe ÿ", "X-A": "a\tb"}))
    assert dict(config.headers) == {"X-Team": "équipe ÿ", "X-A": "a\tb"}


def test_what_aurorakit_refuses_to_send_with_although_the_release_starts() -> None:
    ftp = cfg(targetURL="ftp://example.org/x")
    assert parse_config(ftp, settings={"delivery": "aurora"}).target_url == "ftp://example.org/x"  # fails per event
    with pytest.raises(WebhookConfigError) as caught:
        parse_config(ftp)
    assert str(caught.value) == ("targetURL: the scheme 'ftp' is not http or https ('ftp://example.org/x'): every "
                                 "event fails (reliable delivery needs an http(s) URL)")
    for release, timeout, said in [  # the meanings are the client facts delivery 'aurora' acts on
        ("0.14", 0, "Aurora 0.14 took it as: no limit"),
        ("0.14", -1, "Aurora 0.14 took it as: every event fails (HttpURLConnection refuses a negative timeout)"),
        ("0.16", 0, "Aurora 0.16 took it as: no limit"),
        ("0.22", 0, "Aurora 0.22 took it as: every request times out at once"),
        ("0.22", -5, "Aurora 0.22 took it as: as 0: every request times out at once"),
    ]:
        with pytest.raises(WebhookConfigError) as caught:
            parse_config(cfg(timeoutMsec=timeout), release=release)
        assert str(caught.value) == f"timeoutMsec: {timeout}: {said}; reliable delivery needs a positive timeout"
        aurora = parse_config(cfg(timeoutMsec=timeout), release=release, settings={"delivery": "aurora"})
        assert aurora.timeout_msec == timeout  # delivery 'aurora' sends, acting the value out as the release did


def test_the_documented_sample_joined_with_default_settings() -> None:
    config = parse_config(SAMPLE)
    assert config.target_url == "http://localhost:5000/" and config.timeout_msec == 5
    assert list(config.headers.items()) == [("Content-Type", "application/vnd.kafka.json.v1+json"),
                                            ("Producer-Type", "reliable")]
    assert config.statuses is None and config.wants_status("LOST")
    assert (config.profile, config.delivery) == ("0.22", "reliable")
    assert (config.spool, config.signing_secret, config.queue_size, config.workers) == (None, None, 10_000, 4)
    assert config.retry == RetryPolicy()


def test_release_and_settings_come_from_outside_the_file() -> None:
    config = parse_config(cfg(statuses=["FAILED", "LOST"]), release="0.19.1", settings={
        "delivery": "aurora", "workers": 2, "queueSize": 7})
    assert (config.profile, config.delivery, config.workers, config.queue_size) == ("0.19", "aurora", 2, 7)
    assert config.statuses == frozenset({"FAILED", "LOST"}) and not config.wants_status("RUNNING")
    assert parse_config(cfg(), settings={"aurora": "0.16"}).profile == "0.16"
    assert parse_config(cfg(), release="0.14", settings={"aurora": "0.16"}).profile == "0.14"
    empty = parse_config(cfg(statuses=[]), release="0.20")
    assert empty.statuses == frozenset() and not any(empty.wants_status(s) for s in ("RUNNING", "FAILED"))


def test_caller_supplied_status_names() -> None:
    custom = parse_config(cfg(statuses=["NEW_STATE"]), valid_statuses=["NEW_STATE"])
    assert custom.statuses == frozenset({"NEW_STATE"})
    with pytest.raises(WebhookConfigError, match=r"statuses\[0\]: unknown status 'RUNNING'"):
        parse_config(cfg(statuses=["RUNNING"]), valid_statuses=["NEW_STATE"])


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
    broken.write_text(cfg(headers=...))
    with pytest.raises(WebhookConfigError) as caught:
        load_config(broken, release="0.17")
    assert str(caught.value) == f"{broken}: headers: missing (required: Aurora 0.17 stops at startup)"
    assert caught.value.key == "headers"


def test_secrets_are_redacted_in_repr_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    config = parse_config(cfg(targetURL="http://bob:pa55word@host/x", headers={
        "Authorization": "Bearer abc123", "X-Api-Key": "k-9", "X-Auth-Token": "t-1", "Cookie": "c=1",
        "Content-Type": "application/json"}), settings={"signingSecret": "topsecretvalue"})
    aurora = read_aurora_config(cfg(targetURL="http://bob:pa55word@host/x", headers={"Authorization": "Bearer abc123"}),
                                "0.22")
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("aurorakit.test").info("config %r %r", config, aurora)
    for text in (repr(config), repr(aurora), caplog.text):
        for secret in ("pa55word", "topsecretvalue", "abc123", "k-9", "t-1", "c=1"):
            assert secret not in text
        assert "<redacted>" in text


def test_describe_keys_lists_every_aurora_key() -> None:
    text = describe_keys()
    assert [line.split()[0] for line in text.splitlines()[1:5]] == ["targetURL", "timeoutMsec", "headers", "statuses"]
    assert [key.name for key in CONFIG_KEYS] == ["targetURL", "timeoutMsec", "headers", "statuses"]
    assert re.search(r"^statuses +array +0\.19 ", text, re.MULTILINE)
    import aurorakit.runtime.webhook.webhook_json as module
    assert all(f"``{key.name}``" in (module.__doc__ or "") for key in CONFIG_KEYS)


SCHEMAS = {"0.14": "0.14.0", "0.15": "0.15.0", "0.16": "0.16.0", "0.17": "0.17.0", "0.18": "0.18.0",
           "0.19": "0.19.0", "0.20": "0.20.0", "0.21": "0.21.0", "0.22": "0.22.0"}


@pytest.mark.parametrize("release", sorted(SCHEMAS))
def test_status_names_each_release_accepts_are_its_schemas(release: str) -> None:
    from aurorakit.runtime.aurora.profiles import profile_for
    from shared import shared_path
    facts = json.loads(shared_path("aurora-schema", f"api-{SCHEMAS[release]}.json").read_text(encoding="utf-8"))
    enums = facts["enums"]
    enum = enums["ScheduleStatus"] if isinstance(enums, dict) else next(
        e for e in enums if e["name"] == "ScheduleStatus")
    names = [name for name, _ in enum["values"]]
    assert profile_for(release).schedule_statuses == tuple(names)  # the schema's order, as the IDL declares them
    for name in names:  # each one starts the release (from 0.19, where statuses is read)
        if release >= "0.19":
            assert read_aurora_config(cfg(statuses=[name]), release).statuses == frozenset({name})


def test_release_groups_as_in_the_doc_table() -> None:
    from aurorakit.runtime.aurora.profiles import profile_for
    groups = {r: profile_for(r).group for r in EVERY}
    assert groups == {"0.14": "A", "0.15": "A", "0.16": "B", "0.17": "C", "0.18": "C", "0.19": "D",
                      "0.20": "E", "0.21": "E", "0.22": "E"}


def test_repr_says_whether_a_signing_secret_is_set_without_showing_it() -> None:
    signed = parse_config(cfg(), settings={"signingSecret": "topsecretvalue"})
    unsigned = parse_config(cfg())
    assert "signing_secret='<redacted>'" in repr(signed)
    assert "signing_secret=None" in repr(unsigned)


def test_the_0_22_status_list_is_read_from_the_models_only_when_asked_for() -> None:
    code = ("import sys; from aurorakit.runtime.webhook import config; "
            "before = 'aurorakit.generated.aurora_0_22' in sys.modules; "
            "print(before, config.AURORA_0_22_STATUSES[0], config.AURORA_0_22_STATUSES[-1], "
            "len(config.AURORA_0_22_STATUSES))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "PENDING", "PARTITIONED", "15"]
