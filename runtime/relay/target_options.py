"""The relay's HTTP targets from the command line and from a settings file, each with its own policies.

On the command line each ``--target URL`` may be followed by options that
apply to that target only::

    --target http://a/ --target-release 0.19 --target-secret-file a.secret \\
    --target http://b/ --target-deadline-sec 600 --target-max-backoff-msec 10000

In a settings file (``--settings relay.json``) the same, as JSON::

    {"targets": [{"url": "http://a/", "aurora": "0.19", "signingSecretFile": "a.secret",
                  "retry": {"deadlineSec": 600, "maxBackoffMsec": 10000}, "timeoutSec": 10}]}

The keys are the ones ``aurorakit send``'s settings file uses (``aurora``,
``retry.*``, ``signingSecretFile``/``signingSecret``), checked by the same
code (``runtime/webhook/settings.py``); relative paths are from the file's
folder. Targets of the file come first, then those of the command line.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AurorakitError
from ..webhook.settings import SETTINGS, SettingsError, settings_from_dict

if TYPE_CHECKING:  # http_target (and requests) load when a relay starts, not to build its --help
    from .http_target import TargetSpec


class TargetOptionError(AurorakitError, ValueError):
    """A bad target option or settings file; the message names the target and the option or key."""


@dataclass(frozen=True)
class TargetFlag:
    flag: str
    key: str  # the settings file's key (retry.x: key x of "retry")
    metavar: str
    meaning: str


TARGET_FLAGS: tuple[TargetFlag, ...] = (
    TargetFlag("--target-release", "aurora", "RELEASE",
               "post this target the event as that Aurora release would have written it (default: as received)"),
    TargetFlag("--target-secret-file", "signingSecretFile", "FILE",
               "sign this target's requests (Standard Webhooks) with the secret in FILE"),
    TargetFlag("--target-deadline-sec", "retry.deadlineSec", "S",
               "give an event up this long after the relay accepted it (default 86400)"),
    TargetFlag("--target-initial-backoff-msec", "retry.initialBackoffMsec", "MS", "first backoff (default 500)"),
    TargetFlag("--target-max-backoff-msec", "retry.maxBackoffMsec", "MS", "backoff cap (default 300000)"),
    TargetFlag("--target-max-attempts", "retry.maxAttempts", "N", "give an event up after N attempts (default: "
               "no limit, the deadline decides)"),
    TargetFlag("--target-jitter", "retry.jitter", "J", "0 .. 1 (default 1: full jitter)"),
    TargetFlag("--target-timeout-sec", "timeoutSec", "S", "the most one attempt may take (default 10)"),
)
_KINDS = {s.key: s.kind for s in SETTINGS}
_KINDS["timeoutSec"] = "number"
TARGET_KEYS = ("url", "aurora", "signingSecretFile", "signingSecret", "retry", "timeoutSec")


class _Target(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        getattr(namespace, "targets").append({"url": values, "flags": {}})


class _TargetOption(argparse.Action):
    """An option of the ``--target`` it follows."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        targets = getattr(namespace, "targets")
        if not targets:
            raise argparse.ArgumentError(self, "give it after the --target URL it applies to")
        flags = targets[-1]["flags"]
        if self.option_strings[0] in flags:
            raise argparse.ArgumentError(self, f"given twice for --target {targets[-1]['url']}")
        flags[self.option_strings[0]] = values


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("HTTP targets (each option applies to the --target it follows)")
    group.add_argument("--target", action=_Target, dest="targets", default=[], metavar="URL",
                       help="an HTTP target (repeatable)")
    for flag in TARGET_FLAGS:
        group.add_argument(flag.flag, action=_TargetOption, dest="target_option", metavar=flag.metavar,
                           help=flag.meaning)
    group.add_argument("--settings", metavar="FILE", help='a JSON file of targets: {"targets": [{"url": ...}]}')


def targets_from_arguments(args: argparse.Namespace) -> list[TargetSpec]:
    specs = read_targets_file(args.settings) if args.settings else []
    for given in args.targets:
        where = f"--target {given['url']}"
        obj: dict[str, Any] = {"url": given["url"]}
        for flag in TARGET_FLAGS:
            if flag.flag in given["flags"]:
                text = given["flags"][flag.flag]
                value = _typed(text, _KINDS[flag.key], f"{where} {flag.flag}")
                if flag.key.startswith("retry."):
                    obj.setdefault("retry", {})[flag.key[6:]] = value
                else:
                    obj[flag.key] = value
        specs.append(_spec(obj, where, None, {f.key: f.flag for f in TARGET_FLAGS}))
    _no_repeats(specs)
    return specs


def read_targets_file(path: str) -> list[TargetSpec]:
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise TargetOptionError(f"{path}: cannot read the settings file: {err.strerror or err}") from None
    except (UnicodeDecodeError, RecursionError) as err:
        raise TargetOptionError(f"{path}: cannot read the settings file: {err}") from None
    except json.JSONDecodeError as err:
        raise TargetOptionError(f"{path}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
    if not isinstance(obj, dict):
        raise TargetOptionError(f'{path}: expected a JSON object like {{"targets": [...]}}')
    unknown = sorted(set(obj) - {"targets"})
    if unknown:
        raise TargetOptionError(f"{path}: {unknown[0]}: unknown setting (known: targets)")
    targets = obj.get("targets", [])
    if not isinstance(targets, list):
        raise TargetOptionError(f"{path}: targets: expected a list")
    return [_spec(item, f"{path}: targets[{n}]", Path(path).parent, None) for n, item in enumerate(targets)]


def _typed(text: str, kind: str, where: str) -> Any:
    if kind == "string":
        return text
    try:
        return int(text, 10) if kind == "integer" else float(text)
    except ValueError:
        raise TargetOptionError(f"{where}: expected {'an integer' if kind == 'integer' else 'a number'}, "
                                f"got {text!r}") from None


def _spec(obj: Any, where: str, base_dir: Path | None, flags: Mapping[str, str] | None) -> TargetSpec:
    if not isinstance(obj, dict):
        raise TargetOptionError(f"{where}: expected an object with a url")
    unknown = sorted(set(obj) - set(TARGET_KEYS))
    if unknown:
        raise TargetOptionError(f"{where}: {unknown[0]}: unknown key (known: {', '.join(TARGET_KEYS)})")
    url = obj.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise TargetOptionError(f"{where}: url: expected an http:// or https:// URL, got {url!r}")
    timeout = obj.get("timeoutSec", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 3600:
        name = flags["timeoutSec"] if flags else "timeoutSec"
        raise TargetOptionError(f"{where}: {name}: must be a number between 0 and 3600 (exclusive of 0), "
                                f"got {timeout!r}")
    policy = {k: v for k, v in obj.items() if k not in ("url", "timeoutSec")}
    try:
        settings = settings_from_dict(policy, source=where, base_dir=base_dir)
    except SettingsError as err:
        message = str(err) if str(err).startswith(where) else f"{where}: {err}"
        for key, flag in (flags or {}).items():  # name the flag the user typed, not the file key
            message = message.replace(f": {key}:", f" {flag}:")
        raise TargetOptionError(message) from None
    from .http_target import TargetSpec
    return TargetSpec(url=url, release=settings.release, secret=settings.signing_secret, retry=settings.retry,
                      timeout_sec=float(timeout))


def _no_repeats(specs: Sequence[TargetSpec]) -> None:
    names = [spec.name for spec in specs]
    for name in names:
        if names.count(name) > 1:
            raise TargetOptionError(f"target {name[5:]}: given twice (each target is one sink with one record)")
