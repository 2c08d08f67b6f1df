"""``aurorakit check-config``: would an Aurora release start with this webhook.json, and what would it send."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..webhook.check_config import check_config, report_json, report_text
from ..webhook.webhook_json import describe_keys
from .output import command

CHECK_CONFIG_EXAMPLES = """\
  aurorakit check-config webhook.json --aurora 0.14
  aurorakit check-config webhook.json --aurora 0.22.0 --json | jq .headers"""


def add_command(commands: Any) -> None:
    sub = command(commands, "check-config", "say whether an Aurora release would start with a webhook.json",
                   "Read webhook.json exactly as the Aurora release reads it and say whether the\n"
                   "scheduler would start with it; if not, the exact reason. If it would: the target,\n"
                   "the headers as a receiver sees them (configured, added by the release's HTTP\n"
                   "client, the timestamp header and what happens to a configured one of that name),\n"
                   "how the body is encoded, what timeoutMsec bounds, which events are posted, and\n"
                   "whether aurorakit send can send with it in each delivery mode.\n"
                   "Exit status: 0 the release would start, 1 it would not, 2 the file cannot be read.",
                   CHECK_CONFIG_EXAMPLES + "\n\nwebhook.json keys:\n" + describe_keys())
    sub.add_argument("file", metavar="webhook.json", help="the Aurora webhook config to check")
    sub.add_argument("--aurora", required=True, metavar="RELEASE", help="the Aurora release that reads it")
    sub.add_argument("--json", action="store_true", help="print the report as one JSON object")
    sub.set_defaults(handler=_check_config)


def _check_config(args: argparse.Namespace) -> int:
    report = check_config(args.file, args.aurora)
    if args.json:
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    else:
        print(report_text(report), file=sys.stdout if report.readable else sys.stderr)
    return report.exit_status()
