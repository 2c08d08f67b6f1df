"""What the webhook commands (receive, send, simulate, check-config) share: errors, warnings, delivery output."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import TYPE_CHECKING, TextIO

from ..aurora.profiles import Profile
from ..errors import AurorakitError
from ..webhook.aurora_clients import QUIRK_NAMES
from ..webhook.config import WebhookConfig
from .progress import Progress

if TYPE_CHECKING:  # the senders (requests) load only when a command delivers
    from ..webhook.delivery_run import Delivery, DeliveryReport


class WebhookCommandError(AurorakitError):
    """A webhook command cannot do what it was asked (reported as one line, exit 2)."""


class _StderrLines(logging.Handler):
    """One line per record on whatever ``sys.stderr`` is when the record comes."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record), file=sys.stderr)
        except Exception:  # noqa: BLE001  (logging's own convention)
            self.handleError(record)


def show_warnings() -> None:
    """Send the delivery engine's warnings (a failed POST, a give-up) to stderr, one line each."""
    logger = logging.getLogger("aurorakit.webhook")
    if not logger.handlers:
        handler = _StderrLines()
        handler.setFormatter(logging.Formatter("aurorakit: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        logger.propagate = False


def add_no_quirk(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--no-quirk", action="append", choices=QUIRK_NAMES, default=[], metavar="NAME",
                     help="delivery 'aurora': switch off one quirk of the release's HTTP client "
                          "(repeatable; the quirks are listed below)")


def start_delivery(config: WebhookConfig, profile: Profile, args: argparse.Namespace, *,
                   resume: bool = False) -> Delivery:
    """The config's delivery, with ``--no-quirk`` (which goes with delivery 'aurora' only)."""
    if args.no_quirk and config.delivery != "aurora":
        raise WebhookCommandError("--no-quirk goes with delivery 'aurora'")
    show_warnings()
    from ..webhook.delivery_run import open_delivery
    return open_delivery(config, profile, resume=resume, disabled_quirks=args.no_quirk)


def finish_delivery(delivery: Delivery, wait: float | None, args: argparse.Namespace,
                    out: TextIO | None = None) -> int:
    """Wait for the deliveries (with a progress bar), print the report; the exit status."""
    out = out if out is not None else sys.stdout
    with Progress(delivery.submitted(), "delivering") as bar:
        report = delivery.finish(wait, progress=bar.update_to)
    print_report(report, args.json, out)
    return report.exit_status()


def print_report(report: DeliveryReport, as_json: bool, out: TextIO) -> None:
    """The counters (a table, or one JSON totals line), then the notes; problems go to stderr."""
    if as_json:
        print(json.dumps({"type": "totals", **report.counters}), file=out, flush=True)
    else:
        shown = {name: value for name, value in report.counters.items()
                 if name not in ("not_delivered", "interrupted")}
        width = max(len(name) for name in shown)
        for name, value in shown.items():
            print(f"{name.ljust(width)}  {value}", file=out)
        for note in report.notes:
            print(note, file=out)
    for problem in report.problems:
        print(f"aurorakit: {problem}", file=sys.stderr)
