"""The webhook config the senders use: Aurora's ``webhook.json`` joined with aurorakit's settings.

``webhook_json.py`` reads ``webhook.json`` as the chosen release read it;
aurorakit's own settings (delivery mode, retry policy, spool, signing secret,
queue size, workers, the release itself) live in ``settings.py``: flags,
``AURORAKIT_*`` variables or a settings file, never in ``webhook.json``.
:func:`load_config` joins the two into a :class:`WebhookConfig` and adds the
checks a value must pass to be sent at all (header names and values an HTTP
request can carry), so a bad header is a config error, not a stuck delivery.
Secrets and Authorization-like header values never appear in reprs or errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..aurora.profiles import profile_for
from ..aurora.releases import DEFAULT_RELEASE
from .aurora_clients import behaviour_for, timeout_meaning
from .redaction import REDACTED, is_sensitive_header, redact_headers, redact_url
from .settings import DELIVERY_MODES, RetryPolicy, Settings, settings_from_dict
from .signing import WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP
from .webhook_json import AuroraConfig, WebhookConfigError, aurora_config_from_value, read_aurora_config

__all__ = ["AURORA_0_22_STATUSES", "DELIVERY_MODES", "RetryPolicy", "WebhookConfig", "config_from_dict",
           "load_config", "parse_config", "sending_problem"]

# Headers the HTTP layer or the signing scheme sets; configuring them breaks requests.
_RESERVED_HEADERS = frozenset(
    {"content-length", "host", "transfer-encoding", "connection", WEBHOOK_ID, WEBHOOK_TIMESTAMP, WEBHOOK_SIGNATURE}
)

AURORA_0_22_STATUSES: tuple[str, ...]  # declared here, made by __getattr__ below


def __getattr__(name: str) -> Any:
    # AURORA_0_22_STATUSES comes from the generated 0.22 enum: imported only when asked for, not at CLI start.
    if name == "AURORA_0_22_STATUSES":
        return profile_for("0.22").schedule_statuses
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# RFC 9110 token. Used with fullmatch: "$" would also match before a trailing newline.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


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
    """Read ``webhook.json`` as ``release`` (default: the settings' release, else ``DEFAULT_RELEASE``) and join ``settings``.

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
    aurora = aurora_config_from_value(obj, release or settings.release or DEFAULT_RELEASE, valid_statuses)
    return _joined(aurora, settings)



def _settings(settings: SettingsLike) -> Settings:
    if settings is None:
        return Settings()
    return settings if isinstance(settings, Settings) else settings_from_dict(settings)



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
