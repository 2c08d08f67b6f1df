"""The aurora-mode tables and small helpers: a client behaviour cannot change or hold a misspelt value,
the quirk listing is wrapped to 88 columns, Host as the URL gives it, and the pool never hands out a closed connection.
"""

from __future__ import annotations

import dataclasses
import http.client

import pytest
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.webhook.aurora_clients import QUIRKS, behaviour_for, describe_quirks
from aurorakit.runtime.webhook.aurora_http import ConnectionPool, host_header

WIDTH = 88


def test_a_behaviour_cannot_be_changed_in_place() -> None:
    behaviour = behaviour_for(profile_for("0.22"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        behaviour.answer_body = "leak"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        behaviour.added_headers[0].value = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        QUIRKS[0].groups = ""  # type: ignore[misc]  # the table is shared by every sender


@pytest.mark.parametrize("field, value", [
    ("answer_body", "reed"), ("zero_timeout", "never"), ("timestamp_clash", "either"), ("body", "utf-8"),
    ("unknown_charset", "ignore"), ("bounds", frozenset({"connect", "write"})),
])
def test_a_behaviour_with_a_value_the_engine_does_not_know_is_refused(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=rf"^Behaviour\.{field} "):
        dataclasses.replace(behaviour_for(profile_for("0.16")), **{field: value})


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _continues(line: str, after: str) -> bool:
    """Whether ``after`` goes on ``line``'s paragraph: a quirk's text is indented 6, its "off:" text 11 after the first."""
    if _indent(after) == 11:
        return True
    return _indent(line) == _indent(after) == 6 and not line.lstrip().startswith("off: ") \
        and not after.lstrip().startswith("off: ")


def test_the_quirk_listing_says_every_quirk_in_full_filled_to_88_columns() -> None:
    text = describe_quirks()
    lines = text.splitlines()
    assert lines[0].startswith("delivery 'aurora' quirks")
    for quirk in QUIRKS:
        assert f"  {quirk.name} [{quirk.groups}]" in lines
    flat = " ".join(text.split())
    for quirk in QUIRKS:  # nothing lost in the wrapping
        assert " ".join(quirk.what.split()) in flat and " ".join(("off: " + quirk.off).split()) in flat
    assert max(len(line) for line in lines[2:]) <= WIDTH
    # Filled, not only bounded: a line's successor's first word would not have fitted on it.
    pairs = [(line, after) for line, after in zip(lines[2:], lines[3:]) if _continues(line, after)]
    assert len(pairs) >= 5
    for line, after in pairs:
        assert len(line) + 1 + len(after.split()[0]) > WIDTH, (line, after)


@pytest.mark.parametrize("url, host", [
    ("http://example.com/hook", "example.com"), ("http://example.com:8080/x?y", "example.com:8080"),
    ("https://[::1]:8443/", "[::1]:8443"), ("http://[2001:db8::1]/", "[2001:db8::1]"),
    ("http://user:pw@h:81/", "h:81"),
])
def test_host_is_written_as_the_url_gives_it(url: str, host: str) -> None:
    assert host_header(url) == host


def test_a_pooled_connection_closed_while_idle_is_not_handed_out() -> None:
    pool = ConnectionPool(per_host=2)
    key = ("http", "127.0.0.1", 9)
    assert pool.acquire(key, wait=0.1) is None  # none idle: the caller opens one
    closed = http.client.HTTPConnection("127.0.0.1", 9)  # never connected: no socket
    pool.release(key, closed, reusable=True)
    assert pool.acquire(key, wait=0.1) is None  # not the closed one: a new connection is to be opened
