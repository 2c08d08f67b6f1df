"""aurorakit's own settings: everything a real scheduler's ``webhook.json`` must not hold.

Aurora stops at startup on any key of ``webhook.json`` it does not know, so
one file can serve a real scheduler and aurorakit only if aurorakit keeps its
own settings elsewhere. Each setting below comes from, first to last:

1. a command-line flag (``--workers 8``),
2. an environment variable (``AURORAKIT_WORKERS=8``),
3. a settings file (``--settings aurorakit.json`` or ``AURORAKIT_SETTINGS``):
   a JSON object with the keys below (``{"workers": 8, "retry": {...}}``);
   relative paths in it are taken from its folder,
4. the default.

The signing secret: ``AURORAKIT_WEBHOOK_SECRET``, a file named by
``--secret-file`` / ``AURORAKIT_WEBHOOK_SECRET_FILE`` /
``"signingSecretFile"`` (the file's text, surrounding whitespace dropped), or
``--secret`` (visible to every user in the process list: prefer the
others).

:data:`SETTINGS` is the one table of them all: the flags, the environment
variables, the settings file's keys, ``--help`` and the message for an old
``webhook.json`` that still carries them are all made from it.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..aurora.releases import DEFAULT_RELEASE, ProfileError, parse_release
from ..errors import AurorakitError
from ..scalars import I32
from .receive_tools import SECRET_ENV  # the same secret, by the same names, as aurorakit receive
from .signing import SecretFormatError, decode_secret

DELIVERY_MODES: tuple[str, ...] = ("reliable", "aurora")
MAX_WORKERS = 64
SETTINGS_ENV = "AURORAKIT_SETTINGS"


class SettingsError(AurorakitError, ValueError):
    """A bad aurorakit setting; the message names where it came from (flag, variable or file key)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Reliable delivery's retries: capped exponential backoff with jitter, until a deadline.

    In the spirit of Standard Webhooks, an event is retried until
    ``deadline_sec`` after it was submitted (a day), not for a small number of
    attempts: a receiver down for hours loses nothing. ``max_attempts`` None
    is no limit on the count. ``jitter`` 1 is full jitter (uniform between 0
    and the capped backoff).
    """

    max_attempts: int | None = None
    initial_backoff_msec: int = 500
    max_backoff_msec: int = 300_000
    jitter: float = 1.0
    deadline_sec: float = 86_400.0


@dataclass(frozen=True)
class Settings:
    """aurorakit's settings, resolved (``release`` None: the default release)."""

    release: str | None = None
    delivery: str = "reliable"
    retry: RetryPolicy = RetryPolicy()
    spool: str | None = None
    signing_secret: str | None = None
    queue_size: int = 10_000
    workers: int = 4

    def __repr__(self) -> str:
        secret = None if self.signing_secret is None else "<redacted>"
        return (f"Settings(release={self.release!r}, delivery={self.delivery!r}, retry={self.retry!r}, "
                f"spool={self.spool!r}, signing_secret={secret!r}, queue_size={self.queue_size}, "
                f"workers={self.workers})")


def _delivery(text: str) -> str:
    if text not in DELIVERY_MODES:
        raise ValueError(f"expected 'reliable' or 'aurora', got {text!r}")
    return text


def _int_in(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value}")
        return value
    return parse


def _float_in(low: float, high: float | None, *, open_low: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
        too_low = value <= low if open_low else value < low
        if value != value or too_low or (high is not None and value > high) or value == float("inf"):
            bounds = f"between {low:g} and {high:g}" if high is not None else f"a number greater than {low:g}"
            raise ValueError(f"must be {bounds}, got {text}")
        return value
    return parse


def _text(text: str) -> str:
    if not text:
        raise ValueError("must not be empty")
    return text


@dataclass(frozen=True)
class Setting:
    """One aurorakit setting: its settings-file key, flag, environment variable and meaning."""

    key: str          # in the settings file; "retry.x" is key x of the "retry" object
    flag: str
    field: str        # attribute of Settings (of RetryPolicy for retry.*)
    kind: str         # "string", "integer" or "number": what the settings file holds
    parse: Callable[[str], Any]
    meaning: str
    metavar: str = "N"
    variable: str | None = None  # when not AURORAKIT_ and the flag's name

    @property
    def env(self) -> str:
        return self.variable or "AURORAKIT_" + self.flag[2:].replace("-", "_").upper()

    @property
    def dest(self) -> str:
        return "setting_" + self.flag[2:].replace("-", "_")


SETTINGS: tuple[Setting, ...] = (
    Setting("aurora", "--aurora", "release", "string", parse_release,
            f"Aurora release to behave as, 0.14 .. 0.27 (default {DEFAULT_RELEASE})", "RELEASE"),
    Setting("delivery", "--delivery", "delivery", "string", _delivery,
            "'reliable' (default: spooled, retried, signed) or 'aurora' (one try each, as the release did)",
            "MODE"),
    Setting("spool", "--spool", "spool", "string", _text, "SQLite spool file (default: in memory, lost on exit)",
            "FILE"),
    Setting("queueSize", "--queue-size", "queue_size", "integer", _int_in(1, 10_000_000),
            "most unfinished events in the spool before submit blocks (default 10000)"),
    Setting("workers", "--workers", "workers", "integer", _int_in(1, MAX_WORKERS),
            f"parallel deliveries, each task's events in order (default 4, at most {MAX_WORKERS})"),
    Setting("retry.maxAttempts", "--retry-max-attempts", "max_attempts", "integer", _int_in(1, I32.high),
            "give an event up after this many attempts (default: no limit, the deadline decides)"),
    Setting("retry.initialBackoffMsec", "--retry-initial-backoff-msec", "initial_backoff_msec", "integer",
            _int_in(1, I32.high), "first backoff in ms, doubled after each failure (default 500)"),
    Setting("retry.maxBackoffMsec", "--retry-max-backoff-msec", "max_backoff_msec", "integer",
            _int_in(1, I32.high), "backoff cap in ms (default 300000: 5 minutes)"),
    Setting("retry.jitter", "--retry-jitter", "jitter", "number", _float_in(0.0, 1.0, open_low=False),
            "0 (none) .. 1 (default: full jitter, uniform between 0 and the backoff)"),
    Setting("retry.deadlineSec", "--retry-deadline-sec", "deadline_sec", "number",
            _float_in(0.0, None, open_low=True),
            "give an event up this long after it was submitted (default 86400: a day)"),
    Setting("signingSecretFile", "--secret-file", "signing_secret", "string", _text,
            "file holding the Standard Webhooks secret (whsec_<base64> or text); unsigned without one", "FILE",
            SECRET_ENV + "_FILE"),
)
# The secret itself, as text: a flag (visible in the process list), a variable, or the file's key.
SECRET_FLAG = "--secret"
SECRET_KEY = "signingSecret"
_BY_KEY = {setting.key: setting for setting in SETTINGS}
# Keys of an old aurorakit webhook.json -> the settings key each is now.
OLD_KEYS: dict[str, str] = {"profile": "aurora", "delivery": "delivery", "spool": "spool",
                            "queueSize": "queueSize", "workers": "workers", "retry": "retry",
                            "signingSecret": SECRET_KEY}


def where_it_goes(old_key: str) -> str:
    """Where a key of an old aurorakit ``webhook.json`` lives now (flag, variable, settings-file key)."""
    new_key = OLD_KEYS[old_key]
    if new_key == SECRET_KEY:
        return (f"{SECRET_ENV}, a secret file (--secret-file, {SECRET_ENV}_FILE or "
                f"\"signingSecretFile\" in the settings file), or {SECRET_FLAG}")
    if new_key == "retry":
        return "--retry-* flags, AURORAKIT_RETRY_* variables or \"retry\" in the settings file (same keys)"
    setting = _BY_KEY[new_key]
    return f"{setting.flag}, {setting.env} or \"{setting.key}\" in the settings file"


def describe_settings() -> str:
    """Plain-text help: every setting's flag, variable and settings-file key."""
    lines = ["aurorakit settings: a flag wins over an AURORAKIT_* variable, which wins over the settings",
             f"file (--settings FILE or {SETTINGS_ENV}: a JSON object with the keys below, relative paths",
             "taken from its folder), which wins over the default. Never in webhook.json: a real",
             "scheduler stops at startup on any key it does not know.",
             f"  {'flag':<29} {'variable':<39} settings file"]
    for s in SETTINGS:
        lines.append(f"  {s.flag:<29} {s.env:<39} {s.key}")
        lines.append(f"      {s.meaning}")
    lines.append(f"  {SECRET_FLAG:<29} {SECRET_ENV:<39} {SECRET_KEY}")
    lines.append("      the secret itself; on the command line any user can read it in the process list,")
    lines.append("      so prefer the variable or a secret file readable only by you")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--settings`` and a flag per setting to a command's parser."""
    group = parser.add_argument_group("aurorakit settings (see the table below)")
    group.add_argument("--settings", metavar="FILE", help=f"aurorakit settings file (JSON; or {SETTINGS_ENV})")
    for s in SETTINGS:
        try:
            group.add_argument(s.flag, dest=s.dest, metavar=s.metavar, help=s.meaning)
        except argparse.ArgumentError:
            pass  # the command has this flag already (--aurora, send's --secret-file): read there
    try:
        group.add_argument(SECRET_FLAG, dest="setting_signing_secret", metavar="SECRET",
                           help=f"the secret itself (visible in the process list: prefer {SECRET_ENV} or a file)")
    except argparse.ArgumentError:
        pass  # send has its own --secret/--secret-file (read_secret, as receive reads them)


def from_arguments(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    """A command's settings: its flags, then ``environ`` (default ``os.environ``), then the settings file."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    settings_path = getattr(args, "settings", None) or env.get(SETTINGS_ENV) or None
    if settings_path:
        values.update(_read_file(settings_path))
    # Later layers win: the variables over the file, then the flags over both.
    env_texts = {s.key: (env[s.env], s.env) for s in SETTINGS if env.get(s.env)}
    values.update(_layer(env_texts, env.get(SECRET_ENV) or None, SECRET_ENV))
    flag_texts = {s.key: (text, s.flag) for s in SETTINGS if (text := _flag_value(args, s)) is not None}
    values.update(_layer(flag_texts, getattr(args, "setting_signing_secret", None), SECRET_FLAG))
    return _settings(values)


def _layer(texts: Mapping[str, tuple[str, str]], secret: str | None, secret_name: str) -> dict[str, Any]:
    """Checked values of one layer from ``{key: (text, flag or variable)}`` and the secret given as text."""
    if secret is not None and "signingSecretFile" in texts:
        raise SettingsError(f"{secret_name} and {texts['signingSecretFile'][1]}: give the secret one way")
    values = {key: _parse(_BY_KEY[key], text, where, None) for key, (text, where) in texts.items()}
    if secret is not None:
        values["signingSecretFile"] = _checked_secret(secret, secret_name)
    return values


def _flag_value(args: argparse.Namespace, setting: Setting) -> str | None:
    value = getattr(args, setting.dest, None)
    if value is None and setting.key == "aurora":
        value = getattr(args, "aurora", None)  # the command's own --aurora
    return None if value is None else str(value)


def settings_from_dict(obj: Mapping[str, Any], *, source: str = "settings", base_dir: Path | None = None) -> Settings:
    """Settings from a mapping shaped like the settings file (``{"workers": 2, "retry": {...}}``)."""
    return _settings(_values_from_object(obj, source, base_dir))


def _read_file(path: str) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise SettingsError(f"{path}: cannot read the settings file: {reason}") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as err:
        raise SettingsError(f"{path}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
    except RecursionError:
        raise SettingsError(f"{path}: invalid settings: nested too deeply") from None
    if not isinstance(obj, dict):
        raise SettingsError(f"{path}: expected a JSON object of aurorakit settings")
    return _values_from_object(obj, path, Path(path).parent)


def _values_from_object(obj: Mapping[str, Any], source: str, base_dir: Path | None) -> dict[str, Any]:
    if SECRET_KEY in obj and "signingSecretFile" in obj:
        raise SettingsError(f"{source}: {SECRET_KEY} and signingSecretFile: give the secret one way")
    values: dict[str, Any] = {}
    for key, value in obj.items():
        if key == "retry":
            if not isinstance(value, dict):
                raise SettingsError(f"{source}: retry: expected an object")
            for sub, sub_value in value.items():
                values.update(_one_value(f"retry.{sub}", sub_value, source, base_dir))
        elif key == SECRET_KEY:
            if not isinstance(value, str):
                raise SettingsError(f"{source}: {SECRET_KEY}: expected a string")
            values["signingSecretFile"] = _checked_secret(value, f"{source}: {SECRET_KEY}")
        else:
            values.update(_one_value(key, value, source, base_dir))
    return values


_JSON_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float)}


def _one_value(key: str, value: object, source: str, base_dir: Path | None) -> dict[str, Any]:
    setting = _BY_KEY.get(key)
    if setting is None:
        known = ", ".join([s.key for s in SETTINGS] + [SECRET_KEY])
        raise SettingsError(f"{source}: {key}: unknown setting (known: {known})")
    if isinstance(value, bool) or not isinstance(value, _JSON_TYPES[setting.kind]):
        article = "an" if setting.kind == "integer" else "a"
        raise SettingsError(f"{source}: {key}: expected {article} {setting.kind}")
    return {key: _parse(setting, str(value), f"{source}: {key}", base_dir)}


def _parse(setting: Setting, text: str, where: str, base_dir: Path | None) -> Any:
    """Check one value; paths from a settings file are taken from its folder (``base_dir``)."""
    try:
        value = setting.parse(text)
    except (ValueError, ProfileError) as err:
        raise SettingsError(f"{where}: {err}") from None
    if setting.key in ("spool", "signingSecretFile") and base_dir is not None and value != ":memory:":
        value = str(base_dir / value)
    if setting.key == "signingSecretFile":
        try:
            secret = Path(value).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            raise SettingsError(f"{where}: cannot read the secret file {value}: {reason}") from None
        return _checked_secret(secret, f"{where} ({value})")
    return value


def _checked_secret(secret: str, where: str) -> str:
    try:
        decode_secret(secret)
    except SecretFormatError as err:
        raise SettingsError(f"{where}: {err}") from None
    return secret


def _settings(values: Mapping[str, Any]) -> Settings:
    default = RetryPolicy()
    retry = {s.field: values[s.key] for s in SETTINGS if s.key.startswith("retry.") and s.key in values}
    initial = retry.get("initial_backoff_msec", default.initial_backoff_msec)
    retry.setdefault("max_backoff_msec", max(default.max_backoff_msec, initial))
    if retry["max_backoff_msec"] < initial:
        raise SettingsError(f"retry.maxBackoffMsec: must be at least retry.initialBackoffMsec ({initial}), "
                            f"got {retry['max_backoff_msec']}")
    others = {s.field: values[s.key] for s in SETTINGS if not s.key.startswith("retry.") and s.key in values}
    settings = Settings(retry=RetryPolicy(**retry), **others)
    if settings.delivery == "aurora" and settings.signing_secret is not None:
        raise SettingsError("signing secret: not used with delivery 'aurora' (Aurora did not sign requests)")
    return settings
