"""Aurora's ``webhook.json``, read and validated.

Aurora's own keys (its ``-webhook_config`` file):

``targetURL`` (string, required)
    The http:// or https:// URL every event is POSTed to.
``timeoutMsec`` (integer > 0, required)
    Milliseconds. Aurora 0.14/0.15 used it as the connect timeout only; from
    0.16 on as the connect and read timeout (see ``sender.py``).
``headers`` (object of string to string, default ``{}``)
    Sent with every POST, e.g. ``Content-Type``.
``statuses`` (array of ScheduleStatus names, default: all)
    From Aurora 0.19 on only events whose new status is listed are posted;
    ``"*"`` means all. Older profiles ignore the list, as those Aurora
    versions did. An empty list is refused as a likely mistake.

aurorakit's own keys (Aurora ignores them):

``profile`` (string, default ``"0.22"``)
    Aurora version to behave like, ``"0.14"`` to ``"0.22"``.
``delivery`` (``"reliable"`` (default) or ``"aurora"``)
    ``aurora``: one POST per event, failures counted and dropped, as Aurora.
    ``reliable``: spooled in SQLite, retried with backoff, signed.
``retry`` (object, reliable mode)
    ``maxAttempts`` (int >= 1, default 12), ``initialBackoffMsec`` (int > 0,
    default 250), ``maxBackoffMsec`` (int >= initial, default 60000),
    ``jitter`` (0..1, default 1 = full jitter), ``deadlineSec`` (number > 0,
    default 86400: an event not delivered that long after it was submitted is
    given up).
``spool`` (string)
    Path of the SQLite spool file; relative paths are taken from the config
    file's folder. Without it the spool lives in memory and does not survive
    a restart.
``signingSecret`` (string)
    Standard Webhooks secret, ``whsec_<base64>`` or raw text (its UTF-8 bytes).
``queueSize`` (int >= 1, default 10000)
    In-memory queue in front of the spool; ``submit`` blocks when it is full.
``workers`` (int 1..64, default 4)
    Parallel deliveries (one task's events are always delivered in order).

Every problem raises :class:`WebhookConfigError` naming the key. Secrets and
Authorization-like header values never appear in reprs or error messages.
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
from ..profiles import VERSIONS

from .redaction import REDACTED, redact_headers, redact_url
from .signing import SecretFormatError, decode_secret

AURORA_0_22_STATUSES: tuple[str, ...] = (
    "INIT", "PENDING", "ASSIGNED", "STARTING", "RUNNING", "FINISHED", "PREEMPTING",
    "RESTARTING", "DRAINING", "FAILED", "KILLED", "KILLING", "LOST", "THROTTLED",
)
SUPPORTED_PROFILES: tuple[str, ...] = VERSIONS
DELIVERY_MODES: tuple[str, ...] = ("reliable", "aurora")
MAX_JAVA_INT = 2**31 - 1
MAX_WORKERS = 64
# Headers the HTTP layer or the signing scheme sets; configuring them breaks requests.
_RESERVED_HEADERS = frozenset(
    {"content-length", "host", "transfer-encoding", "connection",
     "webhook-id", "webhook-timestamp", "webhook-signature"}
)
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # RFC 9110 token


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
    default: str
    owner: str  # "aurora" or "aurorakit"
    meaning: str


CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("targetURL", "string", "(required)", "aurora", "http(s) URL events are POSTed to"),
    ConfigKey("timeoutMsec", "integer", "(required)", "aurora",
              "timeout in ms: connect only (0.14/0.15), connect+read (0.16+)"),
    ConfigKey("headers", "object", "{}", "aurora", "headers sent with every POST"),
    ConfigKey("statuses", "array", '["*"]', "aurora",
              "new statuses to post (0.19+); \"*\" means all"),
    ConfigKey("profile", "string", '"0.22"', "aurorakit", "Aurora version to behave like (0.14..0.22)"),
    ConfigKey("delivery", "string", '"reliable"', "aurorakit",
              '"reliable" (spool, retry, sign) or "aurora" (one try, as Aurora)'),
    ConfigKey("retry", "object", "{...}", "aurorakit",
              "maxAttempts, initialBackoffMsec, maxBackoffMsec, jitter (0..1), deadlineSec"),
    ConfigKey("spool", "string", "(in memory)", "aurorakit", "SQLite spool file"),
    ConfigKey("signingSecret", "string", "(unsigned)", "aurorakit",
              "Standard Webhooks secret, whsec_<base64> or raw"),
    ConfigKey("queueSize", "integer", "10000", "aurorakit", "in-memory queue before the spool"),
    ConfigKey("workers", "integer", "4", "aurorakit", "parallel deliveries (per-task order kept)"),
)
_RETRY_KEYS = ("maxAttempts", "initialBackoffMsec", "maxBackoffMsec", "jitter", "deadlineSec")


def describe_keys() -> str:
    """A plain-text table of every accepted key, for ``--help`` style output."""
    rows = [("key", "type", "default", "from", "meaning")]
    rows += [(k.name, k.type, k.default, k.owner, k.meaning) for k in CONFIG_KEYS]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[4]
             for row in rows]
    return "\n".join(line.rstrip() for line in lines)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 12
    initial_backoff_msec: int = 250
    max_backoff_msec: int = 60_000
    jitter: float = 1.0
    deadline_sec: float = 86_400.0


@dataclass(frozen=True, repr=False)
class WebhookConfig:
    target_url: str
    timeout_msec: int
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    statuses: frozenset[str] | None = None  # None: every status
    profile: str = "0.22"
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


def load_config(path: str | Path, *, valid_statuses: Iterable[str] | None = None) -> WebhookConfig:
    """Read and validate a ``webhook.json`` file."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise WebhookConfigError(None, f"cannot read: {exc.strerror or exc}", source) from exc
    return parse_config(data, valid_statuses=valid_statuses, source=source,
                        base_dir=Path(path).parent)


def parse_config(
    text: str | bytes,
    *,
    valid_statuses: Iterable[str] | None = None,
    source: str | None = None,
    base_dir: Path | None = None,
) -> WebhookConfig:
    """Validate the JSON text of a webhook config."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise WebhookConfigError(None, f"not valid UTF-8 (byte {exc.start})", source) from exc
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicate_keys,
                         parse_constant=_no_special_numbers)
    except json.JSONDecodeError as exc:
        raise WebhookConfigError(
            None, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", source
        ) from exc
    except WebhookConfigError as exc:
        raise WebhookConfigError(exc.key, exc.problem, source) from None
    except RecursionError:
        raise WebhookConfigError(None, "nested too deeply to be a webhook config", source) from None
    try:
        return config_from_dict(obj, valid_statuses=valid_statuses, base_dir=base_dir)
    except WebhookConfigError as exc:
        raise WebhookConfigError(exc.key, exc.problem, source) from None


def config_from_dict(
    obj: object, *, valid_statuses: Iterable[str] | None = None, base_dir: Path | None = None
) -> WebhookConfig:
    """Validate an already-parsed JSON value."""
    if not isinstance(obj, dict):
        raise WebhookConfigError(None, f"expected a JSON object at the top level, got {_json_type(obj)}")
    _reject_unknown_keys(obj, [k.name for k in CONFIG_KEYS], prefix="")
    known_statuses = tuple(valid_statuses) if valid_statuses is not None else AURORA_0_22_STATUSES

    delivery = _string(obj, "delivery", "reliable")
    if delivery not in DELIVERY_MODES:
        raise WebhookConfigError("delivery", f"expected 'reliable' or 'aurora', got {delivery!r}")
    secret = _optional_string(obj, "signingSecret")
    if secret is not None:
        _check_secret(secret)
        if delivery == "aurora":
            raise WebhookConfigError(
                "signingSecret", "not used with delivery 'aurora' (Aurora did not sign requests)")
    spool = _optional_string(obj, "spool")
    if spool is not None and base_dir is not None and spool != ":memory:":
        spool = str(base_dir / spool)
    return WebhookConfig(
        target_url=_target_url(obj),
        timeout_msec=_integer(obj, "timeoutMsec", None, minimum=1, maximum=MAX_JAVA_INT,
                              hint="a positive integer of milliseconds"),
        headers=MappingProxyType(_headers(obj)),
        statuses=_statuses(obj, known_statuses),
        profile=_profile(obj),
        delivery=delivery,
        retry=_retry(obj),
        spool=spool,
        signing_secret=secret,
        queue_size=_integer(obj, "queueSize", 10_000, minimum=1, maximum=10_000_000),
        workers=_integer(obj, "workers", 4, minimum=1, maximum=MAX_WORKERS),
    )


# -- helpers -----------------------------------------------------------------

def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise WebhookConfigError(key, "duplicate key")
        result[key] = value
    return result


def _no_special_numbers(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (and Gson) do not.
    raise WebhookConfigError(None, f"invalid JSON: {name} is not a JSON value")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    folded = {c.lower(): c for c in choices}
    match = folded.get(word.lower())
    if match is None:
        close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
        match = close[0] if close else None
    return f" (did you mean {match!r}?)" if match else ""


def _reject_unknown_keys(obj: Mapping[str, Any], known: list[str], prefix: str) -> None:
    for key in obj:
        if key not in known:
            raise WebhookConfigError(f"{prefix}{key}", "unknown key" + _did_you_mean(key, known))


def _string(obj: Mapping[str, Any], key: str, default: str) -> str:
    value = _optional_string(obj, key)
    return default if value is None else value


def _optional_string(obj: Mapping[str, Any], key: str) -> str | None:
    if key not in obj:
        return None
    value = obj[key]
    if not isinstance(value, str):
        raise WebhookConfigError(key, f"expected a string, got {_json_type(value)}")
    if not value:
        raise WebhookConfigError(key, "must not be empty")
    return value


def _integer(obj: Mapping[str, Any], key: str, default: int | None, *, minimum: int,
             maximum: int, hint: str = "", label: str | None = None) -> int:
    label = label or key
    if key not in obj:
        if default is None:
            raise WebhookConfigError(label, f"missing (required, {hint})" if hint else "missing")
        return default
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int):
        got = _json_type(value) + (f" {value!r}" if isinstance(value, float) else "")
        raise WebhookConfigError(label, f"expected an integer, got {got}")
    if value < minimum:
        what = "a positive integer" if minimum == 1 else f"at least {minimum}"
        raise WebhookConfigError(label, f"must be {what}, got {value}")
    if value > maximum:
        raise WebhookConfigError(label, f"too large (at most {maximum}), got {value}")
    return value


def _target_url(obj: Mapping[str, Any]) -> str:
    if "targetURL" not in obj:
        raise WebhookConfigError("targetURL", "missing (required)")
    url = _string(obj, "targetURL", "")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise WebhookConfigError("targetURL", "contains whitespace or control characters")
    shown = redact_url(url)
    if "://" not in url:
        raise WebhookConfigError("targetURL", f"not an absolute URL: {shown!r}")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise WebhookConfigError("targetURL", f"unsupported scheme {parts.scheme!r} (only http and https)")
    try:
        port = parts.port
    except ValueError:
        raise WebhookConfigError("targetURL", f"invalid port in {shown!r}") from None
    if not parts.hostname:
        raise WebhookConfigError("targetURL", f"no host in {shown!r}")
    del port
    return url


def _headers(obj: Mapping[str, Any]) -> dict[str, str]:
    value = obj.get("headers", {})
    if not isinstance(value, dict):
        raise WebhookConfigError(
            "headers", f"expected an object of string to string, got {_json_type(value)}")
    seen: dict[str, str] = {}
    for name, header_value in value.items():
        if not _HEADER_NAME.match(name):
            raise WebhookConfigError("headers", f"invalid header name {name!r}")
        if name.lower() in _RESERVED_HEADERS:
            raise WebhookConfigError(f"headers.{name}", "set by the sender, cannot be configured")
        if name.lower() in seen:
            raise WebhookConfigError(f"headers.{name}", f"same header as {seen[name.lower()]!r}")
        seen[name.lower()] = name
        if not isinstance(header_value, str):
            raise WebhookConfigError(f"headers.{name}", f"expected a string, got {_json_type(header_value)}")
        if "\r" in header_value or "\n" in header_value:
            raise WebhookConfigError(f"headers.{name}", "value contains a line break")
    return dict(value)


def _statuses(obj: Mapping[str, Any], known: tuple[str, ...]) -> frozenset[str] | None:
    if "statuses" not in obj:
        return None
    value = obj["statuses"]
    if not isinstance(value, list):
        raise WebhookConfigError("statuses", f"expected an array of status names, got {_json_type(value)}")
    if not value:
        raise WebhookConfigError("statuses", 'empty list (use ["*"] for all statuses, or omit the key)')
    for index, name in enumerate(value):
        if not isinstance(name, str):
            raise WebhookConfigError(f"statuses[{index}]", f"expected a string, got {_json_type(name)}")
        if name != "*" and name not in known:
            raise WebhookConfigError(
                f"statuses[{index}]", f"unknown status {name!r}" + _did_you_mean(name, known))
    return None if "*" in value else frozenset(value)


def _profile(obj: Mapping[str, Any]) -> str:
    value = _string(obj, "profile", "0.22")
    match = re.fullmatch(r"(0\.\d+)(?:\.\d+)?", value)
    if match is None or match.group(1) not in SUPPORTED_PROFILES:
        raise WebhookConfigError(
            "profile", f"unsupported Aurora version {value!r} (supported: 0.14 to 0.22)")
    return match.group(1)


def _retry(obj: Mapping[str, Any]) -> RetryPolicy:
    value = obj.get("retry", {})
    if not isinstance(value, dict):
        raise WebhookConfigError("retry", f"expected an object, got {_json_type(value)}")
    _reject_unknown_keys(value, list(_RETRY_KEYS), prefix="retry.")
    default = RetryPolicy()
    initial = _integer(value, "initialBackoffMsec", default.initial_backoff_msec, minimum=1,
                       maximum=MAX_JAVA_INT, label="retry.initialBackoffMsec")
    maximum = _integer(value, "maxBackoffMsec", max(default.max_backoff_msec, initial), minimum=1,
                       maximum=MAX_JAVA_INT, label="retry.maxBackoffMsec")
    if maximum < initial:
        raise WebhookConfigError("retry.maxBackoffMsec",
                                 f"must be at least retry.initialBackoffMsec ({initial}), got {maximum}")
    return RetryPolicy(
        max_attempts=_integer(value, "maxAttempts", default.max_attempts, minimum=1,
                              maximum=1_000_000, label="retry.maxAttempts"),
        initial_backoff_msec=initial,
        max_backoff_msec=maximum,
        jitter=_number(value, "jitter", default.jitter, low=0.0, high=1.0, inclusive_low=True),
        deadline_sec=_number(value, "deadlineSec", default.deadline_sec, low=0.0, high=None,
                             inclusive_low=False),
    )


def _number(obj: Mapping[str, Any], key: str, default: float, *, low: float, high: float | None,
            inclusive_low: bool) -> float:
    label = f"retry.{key}"
    if key not in obj:
        return default
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WebhookConfigError(label, f"expected a number, got {_json_type(value)}")
    too_low = value < low if inclusive_low else value <= low
    if too_low or (high is not None and value > high) or value != value:
        bounds = f"between {low:g} and {high:g}" if high is not None else f"greater than {low:g}"
        raise WebhookConfigError(label, f"must be {bounds}, got {value!r}")
    return float(value)


def _check_secret(secret: str) -> None:
    try:
        decode_secret(secret)
    except SecretFormatError as exc:
        raise WebhookConfigError("signingSecret", str(exc)) from None
