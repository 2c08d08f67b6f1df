"""``delivery: aurora`` per release group: headers, body bytes, counters, redirects, quirks.

Against a raw recording server on 127.0.0.1 (``aurora_wire_server``). Every
expected value is written by hand from section 2 of
../shared/docs/aurora-webhook-behaviour.md, except where marked: group A's
header order and its redirected GET are what the live JDK's
HttpURLConnection sends (compared directly at the end); B-E's order, which
the note does not state, is aurorakit's documented choice.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aurora_delivery_helpers import A_ACCEPT, GROUPS, ONE_PER_GROUP, TEXT, T, event, payload, send, sender
from aurora_wire_server import Reply, WireServer
from aurorakit.runtime.aurora.profiles import Profile, profile_for
from aurorakit.runtime.webhook.aurora_clients import QuirkError


def test_release_groups() -> None:
    assert {version: profile_for(version).http_client for version in GROUPS} == GROUPS
    assert {Profile(f"0.{minor}").http_client for minor in range(23, 28)} == {"E"}  # the fork: as E


# -- 2.1 headers ---------------------------------------------------------------------------

def expected_headers(group: str, port: int, length: int, ts: str) -> list[tuple[str, str]]:
    host = ("Host", f"127.0.0.1:{port}")
    start = [("Producer-Type", "reliable"), ("TimeStamp" if group == "A" else "Timestamp", ts)]
    if group == "A":
        return start + [("User-Agent", "Java/1.8.0"), host, ("Accept", A_ACCEPT), ("Connection", "keep-alive"),
                        ("Content-type", "application/x-www-form-urlencoded"), ("Content-Length", str(length))]
    if group in "BC":
        return start + [("Content-Length", str(length)), ("Content-Type", "text/plain; charset=ISO-8859-1"), host,
                        ("Connection", "Keep-Alive"), ("User-Agent", "Apache-HttpClient/4.5.2 (Java/1.8.0)"),
                        ("Accept-Encoding", "gzip,deflate")]
    return start + [("Content-Length", str(length)), host, ("Accept", "*/*"), ("User-Agent", "AHC/2.0")]


@pytest.mark.parametrize("version", sorted(GROUPS))
def test_headers_each_client_added(version: str) -> None:
    with WireServer() as server:
        before = int(time.time() * 1000)
        outcome = send(sender(version, server.url))
        after = int(time.time() * 1000)
    assert outcome.status == 200 and outcome.sends == 1
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/hook")
    ts = request.headers[1][1]
    assert before <= int(ts) <= after
    assert request.headers == expected_headers(GROUPS[version], server.port, len(request.body), ts)


@pytest.mark.parametrize("version", ["0.14", "0.16", "0.22"])
def test_a_configured_content_type_replaces_the_default(version: str) -> None:
    with WireServer() as server:
        send(sender(version, server.url, {"content-type": "application/json"}))
    names = [name.lower() for name in server.requests[0].names]
    assert names.count("content-type") == 1 and server.requests[0].header("Content-Type") == ["application/json"]


def test_configured_client_headers_replace_the_clients_own() -> None:
    # HttpURLConnection (live JDK): a set User-Agent/Accept replaces its own, in the configured place.
    with WireServer() as server:
        send(sender("0.14", server.url, {"User-Agent": "mine", "Accept": "x"}))
    names = server.requests[0].names
    assert names[:3] == ["User-Agent", "Accept", "TimeStamp"] and names.count("User-Agent") == 1
    assert server.requests[0].header("User-Agent") == ["mine"]


@pytest.mark.parametrize("version, expected", [
    ("0.14", [("timestamp", "generated")]),  # A: the generated value replaces it (in its place, its spelling)
    ("0.16", [("timestamp", "5")]),  # B, C: the configured value wins
    ("0.18", [("timestamp", "5")]),
    ("0.19", [("timestamp", "5"), ("Timestamp", "generated")]),  # D, E: both are sent
    ("0.22", [("timestamp", "5"), ("Timestamp", "generated")]),
])
def test_timestamp_clash(version: str, expected: list[tuple[str, str]]) -> None:
    name = "TimeStamp" if GROUPS[version] == "A" else "Timestamp"
    with WireServer() as server:
        send(sender(version, server.url, {"timestamp": "5"}))
    sent = [(k, v) for k, v in server.requests[0].headers if k.lower() == name.lower()]
    assert [(k, "generated" if v.isdigit() and len(v) >= 13 else v) for k, v in sent] == expected


def test_timestamp_clash_off_replaces_as_a_did() -> None:
    with WireServer() as server:
        send(sender("0.22", server.url, {"timestamp": "5"}, off=("timestamp-clash",)))
    [(name, value)] = [(k, v) for k, v in server.requests[0].headers if k.lower() == "timestamp"]
    assert name == "timestamp" and value != "5" and len(value) >= 13


@pytest.mark.parametrize("version", ONE_PER_GROUP)
def test_client_headers_off(version: str) -> None:
    with WireServer() as server:
        send(sender(version, server.url, off=("client-headers", "default-content-type")
                    if GROUPS[version] in "ABC" else ("client-headers",)))
    names = server.requests[0].names
    assert sorted(names) == sorted(["Producer-Type", "TimeStamp" if GROUPS[version] == "A" else "Timestamp",
                                    "Host", "Content-Length"])


# -- 2.2 body bytes -------------------------------------------------------------------------
UTF8 = TEXT.encode("utf-8")
LATIN1 = b"\xe9??"  # é kept; € and the surrogate pair each one '?'


@pytest.mark.parametrize("version, content_type, message_bytes", [
    ("0.14", None, b"\xe9\xac\x3d\x00"),  # A: low 8 bits of each UTF-16 unit: E9, 20AC, D83D, DE00
    ("0.15", "application/json; charset=UTF-8", b"\xe9\xac\x3d\x00"),  # whatever the Content-Type says
    ("0.16", "application/json; charset=UTF-8", LATIN1),  # B, C: ISO-8859-1 whatever it says
    ("0.18", None, LATIN1),
    ("0.19", None, LATIN1),  # D, E: no charset: ISO-8859-1
    ("0.19", "application/json; charset=UTF-8", UTF8),
    ("0.22", "application/json;charset=utf-8", UTF8),
    ("0.22", "charset=UTF-8", UTF8),  # the first part counts too
    ("0.22", "application/json; Charset=UTF-8", LATIN1),  # only lower-case charset=
    ("0.22", "application/json; charset =UTF-8", LATIN1),  # no space before '='
    ("0.22", "application/json; charset=no-such-charset", LATIN1),  # unknown: silently ISO-8859-1
])
def test_body_bytes(version: str, content_type: str | None, message_bytes: bytes) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    with WireServer() as server:
        send(sender(version, server.url, headers), message=TEXT)
    assert server.requests[0].body == (b'{"task":{"assignedTask":{"taskId":"task-1"},"status":"RUNNING","message":"'
                                      + message_bytes + b'"},"oldState":{"value":"STARTING"}}')


def test_utf16_body_is_big_endian_with_the_byte_order_mark() -> None:
    with WireServer() as server:
        send(sender("0.22", server.url, {"Content-Type": "application/json; charset=UTF-16"}), message="\u00e9")
    body = server.requests[0].body
    assert body[:6] == b"\xfe\xff\x00{\x00\"" and b"\x00\xe9" in body


@pytest.mark.parametrize("version, content_type, off, message_bytes", [
    ("0.14", None, ("low8-body",), UTF8),
    ("0.17", "text/plain; charset=UTF-8", ("latin1-body",), UTF8),
    ("0.22", "application/json; Charset=UTF-8", ("charset-match",), UTF8),
    ("0.22", "application/json; charset = \"utf-8\"", ("charset-match",), UTF8),
    ("0.22", None, ("latin1-default",), UTF8),
])
def test_body_quirks_off(version: str, content_type: str | None, off: tuple[str, ...],
                         message_bytes: bytes) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    with WireServer() as server:
        send(sender(version, server.url, headers, off=off), message=TEXT)
    assert b'"message":"' + message_bytes + b'"' in server.requests[0].body


def test_unknown_charset_is_an_error_when_its_fallback_is_off() -> None:
    s = sender("0.22", "http://127.0.0.1:9/", {"Content-Type": "application/json; charset=bogus"},
               off=("unknown-charset-fallback",))
    with pytest.raises(QuirkError, match=r"headers.Content-Type: unknown charset 'bogus'"):
        s.body_encoding("application/json; charset=bogus")


# -- 2.4 counters and redirects -------------------------------------------------------------------

@pytest.mark.parametrize("version", ONE_PER_GROUP)
def test_counters_only_where_the_release_had_them(version: str) -> None:
    replies = {1: Reply(status=200), 2: Reply(status=204, body=b""), 3: Reply(status=500), 4: Reply("close")}
    with WireServer(lambda n: replies.get(n, Reply("close"))) as server:
        s = sender(version, server.url, off=("resend-on-close",) if GROUPS[version] in "ADE" else ())
        outcomes = [send(s, n) for n in (1, 2, 3, 4)]
    assert [o.status for o in outcomes] == [200, 204, 500, None]
    tally = {"posted": 4, "answered_200": 1, "answered_other": 2, "no_answer": 1, "skipped": 0}
    if GROUPS[version] in "DE":
        tally.update(webhooks_attempts=4, webhooks_success=1, webhooks_user_errors=2, webhooks_errors=1)
    assert s.stats() == tally


def test_no_counters_off_keeps_them_in_a() -> None:
    with WireServer() as server:
        s = sender("0.14", server.url, off=("no-counters",))
        send(s)
    assert s.stats()["webhooks_attempts"] == 1 and s.stats()["webhooks_success"] == 1


@pytest.mark.parametrize("status", [301, 302, 303])
def test_a_follows_301_302_303_as_a_get(status: int) -> None:
    script = {1: Reply(status=status, body=b"", headers=(("Location", "/other?x=1"),)), 2: Reply()}
    with WireServer(lambda n: script[n]) as server:
        outcome = send(sender("0.14", server.url))
    assert outcome.status == 200 and outcome.redirects == (server.url.replace("/hook", "/other?x=1"),)
    first, second = server.requests
    assert (first.method, second.method, second.path, second.body) == ("POST", "GET", "/other?x=1", b"")
    # The live JDK's redirected GET: only its own headers, the configured ones and the body dropped.
    assert second.headers == [("User-Agent", "Java/1.8.0"), ("Host", f"127.0.0.1:{server.port}"),
                              ("Accept", A_ACCEPT), ("Connection", "keep-alive")]


@pytest.mark.parametrize("version, status", [("0.14", 307), ("0.16", 302), ("0.17", 301), ("0.19", 303),
                                             ("0.22", 302)])
def test_redirects_not_followed(version: str, status: int) -> None:
    with WireServer(lambda n: Reply(status=status, body=b"", headers=(("Location", "/other"),))) as server:
        s = sender(version, server.url)
        outcome = send(s)
    assert outcome.status == status and len(server.requests) == 1
    if GROUPS[version] in "DE":
        assert s.stats()["webhooks_user_errors"] == 1


def test_redirect_as_get_off() -> None:
    with WireServer(lambda n: Reply(status=302, body=b"", headers=(("Location", "/other"),))) as server:
        outcome = send(sender("0.14", server.url, off=("redirect-as-get",)))
    assert outcome.status == 302 and len(server.requests) == 1


# -- which events, quirk names ------------------------------------------------------------------

def test_which_events_each_version_posts() -> None:
    with WireServer() as server:
        filtered: dict[str, Any] = {"statuses": ["FAILED", "LOST"]}
        v22 = sender("0.22", server.url, **filtered)
        assert v22.submit(event(v22, 1, new="RUNNING")) is None  # not listed
        assert v22.submit(event(v22, 2, new="FAILED")) is not None
        assert v22.submit(event(v22, 3, new="FAILED", old=None)) is None  # initial events stopped in 0.16
        v22.close()
        v18 = sender("0.18", server.url, **filtered)
        assert v18.submit(event(v18, 4, new="RUNNING")) is not None  # 0.18 knew no "statuses"
        v14 = sender("0.14", server.url)
        assert v14.submit(event(v14, 5, new="PENDING", old=None)) is not None  # 0.14 posted initial events
    ids = [json.loads(r.body.decode("latin-1"))["task"]["assignedTask"]["taskId"] for r in server.requests]
    assert ids == ["task-2", "task-4", "task-5"]
    assert v22.stats()["skipped"] == 2 and v22.stats()["webhooks_attempts"] == 1


def test_submit_after_close_is_an_error() -> None:
    from aurorakit.runtime.webhook.aurora_delivery import AuroraSenderClosedError

    for version in ("0.14", "0.22"):
        s = sender(version, "http://127.0.0.1:9/")
        s.close()
        with pytest.raises(AuroraSenderClosedError):
            s.submit(event(s))


def test_quirk_names_are_checked() -> None:
    with pytest.raises(QuirkError, match=r"unknown quirk 'no-such'; known: client-headers, "):
        sender("0.22", "http://127.0.0.1:9/", off=("no-such",))
    with pytest.raises(QuirkError, match=r"Aurora 0.22 \(client group E\) has no quirk 'connection-leak'"):
        sender("0.22", "http://127.0.0.1:9/", off=("connection-leak",))


# -- the command line ---------------------------------------------------------------------------

def test_send_help_lists_every_quirk(capsys: pytest.CaptureFixture[str]) -> None:
    from aurorakit.runtime.cli.main import main

    with pytest.raises(SystemExit):
        main(["send", "--help"])
    out = capsys.readouterr().out
    for name, groups in [("client-headers", "ABCDE"), ("default-content-type", "ABC"), ("timestamp-clash", "BCDE"),
                         ("low8-body", "A"), ("latin1-body", "BC"), ("charset-match", "DE"),
                         ("latin1-default", "DE"), ("unknown-charset-fallback", "DE"),
                         ("connect-only-timeout", "A"), ("second-connect", "A"), ("idle-read-timeout", "BC"),
                         ("resend-on-close", "ADE"), ("redirect-as-get", "A"), ("no-counters", "ABC"),
                         ("unordered-concurrency", "DE"), ("connection-leak", "B")]:
        assert f"  {name} [{groups}]\n" in out, name
    assert "--no-quirk NAME" in out


def test_send_no_quirk(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from aurorakit.runtime.cli.main import main
    from aurorakit.runtime.simulate.simulator import Simulator

    events = [e for e in Simulator(2, 1, "0.22", seed=3, renew_jobs=False).events() if e.old_state is not None][:2]
    captured = tmp_path / "captured.jsonl"
    captured.write_text("".join(e.encode() + "\n" for e in events), encoding="utf-8")  # real 0.22 payloads
    with WireServer() as server:
        webhook = tmp_path / "webhook.json"
        webhook.write_text(json.dumps({"targetURL": server.url, "timeoutMsec": T, "headers": {"X-Team": "infra"}}),
                           encoding="utf-8")
        as_aurora = ["--aurora", "0.22", "--delivery", "aurora"]
        status = main(["send", "--config", str(webhook), *as_aurora, "--no-quirk", "client-headers",
                       "--no-quirk", "unordered-concurrency", str(captured)])
        out = capsys.readouterr().out
        assert status == 0, out
        assert main(["send", "--config", str(webhook), *as_aurora, "--no-quirk", "connection-leak",
                     str(captured)]) == 2
        err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no quirk 'connection-leak'" in err
    for flags, headers, quirk, expected in [
        (["--delivery", "reliable"], {}, "client-headers", "--no-quirk goes with delivery 'aurora'"),
        (as_aurora, {"Content-Type": "application/json; charset=bogus"}, "unknown-charset-fallback",
         "headers.Content-Type: unknown charset 'bogus'")]:
        webhook.write_text(json.dumps({"targetURL": "http://127.0.0.1:9/", "timeoutMsec": T, "headers": headers}),
                           encoding="utf-8")
        assert main(["send", "--config", str(webhook), *flags, "--no-quirk", quirk, str(captured)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and expected in err, err
    assert [r.names for r in server.requests] == [["X-Team", "Timestamp", "Content-Length", "Host"]] * 2
    assert [json.loads(r.body)["task"]["assignedTask"]["taskId"] for r in server.requests] == [
        e.task.assignedTask.taskId for e in events if e.task.assignedTask is not None]
    assert "webhooks_success      2\n" in out and "answered_200          2\n" in out


# -- group A against the live JDK's HttpURLConnection --------------------------------------------
# The JDK here is newer than the Java 8 Aurora ran on: its User-Agent names its own version and its
# Accept value changed since (the note gives Java 8's), so those values are not compared; nor are
# the timestamp's and Host's (another server, another port).
NOT_COMPARED = {"user-agent", "accept", "timestamp", "host"}


def masked(request: Any) -> tuple[str, str, list[tuple[str, str]], bytes]:
    return (request.method, request.path,
            [(k, "*" if k.lower() in NOT_COMPARED else v) for k, v in request.headers], request.body)


def jdk_post(url: str, headers: dict[str, str]) -> list[str]:
    from jdk import oracle

    return oracle("UrlConnectionPost").ask(
        ["\t".join([url, str(T), payload(1), *(x for kv in headers.items() for x in kv)])])


@pytest.mark.parametrize("headers", [
    {"Producer-Type": "reliable"},
    {"Content-Type": "application/json", "X-Team": "infra"},
    {"timestamp": "5", "user-agent": "mine", "Accept": "x"},
])
def test_group_a_matches_the_jdk(headers: dict[str, str]) -> None:
    with WireServer() as jdk_server:
        assert jdk_post(jdk_server.url, headers) == ["status 200"]
    with WireServer() as ours:
        send(sender("0.14", ours.url, headers))
    [theirs], [mine] = jdk_server.requests, ours.requests
    assert masked(mine) == masked(theirs)


@pytest.mark.parametrize("script, arrivals", [
    (lambda n: Reply("close"), 2),  # closed without an answer: sent twice
    (lambda n: Reply(status=302, body=b"", headers=(("Location", "/other"),)) if n == 1 else Reply(), 2),
])
def test_group_a_resends_and_redirects_like_the_jdk(script: Any, arrivals: int) -> None:
    with WireServer(script) as jdk_server:
        jdk_post(jdk_server.url, {})
    with WireServer(script) as ours:
        send(sender("0.14", ours.url, {}))
    assert len(jdk_server.requests) == len(ours.requests) == arrivals
    assert [masked(r) for r in ours.requests] == [masked(r) for r in jdk_server.requests]


@pytest.mark.parametrize("content_type", ["application/json; charset=UTF-16", "application/json; Charset=UTF-8",
                                          "application/json; charset=no-such-charset", None])
def test_a_receiver_reads_the_body_back_as_the_release_wrote_it(content_type: str | None) -> None:
    from aurorakit.runtime.webhook.payloads import body_text

    headers = {} if content_type is None else {"Content-Type": content_type}
    with WireServer() as server:
        send(sender("0.22", server.url, headers), message="\u00e9")
    assert '"message":"\u00e9"' in body_text(server.requests[0].body, profile_for("0.22"), content_type)


# Charset names a Content-Type commonly carries; Python's codec registry and the JDK agree on these.
CHARSETS = ["UTF-8", "utf-8", "utf8", "UTF-16", "utf-16", "UTF-16BE", "UTF-16LE", "UTF-32", "UTF-32BE",
            "ISO-8859-1", "iso-8859-1", "latin1", "US-ASCII", "ascii", "windows-1252", "cp1252", "ISO-8859-15"]


def test_d_and_e_body_charsets_match_the_jdk() -> None:
    from jdk import oracle, utf16_hex

    text = '{"m":"A\u00e9\u20ac\U0001F600\ud800z"}'  # a lone surrogate too
    java = oracle("StringGetBytes").ask([f"{name}\t{utf16_hex(text)}" for name in CHARSETS])
    ours = [profile_for("0.22").wire_bytes(text, f"application/json; charset={name}").hex() for name in CHARSETS]
    assert ours == java
