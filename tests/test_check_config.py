"""``aurorakit check-config``: verdicts, exit statuses and what each release would send.

The command runs through ``main(argv)`` in this process (the ``cli`` fixture); the unreadable
files run it as its own process, as a user would.

Expected headers, clash rules, timeouts and encodings are written by hand from
sections 2 and 3 of the behaviour doc.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aurorakit.runtime.webhook.check_config import bounds_phrase, statuses_text
from aurorakit.runtime.webhook.webhook_json import read_aurora_config

TS = "<epoch milliseconds when sent>"
Check = Callable[..., subprocess.CompletedProcess[str]]


def check_as_process(path: Path, release: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURORAKIT_")}
    return subprocess.run([sys.executable, "-m", "aurorakit.runtime.cli.main", "check-config", str(path),
                           "--aurora", release, *extra], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture()
def check(cli: Callable[..., subprocess.CompletedProcess[str]]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``check(path, release, *extra)``: check-config's exit status and output, AURORAKIT_* unset."""
    def run(path: Path, release: str, *extra: str) -> subprocess.CompletedProcess[str]:
        unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("AURORAKIT_")}
        return cli(["check-config", str(path), "--aurora", release, *extra], env=unset)
    return run


def write(tmp_path: Path, config: Any, name: str = "webhook.json") -> Path:
    path = tmp_path / name
    path.write_text(config if isinstance(config, str) else json.dumps(config), encoding="utf-8")
    return path


def headers(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(h["name"], h["value"], h["from"]) for h in report["headers"]]


def test_what_each_release_group_would_send(tmp_path: Path, check: Check) -> None:
    path = write(tmp_path, {"targetURL": "http://hooks.example:8080/aurora", "timeoutMsec": "2500",
                            "headers": {"X-Team": "infra", "Timestamp": "1", "Authorization": "Bearer s3cret"}})
    runs = {release: check(path, release, "--json") for release in ("0.14", "0.16", "0.22")}
    for release, done in runs.items():
        assert done.returncode == 0, (release, done.stderr)
        assert "s3cret" not in done.stdout
    a, b, e = (json.loads(runs[r].stdout) for r in ("0.14", "0.16", "0.22"))

    # A: the generated TimeStamp replaces a configured one; a default Content-type; HttpURLConnection's headers.
    assert (a["release"], a["group"], a["starts"], a["reason"]) == ("0.14", "A", True, None)
    # The order is the engine's (aurora_clients.py): configured headers, then the JDK's User-Agent, Accept,
    # Connection, Content-type; the generated value takes the configured Timestamp's place.
    assert headers(a) == [
        ("X-Team", "infra", "configured"), ("Timestamp", TS, "timestamp"),
        ("Authorization", "<redacted>", "configured"),
        ("User-Agent", "Java/<version>", "client"),
        ("Accept", "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2", "client"),
        ("Connection", "keep-alive", "client"),
        ("Content-type", "application/x-www-form-urlencoded", "client (no Content-Type configured)")]
    assert a["timestampHeader"]["name"] == "TimeStamp" and a["timestampHeader"]["clash"] == "replace"
    assert a["timeout"]["msec"] == 2500 and "connecting only" in a["timeout"]["bounds"]
    assert "tried a second time" in a["timeout"]["bounds"] and "reads are unbounded" in a["timeout"]["bounds"]
    assert a["body"].startswith("the low 8 bits of each UTF-16 code unit")
    assert "startup events" in a["posted"]
    assert a["notes"] == ['timeoutMsec "2500" is read as 2500']

    # B: the configured Timestamp wins (no generated one); Apache HttpClient's headers and default Content-Type.
    assert b["group"] == "B"
    assert headers(b) == [
        ("X-Team", "infra", "configured"), ("Timestamp", "1", "configured"),
        ("Authorization", "<redacted>", "configured"),
        ("Content-Type", "text/plain; charset=ISO-8859-1", "client (no Content-Type configured)"),
        ("Connection", "Keep-Alive", "client"), ("User-Agent", "Apache-HttpClient/4.5.2 (Java/<version>)", "client"),
        ("Accept-Encoding", "gzip,deflate", "client")]
    assert b["timestampHeader"]["clash"] == "configured"
    assert b["body"].startswith("ISO-8859-1") and "whatever the Content-Type says" in b["body"]
    assert "pooled connection" in b["timeout"]["bounds"] and "each read" in b["timeout"]["bounds"]
    assert b["posted"] == "every transition (events with oldState)"

    # E: both Timestamp headers; AsyncHttpClient adds no Content-Type and no Connection.
    assert e["group"] == "E"
    assert headers(e) == [
        ("X-Team", "infra", "configured"), ("Timestamp", "1", "configured"),
        ("Authorization", "<redacted>", "configured"), ("Timestamp", TS, "timestamp"),
        ("Accept", "*/*", "client"), ("User-Agent", "AHC/2.0", "client")]
    assert e["timestampHeader"]["clash"] == "both"
    assert "whole request" in e["timeout"]["bounds"] and "each read" in e["timeout"]["bounds"]
    assert e["body"].startswith("ISO-8859-1") and "names no charset" in e["body"]
    assert e["target"] == {"url": "http://hooks.example:8080/aurora", "failsEveryEvent": None}
    assert e["aurorakitSend"] == {"reliable": None, "aurora": None}


def test_statuses_charset_and_loose_values_in_groups_d_and_e(tmp_path: Path, check: Check) -> None:
    path = write(tmp_path, {"targetURL": "ftp://example.org/drop", "timeoutMsec": 0, "statuses": [],
                            "headers": {"Content-Type": "application/json; charset=UTF-16", "X-Count": 3}})
    done = check(path, "0.20", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["posted"] == "none: statuses is [] (legal; nothing is posted)" and report["statuses"] == []
    assert report["body"].startswith("UTF-16") and "FE FF" in report["body"]
    assert report["timeout"]["bounds"] == "0 ms: every request times out at once"
    assert report["target"]["failsEveryEvent"].endswith("every event fails")
    assert ("X-Count", "3", "configured") in headers(report)
    assert report["notes"] == ["headers.X-Count: the number 3 is sent as the text '3'"]
    assert report["aurorakitSend"]["reliable"].startswith("targetURL: the scheme 'ftp' is not http or https")
    assert report["aurorakitSend"]["aurora"] is None  # delivery 'aurora' acts out the 0 as 0.20 did

    typed = write(tmp_path, {"targetURL": "http://h/", "timeoutMsec": 5, "headers": {"content-type": "text/json"}},
                  "typed.json")
    for release in ("0.14", "0.17"):  # a configured Content-Type (any case): no default one from the client
        report = json.loads(check(typed, release, "--json").stdout)
        names = [name.lower() for name, _, _ in headers(report)]
        assert names.count("content-type") == 1 and ("content-type", "text/json", "configured") in headers(report)

    listed = write(tmp_path, {"targetURL": "http://h/", "timeoutMsec": 5, "headers": {},
                              "statuses": ["THROTTLED", "LOST", "KILLED", "FAILED", "DRAINING"]}, "listed.json")
    report = json.loads(check(listed, "0.19", "--json").stdout)
    assert report["group"] == "D" and report["posted"] == "transitions to DRAINING, FAILED, KILLED, LOST, THROTTLED"
    assert report["body"] == "ISO-8859-1 ('?' for characters it cannot hold): the Content-Type names no charset"


def test_would_not_start_exits_1_with_the_exact_reason(tmp_path: Path, check: Check) -> None:
    path = write(tmp_path, {"targetURL": "http://h/", "timeoutMsec": 5, "headers": {}, "statuses": ["PARTITIONED"]})
    done = check(path, "0.18")
    assert done.returncode == 1
    assert done.stdout == (f"Aurora 0.18 (group C) would NOT start with {path}:\n  statuses: Aurora 0.18 "
                           "does not know this key (it came in 0.19): the scheduler stops at startup\n")
    done = check(path, "0.19", "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert (report["starts"], report["key"], report["group"]) == (False, "statuses[0]", "D")
    assert report["reason"] == ("statuses[0]: unknown status 'PARTITIONED' in Aurora 0.19 (it came in "
                                "0.20): the scheduler stops at startup")
    started = check(path, "0.21")
    assert started.returncode == 0 and started.stdout.startswith(f"Aurora 0.21 (group E) would start with {path}\n")
    assert "  posted:    transitions to PARTITIONED\n" in started.stdout

    no_headers = write(tmp_path, {"targetURL": "http://h/", "timeoutMsec": 5}, "no-headers.json")
    done = check(no_headers, "0.22")
    assert done.returncode == 1 and "headers: missing (required: Aurora 0.22 stops at startup)" in done.stdout


def test_unreadable_file_exits_2(tmp_path: Path) -> None:
    missing = check_as_process(tmp_path / "nope.json", "0.22")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr == f"{tmp_path / 'nope.json'}: cannot read: No such file or directory\n"
    folder = check_as_process(tmp_path, "0.22", "--json")
    assert folder.returncode == 2 and json.loads(folder.stdout)["readable"] is False
    unknown = check_as_process(write(tmp_path, {}), "0.9")
    assert unknown.returncode == 2 and "unknown Aurora release '0.9'" in unknown.stderr


def test_text_report_of_an_old_aurorakit_file_says_where_settings_go(tmp_path: Path, check: Check) -> None:
    path = write(tmp_path, {"targetURL": "http://h/", "timeoutMsec": 5, "headers": {}, "workers": 2})
    done = check(path, "0.22")
    assert done.returncode == 1
    assert 'workers -> --workers, AURORAKIT_WORKERS or "workers" in the settings file' in done.stdout


@pytest.mark.parametrize("release", ["0.14", "0.22"])
def test_unsendable_header_is_reported_for_aurorakit(tmp_path: Path, release: str, check: Check) -> None:
    path = write(tmp_path, '{"targetURL": "http://h/", "timeoutMsec": 5, "headers": {"X-A\\n": "v"}}')
    done = check(path, release)
    assert done.returncode == 0  # the release itself starts
    assert ("  aurorakit send --delivery reliable: refuses: headers: invalid header name 'X-A\\n' "
            "(a request cannot carry it)\n") in done.stdout


def test_control_characters_in_a_header_value_are_shown_escaped(tmp_path: Path, check: Check) -> None:
    path = write(tmp_path, {"targetURL": "http://h/", "timeoutMsec": 5, "headers": {"X": "a\r\nb\tc\x01"}})
    done = check(path, "0.22")
    assert done.returncode == 0 and "\r" not in done.stdout and "\x01" not in done.stdout
    line = next(line for line in done.stdout.splitlines() if line.lstrip().startswith("X "))
    assert line.split(": ", 1)[1] == "a\\r\\nb\\tc\\x01   [configured]", line


@pytest.mark.parametrize("release, statuses, posted", [
    ("0.14", None, "every task state change, the startup events without oldState included (statuses not read)"),
    ("0.16", None, "every transition (events with oldState)"),
    ("0.19", None, "every transition (events with oldState)"),  # statuses left out: no filter
    ("0.22", [], "none: statuses is [] (legal; nothing is posted)"),
    ("0.22", ["RUNNING", "FAILED"], "transitions to FAILED, RUNNING"),
])
def test_what_a_release_posts_for_its_statuses(release: str, statuses: list[str] | None, posted: str) -> None:
    config: dict[str, Any] = {"targetURL": "http://x/", "timeoutMsec": 5, "headers": {}}
    if statuses is not None:
        config["statuses"] = statuses
    assert statuses_text(read_aurora_config(json.dumps(config), release)) == posted


@pytest.mark.parametrize("bounds, phrase", [
    ({"connect"}, "connecting"),
    ({"read"}, "each read (idle time)"),
    ({"read", "connect"}, "connecting and each read (idle time)"),
    ({"connect", "pool", "read"}, "connecting, taking a pooled connection and each read (idle time)"),
    ({"request", "read", "pool", "connect"},
     "connecting, taking a pooled connection, each read (idle time) and the whole request"),
])
def test_what_timeout_msec_bounds_in_words(bounds: set[str], phrase: str) -> None:
    assert bounds_phrase(frozenset(bounds)) == phrase
