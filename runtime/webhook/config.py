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

aurorakit's own settings (delivery mode, retry policy, spool, signing secret,
queue size, workers, the release itself) live in ``settings.py``: flags,
``AURORAKIT_*`` variables or a settings file, never in ``webhook.json``.
:func:`load_config` joins the two into a :class:`WebhookConfig` and adds the
checks a value must pass to be sent at all (header names and values an HTTP
request can carry), so a bad header is a config error, not a stuck delivery.
Secrets and Authorization-like header values never appear in reprs or errors.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from ..errors import AurorakitError
from ..scalars import I32
from ..aurora.profiles import Profile, ProfileError, profile_for

from .aurora_clients import behaviour_for, timeout_meaning
from .redaction import REDACTED, is_sensitive_header, redact_headers, redact_url
from .settings import DELIVERY_MODES, OLD_KEYS, RetryPolicy, Settings, settings_from_dict, where_it_goes

__all__ = ["AURORA_0_22_STATUSES", "AuroraConfig", "CONFIG_KEYS", "DELIVERY_MODES", "RetryPolicy",
           "WebhookConfig", "WebhookConfigError", "config_from_dict", "describe_keys", "load_config",
           "parse_config", "read_aurora_config"]

DEFAULT_RELEASE = "0.22"
AURORA_0_22_STATUSES: tuple[str, ...] = profile_for(DEFAULT_RELEASE).schedule_statuses
# Headers the HTTP layer or the signing scheme sets; configuring them breaks requests.
_RESERVED_HEADERS = frozenset(
    {"content-length", "host", "transfer-encoding", "connection",
     "webhook-id", "webhook-timestamp", "webhook-signature"}
)
# RFC 9110 token. Used with fullmatch: "$" would also match before a trailing newline.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
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


@dataclass(frozen=True, repr=False)
class WebhookConfig:
    """Aurora's keys (from ``webhook.json``) and aurorakit's settings, as the senders use them."""

    target_url: str
    timeout_msec: int
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    statuses: frozenset[str] | None = None  # None: every status
    profile: str = DEFAULT_RELEASE
    delivery: str = "reliable"
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    spool: str | None = None
    signing_secret: str | None = None
    queue_size: int = 10_000
    workers: int = 4

    def wants_status(self, status: str) -> bool:
        """Whether the ``statuses`` list admits an event with this new status."""
        return self.statuses is None or status in self.statuses

    def __repr__(self) -> str:
        secret = None if self.signing_secret is None else REDACTED
        statuses = None if self.statuses is None else sorted(self.statuses)
        return (
            f"WebhookConfig(target_url={redact_url(self.target_url)!r}, "
            f"timeout_msec={self.timeout_msec}, headers={redact_headers(self.headers)!r}, "
            f"statuses={statuses!r}, profile={self.profile!r}, delivery={self.delivery!r}, "
            f"retry={self.retry!r}, spool={self.spool!r}, signing_secret={secret!r}, "
            f"queue_size={self.queue_size}, workers={self.workers})"
        )


SettingsLike = Settings | Mapping[str, Any] | None


def load_config(path: str | Path, *, release: str | None = None, settings: SettingsLike = None,
                valid_statuses: Iterable[str] | None = None) -> WebhookConfig:
    """Read ``webhook.json`` as ``release`` (default: the settings' release, else 0.22) and join ``settings``.

    ``settings``: a :class:`Settings` (``settings.from_arguments``) or a mapping
    shaped like the settings file (``{"delivery": "aurora", "retry": {...}}``).
    """
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise WebhookConfigError(None, f"cannot read: {exc.strerror or exc}", source) from exc
    return parse_config(data, release=release, settings=settings, valid_statuses=valid_statuses, source=source)


def parse_config(text: str | bytes, *, release: str | None = None, settings: SettingsLike = None,
                 valid_statuses: Iterable[str] | None = None, source: str | None = None) -> WebhookConfig:
    """:func:`load_config` for the file's text."""
    settings = _settings(settings)
    aurora = read_aurora_config(text, release or settings.release or DEFAULT_RELEASE,
                                valid_statuses=valid_statuses, source=source)
    try:
        return _joined(aurora, settings)
    except WebhookConfigError as exc:
        raise WebhookConfigError(exc.key, exc.problem, source) from None


def config_from_dict(obj: object, *, release: str | None = None, settings: SettingsLike = None,
                     valid_statuses: Iterable[str] | None = None) -> WebhookConfig:
    """:func:`parse_config` for an already-parsed JSON value (numbers as Python numbers)."""
    settings = _settings(settings)
    profile = profile_for(release or settings.release or DEFAULT_RELEASE)
    return _joined(_aurora_config(_literal_numbers(obj), profile, valid_statuses), settings)


def read_aurora_config(text: str | bytes, release: str, *, valid_statuses: Iterable[str] | None = None,
                       source: str | None = None) -> AuroraConfig:
    """What Aurora ``release`` reads from this ``webhook.json``; WebhookConfigError if it would not start."""
    profile = profile_for(release)
    try:
        return _aurora_config(_json(text), profile, valid_statuses)
    except WebhookConfigError as exc:
        raise WebhookConfigError(exc.key, exc.problem, source) from None


def _settings(settings: SettingsLike) -> Settings:
    if settings is None:
        return Settings()
    return settings if isinstance(settings, Settings) else settings_from_dict(settings)


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
        parts.port
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
            if as_float != as_float or abs(as_float) == float("inf"):
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
    if not I32.low <= number <= I32.high:
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


# -- joining aurorakit's settings, and what a request can carry --------------------------

def _joined(aurora: AuroraConfig, settings: Settings) -> WebhookConfig:
    problem = sending_problem(aurora, settings.delivery)
    if problem is not None:
        raise WebhookConfigError(*problem)
    return WebhookConfig(
        target_url=aurora.target_url, timeout_msec=aurora.timeout_msec,
        headers=MappingProxyType(dict(aurora.headers)), statuses=aurora.statuses,
        profile=aurora.profile.version, delivery=settings.delivery, retry=settings.retry,
        spool=settings.spool, signing_secret=settings.signing_secret,
        queue_size=settings.queue_size, workers=settings.workers)


def sending_problem(aurora: AuroraConfig, delivery: str) -> tuple[str, str] | None:
    """(key, problem) if aurorakit cannot send with this config in ``delivery`` mode, else None."""
    seen: dict[str, str] = {}
    for name, value in aurora.headers:
        if not _HEADER_NAME.fullmatch(name):
            return "headers", f"invalid header name {name!r} (a request cannot carry it)"
        where = f"headers.{name}"
        if name.lower() in _RESERVED_HEADERS:
            return where, "set by the sender, cannot be configured"
        if name.lower() in seen:
            return where, f"same header as {seen[name.lower()]!r}"
        seen[name.lower()] = name
        shown = REDACTED if is_sensitive_header(name) else repr(value)
        if any(ch in "\r\n\0" for ch in value):
            return where, "value contains a line break or NUL (a request cannot carry it)"
        try:
            value.encode("latin-1")
        except UnicodeEncodeError as exc:
            bad = f" U+{ord(value[exc.start]):04X}" if shown != REDACTED else ""
            return where, f"value {shown} has a character outside ISO-8859-1{bad} (a request cannot carry it)"
    if delivery == "reliable" and aurora.target_problem is not None:
        return "targetURL", f"{aurora.target_problem} (reliable delivery needs an http(s) URL)"
    if delivery == "reliable" and aurora.timeout_msec <= 0:
        said = timeout_meaning(behaviour_for(aurora.profile), aurora.timeout_msec)
        return "timeoutMsec", (f"{aurora.timeout_msec}: Aurora {aurora.profile.version} took it as: {said}; "
                               f"reliable delivery needs a positive timeout")
    return None
