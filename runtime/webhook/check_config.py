"""``aurorakit check-config``: would this Aurora release start with this ``webhook.json``, and what would it send?

:func:`check_config` reads the file as the release would
(:func:`~aurorakit.runtime.webhook.config.read_aurora_config`) and describes
the result from the release's facts in ``runtime/profiles.py``: the target,
the headers as a receiver sees them (the configured ones, those the
release's HTTP client adds, the timestamp header and what happens when one is
configured with its name), how the body becomes bytes, what ``timeoutMsec``
bounds, and which events are posted. It also says whether aurorakit itself
can send with the file, in either delivery mode.

Exit statuses (:meth:`CheckReport.exit_status`): 0 the release would start,
1 it would not, 2 the file cannot be read.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..profiles import charset_of, profile_for

from .config import AuroraConfig, WebhookConfigError, read_aurora_config, sending_problem
from .redaction import REDACTED, is_sensitive_header, redact_url
from .settings import DELIVERY_MODES

TIMESTAMP_VALUE = "<epoch milliseconds when sent>"
_CLASH = {
    "replaced": "a configured {name} header is replaced by the generated value",
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
    """The headers a receiver gets, each with where it comes from (``configured``, ``client``, ``timestamp``)."""
    profile = aurora.profile
    client = profile.client
    stamp = profile.timestamp_header
    result = []
    stamp_configured = False
    for name, value in aurora.headers:
        if name.lower() == stamp.lower():
            stamp_configured = True
            if client.timestamp_clash == "replaced":
                continue
        result.append({"name": name, "value": REDACTED if is_sensitive_header(name) else value,
                       "from": "configured"})
    configured = {name.lower() for name, _ in aurora.headers}
    if client.default_content_type is not None and "content-type" not in configured:
        name, value = client.default_content_type
        result.append({"name": name, "value": value, "from": "client (no Content-Type configured)"})
    result += [{"name": name, "value": value, "from": "client"} for name, value in client.added]
    if not (stamp_configured and client.timestamp_clash == "configured"):
        result.append({"name": stamp, "value": TIMESTAMP_VALUE, "from": "timestamp"})
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
    try:
        codec = codecs.lookup(charset).name
    except LookupError:
        return f"ISO-8859-1: the Content-Type's charset {charset!r} is unknown, so the release falls back to it"
    bom = " (Java's UTF-16 writes the byte order mark FE FF first)" if codec == "utf-16" else ""
    return f"{charset}, the Content-Type's charset{bom}"


def timeout_text(aurora: AuroraConfig) -> str:
    client = aurora.profile.client
    msec = aurora.timeout_msec
    if msec > 0:
        return f"{msec} ms bounds {client.timeout_bounds}"
    meaning = client.zero_timeout if msec == 0 else client.negative_timeout
    return f"{msec} ms: " + (meaning or f"what {client.name} did with it is not documented")


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
    out.update({
        "target": {"url": redact_url(aurora.target_url), "failsEveryEvent": aurora.target_problem},
        "headers": headers_received(aurora),
        "timestampHeader": {"name": stamp, "clash": aurora.profile.client.timestamp_clash,
                            "rule": _CLASH[aurora.profile.client.timestamp_clash].format(name=stamp)},
        "body": body_encoding(aurora),
        "timeout": {"msec": aurora.timeout_msec, "bounds": timeout_text(aurora)},
        "posted": statuses_text(aurora),
        "statuses": None if aurora.statuses is None else sorted(aurora.statuses),
        "notes": list(aurora.notes),
        "aurorakitSend": aurorakit_problems(aurora),
    })
    return out


def report_text(report: CheckReport) -> str:
    """The report for people: a verdict line, then what the release would send."""
    data = report_json(report)
    head = f"Aurora {report.release} (group {data['group']})"
    if not report.readable:
        return f"{report.path}: {report.reason}"
    if not report.starts:
        return f"{head} would NOT start with {report.path}:\n  {report.reason}"
    lines = [f"{head} would start with {report.path}", f"  target:    {data['target']['url']}"]
    if data["target"]["failsEveryEvent"]:
        lines.append(f"             {data['target']['failsEveryEvent']}")
    lines.append("  headers:   (as they arrive, besides Host and Content-Length)")
    width = max(len(h["name"]) for h in data["headers"])
    lines += [f"    {h['name'].ljust(width)}: {h['value']}   [{h['from']}]" for h in data["headers"]]
    lines.append(f"             {data['timestampHeader']['rule']}")
    lines.append(f"  body:      {data['body']}")
    lines.append(f"  timeout:   {data['timeout']['bounds']}")
    lines.append(f"  posted:    {data['posted']}")
    lines += [f"  note:      {note}" for note in data["notes"]]
    for mode, problem in data["aurorakitSend"].items():
        verdict = "can send" if problem is None else f"refuses: {problem}"
        lines.append(f"  aurorakit send --delivery {mode}: {verdict}")
    return "\n".join(lines)
