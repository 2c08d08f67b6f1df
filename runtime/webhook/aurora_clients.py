"""What each Aurora release's HTTP client did on the wire, as data, and its quirks by name.

Section 2 of the behaviour note groups the releases by HTTP client: A (0.14,
0.15, the JDK's ``HttpURLConnection``), B (0.16, Apache HttpClient 4.5, the
response never closed), C (0.17, 0.18, the same client, response closed), D
(0.19) and E (0.20 on, the fork included; AsyncHttpClient 2.0). Which group a
release is in is a release fact (``Profile.http_client`` in
``runtime/aurora/profiles.py``); what each group's client did is here, in
:data:`CLIENTS`, as one :class:`Behaviour` per group.

Every way a client differs from a plain, correct HTTP client is a
:class:`Quirk` with a name. Delivery is faithful by default; switching a quirk
off (``AuroraSender(disabled_quirks=...)``, ``aurorakit send --no-quirk NAME``)
replaces that one part of the behaviour with what the quirk's ``off`` text
says, through the quirk's ``switch_off`` function. The engine
(``aurora_http.py``) reads only the resulting :class:`Behaviour`.

Header order: for A it is what the live JDK's ``HttpURLConnection`` writes
(configured headers in the config's order, then User-Agent, Host, Accept,
Connection, Content-type, Content-Length; a redirected GET carries only
User-Agent, Host, Accept and Connection). The note does not state B-E's
order; aurorakit writes the configured headers first, then the client's in
the order listed in :data:`CLIENTS`.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ..aurora.profiles import Profile, charset_of, java_charset
from ..errors import AurorakitError

JAVA_VERSION = "1.8.0"  # the JVM Aurora 0.14-0.22 ran on (Java 8); the note writes "Java/<version>"
HOST = "\0host"  # placeholders in a header table, filled per request
LENGTH = "\0length"
JAVA = "{java}"


class QuirkError(AurorakitError, ValueError):
    """An unknown quirk name, or one the chosen release's client did not have."""


@dataclass(frozen=True)
class AddedHeader:
    """A header the client wrote itself; ``quirk`` names the quirk that adds it (None: always)."""

    name: str
    value: str
    quirk: str | None = None


@dataclass(frozen=True)
class Behaviour:
    """Everything the delivery engine needs to act as one client.

    ``bounds``: what ``timeoutMsec`` bounds, a subset of ``connect``, ``pool``
    (waiting for a pooled connection), ``read`` (each read: idle time) and
    ``request`` (the whole exchange, resends included). ``zero_timeout``:
    ``"unbounded"`` (0 means no limit) or ``"immediate"`` (0 fails at once).
    """

    group: str
    client: str
    added_headers: tuple[AddedHeader, ...]
    redirect_headers: tuple[AddedHeader, ...]  # what a followed redirect's GET carries
    timestamp_clash: str  # "replace": generated value in the configured header; "configured"; "both"
    bounds: frozenset[str]
    zero_timeout: str
    connect_attempts: int
    sends_on_close: int  # times a request is written when the connection closes without an answer
    redirect_statuses: frozenset[int]  # followed as a GET without body
    concurrent: bool  # each event on its own connection at once, arrival order not kept
    reuse_connections: bool
    pool_per_host: int | None  # None: unlimited
    answer_body: str  # "close" (not read, connection closed), "read", "leak" (not read, never released)
    counters: bool  # Aurora's webhooks_* counters
    # "release": the release's own wire rule (Profile.wire); "rfc": the charset read as RFC 9110
    # says, else UTF-8 (A-C) or charset_default (D/E)
    body: str = "release"
    charset_default: str = "iso-8859-1"  # D/E's body charset when the Content-Type names none
    unknown_charset: str = "fallback"  # D/E: "fallback" to ISO-8859-1 silently, or "error"
    quirks: frozenset[str] = frozenset()  # the quirks still on

    def __post_init__(self) -> None:
        # The engine tests these strings for some values and treats the rest alike: a misspelt one would be
        # acted on silently as another, so the table is checked when it is built.
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"Behaviour.{name} {getattr(self, name)!r} is not one of {', '.join(allowed)}")
        if not self.bounds <= _BOUND_NAMES:
            raise ValueError(f"Behaviour.bounds {sorted(self.bounds)} has names outside {sorted(_BOUND_NAMES)}")


_CHOICES = {"timestamp_clash": ("replace", "configured", "both"), "zero_timeout": ("unbounded", "immediate"),
            "answer_body": ("close", "read", "leak"), "body": ("release", "rfc"),
            "unknown_charset": ("fallback", "error")}
_BOUND_NAMES = frozenset({"connect", "pool", "read", "request"})

_A_ACCEPT = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"
_A_REDIRECT = (AddedHeader("User-Agent", f"Java/{JAVA}", "client-headers"), AddedHeader("Host", HOST),
               AddedHeader("Accept", _A_ACCEPT, "client-headers"),
               AddedHeader("Connection", "keep-alive", "client-headers"))
_APACHE = (AddedHeader("Content-Length", LENGTH),
           AddedHeader("Content-Type", "text/plain; charset=ISO-8859-1", "default-content-type"),
           AddedHeader("Host", HOST), AddedHeader("Connection", "Keep-Alive", "client-headers"),
           AddedHeader("User-Agent", f"Apache-HttpClient/4.5.2 (Java/{JAVA})", "client-headers"),
           AddedHeader("Accept-Encoding", "gzip,deflate", "client-headers"))
_AHC = (AddedHeader("Content-Length", LENGTH), AddedHeader("Host", HOST),
        AddedHeader("Accept", "*/*", "client-headers"), AddedHeader("User-Agent", "AHC/2.0", "client-headers"))


def _apache(group: str, leaks: bool) -> Behaviour:
    return Behaviour(
        group=group, client="Apache HttpClient 4.5" + (", response never closed" if leaks else ""),
        added_headers=_APACHE, redirect_headers=(), timestamp_clash="configured",
        bounds=frozenset({"connect", "pool", "read"}), zero_timeout="unbounded", connect_attempts=1,
        sends_on_close=1, redirect_statuses=frozenset(), concurrent=False, reuse_connections=True,
        pool_per_host=2, answer_body="leak" if leaks else "read", counters=False)


def _ahc(group: str) -> Behaviour:
    return Behaviour(
        group=group, client="AsyncHttpClient 2.0", added_headers=_AHC, redirect_headers=(),
        timestamp_clash="both", bounds=frozenset({"connect", "read", "request"}), zero_timeout="immediate",
        connect_attempts=1, sends_on_close=6, redirect_statuses=frozenset(), concurrent=True,
        reuse_connections=True, pool_per_host=None, answer_body="read", counters=True)


_FAITHFUL: dict[str, Behaviour] = {
    "A": Behaviour(
        group="A", client="the JDK's HttpURLConnection",
        added_headers=_A_REDIRECT + (
            AddedHeader("Content-type", "application/x-www-form-urlencoded", "default-content-type"),
            AddedHeader("Content-Length", LENGTH)),
        redirect_headers=_A_REDIRECT, timestamp_clash="replace", bounds=frozenset({"connect"}),
        zero_timeout="unbounded", connect_attempts=2, sends_on_close=2,
        redirect_statuses=frozenset({301, 302, 303}), concurrent=False, reuse_connections=False,
        pool_per_host=None, answer_body="close", counters=False),
    "B": _apache("B", leaks=True),
    "C": _apache("C", leaks=False),
    "D": _ahc("D"),
    "E": _ahc("E"),
}


@dataclass(frozen=True)
class Quirk:
    """One way a release's client differs from a plain HTTP client."""

    name: str
    groups: str  # the client groups that had it, e.g. "DE"
    what: str
    off: str
    switch_off: Callable[[Behaviour], Behaviour]


def _set(**changes: object) -> Callable[[Behaviour], Behaviour]:
    # With no changes: the quirk is only a header the table adds while it is on (see _added).
    return lambda behaviour: dataclasses.replace(behaviour, **changes)  # type: ignore[arg-type]


def _add_bound(bound: str) -> Callable[[Behaviour], Behaviour]:
    return lambda behaviour: dataclasses.replace(behaviour, bounds=behaviour.bounds | {bound, "read"})


QUIRKS: tuple[Quirk, ...] = (
    Quirk("client-headers", "ABCDE",
          "the client's own User-Agent, Accept, Accept-Encoding and Connection headers",
          "only the configured headers, Host, Content-Length and the timestamp", _set()),
    Quirk("default-content-type", "ABC",
          "a Content-Type when none is configured (A: application/x-www-form-urlencoded, "
          "B/C: text/plain; charset=ISO-8859-1)", "no Content-Type unless configured", _set()),
    Quirk("timestamp-clash", "BCDE",
          "a configured header named like the timestamp: B/C send the configured value, D/E send both",
          "the generated value replaces the configured one (as A did)", _set(timestamp_clash="replace")),
    Quirk("low8-body", "A", "the body is the low 8 bits of each UTF-16 code unit",
          "the body in the Content-Type's charset, else UTF-8", _set(body="rfc")),
    Quirk("latin1-body", "BC", "the body is ISO-8859-1 ('?' for the rest) whatever the Content-Type says",
          "the body in the Content-Type's charset, else UTF-8", _set(body="rfc")),
    Quirk("charset-match", "DE",
          "the charset is read only as a lower-case 'charset=' with no space before '='",
          "the charset parameter is read as RFC 9110 says (any case, spaces, quotes)",
          _set(body="rfc")),
    Quirk("latin1-default", "DE", "without a charset the body is ISO-8859-1",
          "without a charset the body is UTF-8", _set(charset_default="utf-8")),
    Quirk("unknown-charset-fallback", "DE", "an unknown charset name silently becomes ISO-8859-1",
          "an unknown charset name is an error naming headers.Content-Type", _set(unknown_charset="error")),
    Quirk("connect-only-timeout", "A",
          "timeoutMsec bounds the connect only: a receiver that never answers stalls delivery for good",
          "timeoutMsec also bounds each read and the whole request",
          _set(bounds=frozenset({"connect", "read", "request"}))),
    Quirk("second-connect", "A", "a failed connect is tried a second time (2 x timeoutMsec when unreachable)",
          "one connect attempt", _set(connect_attempts=1)),
    Quirk("idle-read-timeout", "BC", "timeoutMsec bounds each read, not the whole answer (a trickle never ends)",
          "timeoutMsec also bounds the whole request", _add_bound("request")),
    Quirk("resend-on-close", "ADE",
          "a request the server closes without answering is sent again (A: twice in all, D/E: up to 6 times)",
          "each request is sent once", _set(sends_on_close=1)),
    Quirk("redirect-as-get", "A", "301, 302 and 303 are followed as a GET without the body",
          "no redirect is followed", _set(redirect_statuses=frozenset())),
    Quirk("no-counters", "ABC", "no webhooks_* counters (A-C kept none)",
          "D/E's webhooks_attempts, _success, _errors and _user_errors are kept", _set(counters=True)),
    Quirk("unordered-concurrency", "DE",
          "every event is sent at once on its own connection; arrival order is not kept",
          "one event at a time, in order", _set(concurrent=False)),
    Quirk("connection-leak", "B",
          "answers with a body are never closed; after 2 such answers every event waits timeoutMsec "
          "for a connection and fails without reaching the receiver", "answers are read and closed",
          _set(answer_body="read")),
)
QUIRK_NAMES = tuple(quirk.name for quirk in QUIRKS)
_BY_NAME = {quirk.name: quirk for quirk in QUIRKS}


def check_quirk_names(names: Iterable[str]) -> frozenset[str]:
    """The names as a set; QuirkError for a name that is not a quirk."""
    chosen = frozenset(names)
    unknown = sorted(chosen - set(QUIRK_NAMES))
    if unknown:
        raise QuirkError(f"unknown quirk {', '.join(map(repr, unknown))}; known: {', '.join(QUIRK_NAMES)}")
    return chosen


def behaviour_for(profile: Profile, disabled: Iterable[str] = ()) -> Behaviour:
    """The client behaviour of ``profile``'s release with the ``disabled`` quirks switched off.

    Switching off a quirk the release's client did not have is a QuirkError
    (it would silently do nothing).
    """
    names = check_quirk_names(disabled)
    behaviour = _FAITHFUL[profile.http_client]
    foreign = sorted(name for name in names if behaviour.group not in _BY_NAME[name].groups)
    if foreign:
        raise QuirkError(f"Aurora {profile.version} (client group {behaviour.group}) has no quirk "
                         f"{', '.join(map(repr, foreign))}; its quirks: {', '.join(group_quirks(behaviour.group))}")
    behaviour = dataclasses.replace(behaviour, quirks=frozenset(
        quirk.name for quirk in QUIRKS if behaviour.group in quirk.groups))
    for name in QUIRK_NAMES:  # in table order, so the result does not depend on the caller's order
        if name in names:
            behaviour = _BY_NAME[name].switch_off(behaviour)
    return dataclasses.replace(behaviour, quirks=behaviour.quirks - names)


def group_quirks(group: str) -> tuple[str, ...]:
    return tuple(quirk.name for quirk in QUIRKS if group in quirk.groups)


_HELP_WIDTH = 88


def describe_quirks() -> str:
    """The quirk table as text, for ``--help``."""
    lines = ["delivery 'aurora' quirks, all on by default; --no-quirk NAME switches one off.",
             "[groups that had it: A 0.14-0.15, B 0.16, C 0.17-0.18, D 0.19, E 0.20 on]"]
    for quirk in QUIRKS:
        lines.append(f"  {quirk.name} [{quirk.groups}]")
        lines += textwrap.wrap(quirk.what, _HELP_WIDTH, initial_indent="      ", subsequent_indent="      ")
        lines += textwrap.wrap("off: " + quirk.off, _HELP_WIDTH, initial_indent="      ",
                               subsequent_indent="           ")
    return "\n".join(lines)


def timeout_meaning(behaviour: Behaviour, msec: int) -> str:
    """What a ``timeoutMsec`` of 0 or below did with this client (what the engine does with it)."""
    if msec < 0 and behaviour.group == "A":
        return "every event fails (HttpURLConnection refuses a negative timeout)"
    meaning = "no limit" if behaviour.zero_timeout == "unbounded" else "every request times out at once"
    return meaning if msec == 0 else f"as 0: {meaning}"


# -- headers -------------------------------------------------------------------------------

def request_headers(behaviour: Behaviour, configured: Mapping[str, str], timestamp_name: str,
                    timestamp: str, host: str, length: int, java_version: str = JAVA_VERSION,
                    ) -> list[tuple[str, str]]:
    """The POST's headers in wire order: configured ones, the timestamp, then the client's own."""
    headers = [(name, value) for name, value in configured.items()
               if name.lower() not in ("content-length", "transfer-encoding")
               and not (behaviour.group == "A" and name.lower() == "host")]  # the JDK drops a set Host
    clash = [i for i, (name, _) in enumerate(headers) if name.lower() == timestamp_name.lower()]
    if clash and behaviour.timestamp_clash == "replace":
        headers = [(name, timestamp if i in clash else value) for i, (name, value) in enumerate(headers)]
    elif not clash or behaviour.timestamp_clash == "both":
        headers.append((timestamp_name, timestamp))
    return headers + _added(behaviour, behaviour.added_headers, headers, host, length, java_version)


def redirect_headers(behaviour: Behaviour, host: str, java_version: str = JAVA_VERSION) -> list[tuple[str, str]]:
    """What a followed redirect's GET carries (A: the client's own headers only, as the JDK does)."""
    return _added(behaviour, behaviour.redirect_headers, [], host, 0, java_version)


def _added(behaviour: Behaviour, table: tuple[AddedHeader, ...], present: list[tuple[str, str]],
           host: str, length: int, java_version: str) -> list[tuple[str, str]]:
    names = {name.lower() for name, _ in present}
    added = []
    for header in table:
        if header.quirk is not None and header.quirk not in behaviour.quirks:
            continue
        if header.name.lower() in names:  # a configured header of that name replaces the client's
            continue
        value = host if header.value == HOST else str(length) if header.value == LENGTH else header.value
        added.append((header.name, value.replace(JAVA, java_version)))
    return added


# -- body ------------------------------------------------------------------------------------
_RFC_CHARSET = re.compile(r"""(?:^|;)\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))""", re.IGNORECASE)


def rfc_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter as RFC 9110 reads it: any case, spaces around ``=``, quoted or not."""
    found = _RFC_CHARSET.search(content_type or "")
    if not found:
        return None
    return (found.group(1) if found.group(1) is not None else found.group(2)) or None


def wire_encoding(behaviour: Behaviour, content_type: str | None) -> str | None:
    """The encoding to make the body in when a body quirk is off; None: the release's own rule.

    QuirkError naming ``headers.Content-Type`` when ``unknown-charset-fallback``
    is off and the charset is unknown.
    """
    if (behaviour.body, behaviour.charset_default, behaviour.unknown_charset) == ("release", "iso-8859-1",
                                                                                 "fallback"):
        return None
    name = rfc_charset(content_type) if behaviour.body == "rfc" else charset_of(content_type)
    if name is None:
        return "utf-8" if behaviour.group in "ABC" else behaviour.charset_default
    known = java_charset(name)
    if known is not None:
        return known
    if behaviour.unknown_charset == "error" or behaviour.group in "ABC":
        raise QuirkError(f"headers.Content-Type: unknown charset {name!r} ({content_type!r})")
    return "iso-8859-1"
