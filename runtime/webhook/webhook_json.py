"""Aurora's ``webhook.json``, read exactly as the chosen release read it.

Section 3 of the behaviour doc is the rule book (``Profile`` in
``runtime/aurora/profiles.py`` holds the per-release facts):

- UTF-8, strict JSON; keys ``targetURL``, ``timeoutMsec``, ``headers``, all
  three required (a missing or null one stops startup), and ``statuses`` from
  0.19 on. Any other key stops the scheduler at startup.
- Loose values the scheduler accepted: ``timeoutMsec`` as ``"5000"`` or
  ``5.9`` (read as 5), 0 and negatives (their meaning depends on the release's
  HTTP client); header values that are numbers or booleans become their text
  (as written in the file); any URI as ``targetURL`` (one that is not http(s)
  fails at each event).
- ``statuses``: null or a list holding ``"*"`` means all, ``[]`` posts
  nothing, names are exact; ``PARTITIONED`` exists from 0.20.

:func:`read_aurora_config` gives what that release would run with, or a
:class:`WebhookConfigError` naming the key that stops it. Where the doc is
silent (a duplicate key, a null header value) aurorakit refuses and says so.
What aurorakit adds to it (its own settings, what a request can carry) is
``config.py``'s.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from ..aurora.profiles import Profile, ProfileError, profile_for
from ..errors import AurorakitError
from ..scalars import I32
from .redaction import redact_headers, redact_url
from .settings import OLD_KEYS, where_it_goes

__all__ = ["CONFIG_KEYS", "AuroraConfig", "WebhookConfigError", "aurora_config_from_value", "describe_keys",
           "read_aurora_config"]

_JSON_INTEGER = re.compile(r"-?[0-9]+")


class WebhookConfigError(AurorakitError, ValueError):
    """A problem in a webhook config; ``key`` is the JSON key at fault, if any.

    An AurorakitError, so the CLI reports it as one line.
    """

    def __init__(self, key: str | None, problem: str, source: str | None = None) -> None:
        self.key = key
        self.problem = problem
        self.source = source
        text = f"{key}: {problem}" if key else problem
        super().__init__(f"{source}: {text}" if source else text)


class ConfigKey(NamedTuple):
    name: str
    type: str
    since: str
    meaning: str


CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("targetURL", "string", "0.14", "the URI events are POSTed to (required)"),
    ConfigKey("timeoutMsec", "integer", "0.14",
              'milliseconds (required; "5000" and 5.9 are read as 5000 and 5); what it bounds: check-config'),
    ConfigKey("headers", "object", "0.14", "headers sent with every POST (required, {} for none)"),
    ConfigKey("statuses", "array", "0.19", 'new statuses to post; null or "*" all, [] none'),
)


def describe_keys() -> str:
    """A plain-text table of the keys Aurora reads, for ``--help``."""
    rows = [("key", "type", "since", "meaning")] + [tuple(key) for key in CONFIG_KEYS]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3] for row in rows]
    lines.append("Any other key stops a real scheduler at startup; aurorakit's settings go elsewhere.")
    return "\n".join(lines)


@dataclass(frozen=True, repr=False)
class AuroraConfig:
    """What one Aurora release holds after reading ``webhook.json`` (it would start with it).

    ``headers`` in file order, values as text; ``statuses`` None for all;
    ``notes``: loose values and how they were read; ``target_problem``: why
    every event fails (a URI that is not http(s)), None if it can be posted to.
    """

    profile: Profile
    target_url: str
    timeout_msec: int
    headers: tuple[tuple[str, str], ...]
    statuses: frozenset[str] | None
    notes: tuple[str, ...] = ()
    target_problem: str | None = None

    def __repr__(self) -> str:
        return (f"AuroraConfig(release={self.profile.version!r}, target_url={redact_url(self.target_url)!r}, "
                f"timeout_msec={self.timeout_msec}, headers={redact_headers(self.headers)!r}, "
                f"statuses={None if self.statuses is None else sorted(self.statuses)!r})")



def read_aurora_config(text: str | bytes, release: str, *, valid_statuses: Iterable[str] | None = None,
                       source: str | None = None) -> AuroraConfig:
    """What Aurora ``release`` reads from this ``webhook.json``; WebhookConfigError if it would not start."""
    profile = profile_for(release)
    try:
        return _aurora_config(_json(text), profile, valid_statuses)
    except WebhookConfigError as exc:
        raise WebhookConfigError(exc.key, exc.problem, source) from None



def aurora_config_from_value(obj: object, release: str,
                             valid_statuses: Iterable[str] | None = None) -> AuroraConfig:
    """:func:`read_aurora_config` for an already-parsed JSON value (numbers as Python numbers)."""
    return _aurora_config(_literal_numbers(obj), profile_for(release), valid_statuses)


# -- reading the file as Aurora did -------------------------------------------------------

class _Number(str):
    """A JSON number kept as the text it was written as (a header value keeps exactly that text)."""


def _json(text: str | bytes) -> object:
    if isinstance(text, bytes):
        if text.startswith(b"\xef\xbb\xbf"):
            raise WebhookConfigError(None, "starts with a UTF-8 byte order mark, which is not JSON (remove it)")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebhookConfigError(None, f"not valid UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_int=_Number,
                          parse_float=_Number, parse_constant=_no_special_numbers)
    except json.JSONDecodeError as exc:
        raise WebhookConfigError(
            None, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise WebhookConfigError(None, "nested too deeply to be a webhook config") from None


def _literal_numbers(value: object) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return _Number(json.dumps(value))
    if isinstance(value, dict):
        return {key: _literal_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_literal_numbers(item) for item in value]
    return value


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise WebhookConfigError(key, "duplicate key (which one a release keeps is not documented: "
                                          "aurorakit refuses it)")
        result[key] = value
    return result


def _no_special_numbers(name: str) -> Any:
    raise WebhookConfigError(None, f"invalid JSON: {name} is not a JSON value")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, _Number):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _aurora_config(obj: object, profile: Profile, valid_statuses: Iterable[str] | None) -> AuroraConfig:
    release = f"Aurora {profile.version}"
    if not isinstance(obj, dict):
        raise WebhookConfigError(None, f"expected a JSON object at the top level, got {_json_type(obj)}")
    old = [key for key in obj if key in OLD_KEYS]
    if old:
        moves = "; ".join(f"{key} -> {where_it_goes(key)}" for key in old)
        raise WebhookConfigError(old[0], "aurorakit settings do not belong in webhook.json (a real scheduler "
                                         f"stops at startup on any key it does not know); move them: {moves}")
    known = ["targetURL", "timeoutMsec", "headers"] + (["statuses"] if profile.statuses_filter else [])
    for key in obj:
        if key == "statuses" and key not in known:
            raise WebhookConfigError(key, f"{release} does not know this key (it came in 0.19): "
                                          "the scheduler stops at startup")
        if key not in known:
            raise WebhookConfigError(key, f"unknown key{_did_you_mean(key, known)}: {release} stops at startup")
    for key in ("targetURL", "timeoutMsec", "headers"):
        if obj.get(key) is None:
            what = "missing" if key not in obj else "null"
            raise WebhookConfigError(key, f"{what} (required: {release} stops at startup)")
    notes: list[str] = []
    target, target_problem = _target(obj["targetURL"])
    statuses_known = tuple(valid_statuses) if valid_statuses is not None else profile.schedule_statuses
    headers = _headers(obj["headers"], notes)
    _check_charset(headers, profile)
    return AuroraConfig(
        profile=profile,
        target_url=target,
        timeout_msec=_timeout(obj["timeoutMsec"], notes),
        headers=headers,
        statuses=_statuses(obj.get("statuses"), statuses_known, profile),
        notes=tuple(notes),
        target_problem=target_problem,
    )


def _check_charset(headers: tuple[tuple[str, str], ...], profile: Profile) -> None:
    """A charset Java knows but aurorakit cannot write is refused here, before anything is sent."""
    content_type = next((value for name, value in headers if name.lower() == "content-type"), None)
    try:
        profile.wire_charset(content_type)
    except ProfileError as err:
        raise WebhookConfigError("headers.Content-Type", str(err)) from None


def _did_you_mean(word: str, choices: list[str]) -> str:
    folded = {c.lower(): c for c in choices}
    match = folded.get(word.lower())
    if match is None:
        close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
        match = close[0] if close else None
    return f" (did you mean {match!r}?)" if match else ""


def _target(value: object) -> tuple[str, str | None]:
    if not isinstance(value, str) or isinstance(value, _Number):
        raise WebhookConfigError("targetURL", f"expected a string, got {_json_type(value)}")
    if not value or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise WebhookConfigError("targetURL", "not a URI: empty, or contains whitespace or control characters")
    shown = redact_url(value)
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        what = f"the scheme {parts.scheme!r} is not http or https" if parts.scheme else "not an absolute URL"
        return value, f"{what} ({shown!r}): every event fails"
    try:
        parts.port  # noqa: B018  (reading it checks it)
    except ValueError:
        return value, f"invalid port in {shown!r}: every event fails"
    if not parts.hostname:
        return value, f"no host in {shown!r}: every event fails"
    return value, None


def _timeout(value: object, notes: list[str]) -> int:
    if isinstance(value, _Number):
        if _JSON_INTEGER.fullmatch(value):
            number = int(value)
        else:
            as_float = float(value)
            if not math.isfinite(as_float):
                raise WebhookConfigError("timeoutMsec", f"{value} is out of range of a Java int")
            number = int(as_float)  # toward zero: 5.9 -> 5, -0.5 -> 0
            notes.append(f"timeoutMsec {value} is read as {number}")
    elif isinstance(value, str):
        if not _JSON_INTEGER.fullmatch(value):
            raise WebhookConfigError("timeoutMsec", f"the string {value!r} is not a whole number (only strings "
                                                    "of digits are documented as accepted: aurorakit refuses it)")
        number = int(value)
        notes.append(f"timeoutMsec {json.dumps(value)} is read as {number}")
    else:
        raise WebhookConfigError("timeoutMsec", f"expected a number of milliseconds, got {_json_type(value)}")
    if not I32.low <= number <= I32.high:  # a Java int
        raise WebhookConfigError("timeoutMsec", f"{value} is out of range of a Java int")
    return number


def _headers(value: object, notes: list[str]) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise WebhookConfigError("headers", f"expected an object of header names to values, got {_json_type(value)}")
    headers = []
    for name, item in value.items():
        if isinstance(item, _Number):
            notes.append(f"headers.{name}: the number {item} is sent as the text {str(item)!r}")
            text = str(item)
        elif isinstance(item, bool):
            text = "true" if item else "false"
            notes.append(f"headers.{name}: the boolean {text} is sent as the text {text!r}")
        elif isinstance(item, str):
            text = item
        elif item is None:
            raise WebhookConfigError(f"headers.{name}", "null (not documented: aurorakit refuses it)")
        else:
            raise WebhookConfigError(f"headers.{name}", f"expected a string, number or boolean, got {_json_type(item)}")
        headers.append((name, text))
    return tuple(headers)


def _statuses(value: object, known: tuple[str, ...], profile: Profile) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise WebhookConfigError("statuses", f"expected an array of status names, got {_json_type(value)}")
    for index, name in enumerate(value):
        if not isinstance(name, str) or isinstance(name, _Number):
            raise WebhookConfigError(f"statuses[{index}]", f"expected a string, got {_json_type(name)}")
        if name != "*" and name not in known:
            since = " (it came in 0.20)" if name == "PARTITIONED" else ""
            raise WebhookConfigError(
                f"statuses[{index}]", f"unknown status {name!r} in Aurora {profile.version}{since}"
                + ("" if since else _did_you_mean(name, list(known))) + ": the scheduler stops at startup")
    return None if "*" in value else frozenset(value)
