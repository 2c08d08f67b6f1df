"""The relay's ``--target`` options: each ``--target URL`` may be followed by options for that target only::

    --target http://a/ --target-release 0.19 --target-secret-file a.secret \\
    --target http://b/ --target-deadline-sec 600 --target-max-backoff-msec 10000

Each option names a key of the relay's settings file (``runtime/relay/target_settings.py``
checks both); the file's targets come first, then those of the command line.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..relay.target_settings import KINDS, TargetSettingsError, check_distinct, read_targets_file, target_spec

if TYPE_CHECKING:  # http_target (and requests) load when a relay starts, not to build its --help
    from ..relay.http_target import TargetSpec


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
class _Target(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        namespace.targets.append({"url": values, "flags": {}})


class _TargetOption(argparse.Action):
    """An option of the ``--target`` it follows."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        targets = namespace.targets
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
                value = _typed(text, KINDS[flag.key], f"{where} {flag.flag}")
                if flag.key.startswith("retry."):
                    obj.setdefault("retry", {})[flag.key[6:]] = value
                else:
                    obj[flag.key] = value
        specs.append(target_spec(obj, where, None, {f.key: f.flag for f in TARGET_FLAGS}))
    check_distinct(specs)
    return specs


def _typed(text: str, kind: str, where: str) -> Any:
    if kind == "string":
        return text
    try:
        return int(text, 10) if kind == "integer" else float(text)
    except ValueError:
        raise TargetSettingsError(f"{where}: expected {'an integer' if kind == 'integer' else 'a number'}, "
                                f"got {text!r}") from None
