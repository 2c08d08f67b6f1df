"""``aurorakit check-config``: would this Aurora release start with this ``webhook.json``, and what would it send?

:func:`check_config` reads the file as the release would
(:func:`~aurorakit.runtime.webhook.webhook_json.read_aurora_config`) and describes
the result from the release's facts in ``runtime/aurora/profiles.py`` and its client's
in ``aurora_clients.py`` (the ones delivery 'aurora' acts on): the target,
the headers as a receiver sees them (the configured ones, those the
release's HTTP client adds, the timestamp header and what happens when one is
configured with its name), how the body becomes bytes, what ``timeoutMsec``
bounds, and which events are posted. It also says whether aurorakit itself
can send with the file, in either delivery mode.

Exit statuses (:meth:`CheckReport.exit_status`): 0 the release would start,
1 it would not, 2 the file cannot be read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..aurora.java_charsets import java_charset_name
from ..aurora.profiles import charset_of, profile_for
from .aurora_clients import JAVA_VERSION, behaviour_for, request_headers, timeout_meaning
from .config import sending_problem
from .redaction import REDACTED, is_sensitive_header, redact_url
from .settings import DELIVERY_MODES
from .webhook_json import AuroraConfig, WebhookConfigError, read_aurora_config

TIMESTAMP_VALUE = "<epoch milliseconds when sent>"
_HOST = "<host>"  # left out of the report, as Content-Length is
_BOUNDS = (("connect", "connecting"), ("pool", "taking a pooled connection"), ("read", "each read (idle time)"),
           ("request", "the whole request"))
_CLASH = {
    "replace": "a configured {name} header is replaced by the generated value",
    "configured": "a configured {name} header is sent instead of the generated value",
    "both": "a configured {name} header is sent as well as the generated one (two {name} headers)",
}


@dataclass(frozen=True)
class CheckReport:
    """The outcome for one file and release; ``aurora`` is set when the release would start."""

    path: str
    release: str
    readable: bool
    reason: str | None = None  # why the release would not start, or why the file cannot be read
    key: str | None = None
    aurora: AuroraConfig | None = None

    @property
    def starts(self) -> bool:
        return self.aurora is not None

    def exit_status(self) -> int:
        return 0 if self.starts else (1 if self.readable else 2)


def check_config(path: str | Path, release: str) -> CheckReport:
    """Check ``path`` as Aurora ``release`` reads it (ProfileError for an unknown release)."""
    version = profile_for(release).version
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return CheckReport(str(path), version, False, f"cannot read: {exc.strerror or exc}")
    try:
        aurora = read_aurora_config(data, version)
    except WebhookConfigError as exc:
        return CheckReport(str(path), version, True, str(exc), exc.key)
    return CheckReport(str(path), version, True, aurora=aurora)


def headers_received(aurora: AuroraConfig) -> list[dict[str, str]]:
    """The headers a receiver gets, each with where it comes from (``configured``, ``client``, ``timestamp``).

    The list and its order are the delivery engine's (``aurora_clients.request_headers``).
    """
    profile = aurora.profile
    behaviour = behaviour_for(profile)
    stamp = profile.timestamp_header
    configured = {name.lower() for name, _ in aurora.headers}
    result = []
    for name, value in request_headers(behaviour, dict(aurora.headers), stamp, TIMESTAMP_VALUE, _HOST, 0):
        lower = name.lower()
        if lower in ("host", "content-length"):
            continue
        if lower == stamp.lower() and value == TIMESTAMP_VALUE:
            origin = "timestamp"
        elif lower in configured:
            origin = "configured"
            value = REDACTED if is_sensitive_header(name) else value
        elif lower == "content-type":
            origin = "client (no Content-Type configured)"
        else:
            origin = "client"
        result.append({"name": name, "value": value.replace(f"Java/{JAVA_VERSION}", "Java/<version>"),
                       "from": origin})
    return result


def body_encoding(aurora: AuroraConfig) -> str:
    """How the JSON text becomes the body's bytes in this release, with this config's Content-Type."""
    wire = aurora.profile.wire
    if wire == "low8":
        return "the low 8 bits of each UTF-16 code unit (characters above U+00FF are mangled)"
    if wire == "latin1":
        return "ISO-8859-1, '?' for characters it cannot hold, whatever the Content-Type says"
    content_type = next((value for name, value in aurora.headers if name.lower() == "content-type"), None)
    charset = charset_of(content_type)
    if charset is None:
        return "ISO-8859-1 ('?' for characters it cannot hold): the Content-Type names no charset"
    java_name = java_charset_name(charset)
    if java_name is None:
        return f"ISO-8859-1: Java knows no charset {charset!r}, so the release falls back to it"
    bom = " (Java's UTF-16 writes the byte order mark FE FF first)" if java_name == "UTF-16" else ""
    return f"{java_name}, the Content-Type's charset{bom}"


def bounds_phrase(bounds: frozenset[str]) -> str:
    """What ``timeoutMsec`` bounds, in words: "connecting, each read (idle time) and the whole request"."""
    said = [text for bound, text in _BOUNDS if bound in bounds]
    return said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]


def timeout_text(aurora: AuroraConfig) -> str:
    behaviour = behaviour_for(aurora.profile)
    msec = aurora.timeout_msec
    if msec > 0:
        text = bounds_phrase(behaviour.bounds)
        if behaviour.bounds == {"connect"}:
            text += " only" + (" (a failed connect is tried a second time)" if behaviour.connect_attempts > 1
                               else "") + "; reads are unbounded"
        return f"{msec} ms bounds {text}"
    return f"{msec} ms: " + timeout_meaning(behaviour, msec)


def statuses_text(aurora: AuroraConfig) -> str:
    profile = aurora.profile
    if profile.posts_initial_events:
        return "every task state change, the startup events without oldState included (statuses not read)"
    if not profile.statuses_filter or aurora.statuses is None:
        return "every transition (events with oldState)"
    if not aurora.statuses:
        return "none: statuses is [] (legal; nothing is posted)"
    return "transitions to " + ", ".join(sorted(aurora.statuses))


def aurorakit_problems(aurora: AuroraConfig) -> dict[str, str | None]:
    """Per delivery mode: why ``aurorakit send`` refuses this config, or None."""
    result: dict[str, str | None] = {}
    for mode in DELIVERY_MODES:
        problem = sending_problem(aurora, mode)
        result[mode] = None if problem is None else f"{problem[0]}: {problem[1]}"
    return result


def report_json(report: CheckReport) -> dict[str, Any]:
    """The report as a JSON-ready object (``--json``)."""
    out: dict[str, Any] = {"file": report.path, "release": report.release,
                           "group": profile_for(report.release).group, "readable": report.readable,
                           "starts": report.starts, "reason": report.reason, "key": report.key}
    aurora = report.aurora
    if aurora is None:
        return out
    stamp = aurora.profile.timestamp_header
    clash = behaviour_for(aurora.profile).timestamp_clash
    out.update({
        "target": {"url": redact_url(aurora.target_url), "failsEveryEvent": aurora.target_problem},
        "headers": headers_received(aurora),
        "timestampHeader": {"name": stamp, "clash": clash, "rule": _CLASH[clash].format(name=stamp)},
        "body": body_encoding(aurora),
        "timeout": {"msec": aurora.timeout_msec, "bounds": timeout_text(aurora)},
        "posted": statuses_text(aurora),
        "statuses": None if aurora.statuses is None else sorted(aurora.statuses),
        "notes": list(aurora.notes),
        "aurorakitSend": aurorakit_problems(aurora),
    })
    return out


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ESCAPES = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` with control characters escaped (CR as \\r, ...): a header value holding CR/LF
    must show as what it is, not break the report's lines."""
    return _CONTROL.sub(lambda m: _ESCAPES.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


def report_text(report: CheckReport) -> str:
    """The report for people: a verdict line, then what the release would send."""
    data = report_json(report)
    head = f"Aurora {report.release} (group {data['group']})"
    if not report.readable:
        return f"{report.path}: {report.reason}"
    if not report.starts:
        return f"{head} would NOT start with {report.path}:\n  {report.reason}"
    lines = [f"{head} would start with {report.path}", f"  target:    {printable(data['target']['url'])}"]
    if data["target"]["failsEveryEvent"]:
        lines.append(f"             {data['target']['failsEveryEvent']}")
    lines.append("  headers:   (as they arrive, besides Host and Content-Length)")
    width = max(len(printable(h["name"])) for h in data["headers"])
    lines += [f"    {printable(h['name']).ljust(width)}: {printable(h['value'])}   [{h['from']}]"
              for h in data["headers"]]
    lines.append(f"             {data['timestampHeader']['rule']}")
    lines.append(f"  body:      {data['body']}")
    lines.append(f"  timeout:   {data['timeout']['bounds']}")
    lines.append(f"  posted:    {data['posted']}")
    lines += [f"  note:      {note}" for note in data["notes"]]
    for mode, problem in data["aurorakitSend"].items():
        verdict = "can send" if problem is None else f"refuses: {problem}"
        lines.append(f"  aurorakit send --delivery {mode}: {verdict}")
    return "\n".join(lines)
