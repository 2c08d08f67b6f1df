"""The relay's HTTP targets as settings, each with its own policies: checked, and read from a settings file.

In a settings file (``--settings relay.json``)::

    {"targets": [{"url": "http://a/", "aurora": "0.19", "signingSecretFile": "a.secret",
                  "retry": {"deadlineSec": 600, "maxBackoffMsec": 10000}, "timeoutSec": 10}]}

The keys are the ones ``aurorakit send``'s settings file uses (``aurora``,
``retry.*``, ``signingSecretFile``/``signingSecret``), checked by the same
code (``runtime/webhook/settings.py``); relative paths are from the file's
folder. The command line's ``--target`` options (``runtime/cli/target_arguments.py``)
name the same keys and are checked here too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AurorakitError
from ..webhook.settings import SETTINGS, SettingsError, settings_from_dict

if TYPE_CHECKING:  # http_target (and requests) load when a relay starts, not to build its --help
    from .http_target import TargetSpec

__all__ = ["KINDS", "TARGET_KEYS", "TargetSettingsError", "check_distinct", "read_targets_file", "target_spec"]


class TargetSettingsError(AurorakitError, ValueError):
    """A bad target option or settings file; the message names the target and the option or key."""


KINDS = {s.key: s.kind for s in SETTINGS} | {"timeoutSec": "number"}
"""Each target key's JSON kind ("string", "integer", "number")."""
TARGET_KEYS = ("url", "aurora", "signingSecretFile", "signingSecret", "retry", "timeoutSec")


def read_targets_file(path: str) -> list[TargetSpec]:
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise TargetSettingsError(f"{path}: cannot read the settings file: {err.strerror or err}") from None
    except (UnicodeDecodeError, RecursionError) as err:
        raise TargetSettingsError(f"{path}: cannot read the settings file: {err}") from None
    except json.JSONDecodeError as err:
        raise TargetSettingsError(f"{path}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
    if not isinstance(obj, dict):
        raise TargetSettingsError(f'{path}: expected a JSON object like {{"targets": [...]}}')
    unknown = sorted(set(obj) - {"targets"})
    if unknown:
        raise TargetSettingsError(f"{path}: {unknown[0]}: unknown setting (known: targets)")
    targets = obj.get("targets", [])
    if not isinstance(targets, list):
        raise TargetSettingsError(f"{path}: targets: expected a list")
    return [target_spec(item, f"{path}: targets[{n}]", Path(path).parent, None) for n, item in enumerate(targets)]


def target_spec(obj: Any, where: str, base_dir: Path | None, flags: Mapping[str, str] | None) -> TargetSpec:
    """The target ``obj`` (a settings file's entry) describes; ``flags``: the option each key came from, if any."""
    if not isinstance(obj, dict):
        raise TargetSettingsError(f"{where}: expected an object with a url")
    unknown = sorted(set(obj) - set(TARGET_KEYS))
    if unknown:
        raise TargetSettingsError(f"{where}: {unknown[0]}: unknown key (known: {', '.join(TARGET_KEYS)})")
    url = obj.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise TargetSettingsError(f"{where}: url: expected an http:// or https:// URL, got {url!r}")
    timeout = obj.get("timeoutSec", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 3600:
        name = flags["timeoutSec"] if flags else "timeoutSec"
        raise TargetSettingsError(f"{where}: {name}: must be a number between 0 and 3600 (exclusive of 0), "
                                f"got {timeout!r}")
    policy = {k: v for k, v in obj.items() if k not in ("url", "timeoutSec")}
    try:
        settings = settings_from_dict(policy, source=where, base_dir=base_dir)
    except SettingsError as err:
        message = str(err) if str(err).startswith(where) else f"{where}: {err}"
        for key, flag in (flags or {}).items():  # name the flag the user typed, not the file key
            message = message.replace(f": {key}:", f" {flag}:")
        raise TargetSettingsError(message) from None
    from .http_target import TargetSpec

    return TargetSpec(url=url, release=settings.release, secret=settings.signing_secret, retry=settings.retry,
                      timeout_sec=float(timeout))


def check_distinct(specs: Sequence[TargetSpec]) -> None:
    """Refuse a target given twice (each target is one sink with one record)."""
    names = [spec.name for spec in specs]
    for name in names:
        if names.count(name) > 1:
            raise TargetSettingsError(f"target {name[5:]}: given twice (each target is one sink with one record)")
