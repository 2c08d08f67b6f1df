"""``aurorakit send``: replay captured payloads to a webhook as an Aurora release would, or reliably."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from ..aurora.releases import DEFAULT_RELEASE, parse_release
from ..errors import PayloadError
from ..webhook import settings as aurorakit_settings
from ..webhook.aurora_clients import describe_quirks
from ..webhook.config import WebhookConfig, load_config
from ..webhook.outgoing import OccurrenceIds
from ..webhook.payloads import outgoing_from_text
from ..webhook.receive_tools import SECRET_ENV, SECRET_SOURCES_HELP, read_secret
from ..webhook.redaction import redact_url
from ..webhook.signing import SecretFormatError, decode_secret
from ..webhook.spool_salvage import salvage
from ..webhook.webhook_json import describe_keys
from .argtypes import non_negative_float
from .output import command, say
from .payload_commands import PayloadRun
from .release_options import ReleaseOptionError, add_release_options, recorded_in, resolve_release
from .webhook_options import WebhookCommandError, add_no_quirk, finish_delivery, start_delivery

SEND_EXAMPLES = f"""\
  aurorakit send --config webhook.json captured.json
  aurorakit send --config webhook.json day1.jsonl day2.jsonl --wait 60
  aurorakit send --config webhook.json aurora-0.22.0-lifecycles.json    # a vector file
  aurorakit send --config webhook.json events.jsonl --secret-file /run/secrets/webhook
  {SECRET_ENV}=whsec_... aurorakit send --config webhook.json events.jsonl
  aurorakit send --config webhook.json --resume        # what a crashed or stopped run left
  aurorakit send --config webhook.json webhooks.md
  aurorakit send --config webhook.json --aurora 0.14 --delivery aurora captured.jsonl
  aurorakit send --config webhook.json --settings aurorakit.json captured.jsonl
  AURORAKIT_WEBHOOK_SECRET_FILE=~/.whsec aurorakit send --config webhook.json --spool spool.db captured.jsonl

webhook.json keys (as Aurora reads them; check with aurorakit check-config):
"""


def add_command(commands: Any) -> None:
    sub = command(commands, "send", "replay captured payloads to a webhook as Aurora would",
                   "POST every payload in the files (one event per file, JSON lines, vector files,\n"
                   "documents with ```json blocks) to the config's targetURL, behaving like the\n"
                   "Aurora release named by --aurora (or AURORAKIT_AURORA, or the settings file):\n"
                   "  - events it did not post are skipped: oldState absent from 0.16 on, new statuses\n"
                   "    not in 'statuses' from 0.19 on;\n"
                   "  - the body is the payload's text (a pretty-printed one compacted, as Gson wrote\n"
                   "    it), turned into bytes by the release's wire rule: low 8 bits of each character\n"
                   "    (0.14, 0.15), ISO-8859-1 (0.16-0.18), or the Content-Type's charset (0.19 on),\n"
                   "    with '?' for characters the encoding cannot hold;\n"
                   "  - headers as configured plus the send time (TimeStamp/Timestamp).\n"
                   "delivery 'aurora': each event sent once as the release's HTTP client did (its own\n"
                   "    headers, timeouts, resends, redirects, concurrency, the 0.16 leak; quirks below),\n"
                   "    failures counted and dropped.\n"
                   "delivery 'reliable': spooled, retried with backoff until the retry deadline, signed;\n"
                   "send waits until every event is delivered or given up (or --wait seconds).\n"
                   "Each event's id (webhook-id) is derived from the release and the body, so sending\n"
                   "the same input again gives the same ids: events already in the spool are not sent\n"
                   "again, and receivers drop repeats. A spool is used by one sender at a time. After\n"
                   "a crash or Ctrl-C, --resume (or the same send again) delivers what the spool holds.\n"
                   "A damaged spool is refused, never replaced: move it aside and --salvage it.\n"
                   "Reliable requests are signed (Standard Webhooks) with the config's signingSecret,\n"
                   "or with the secret given here, which wins over the config:\n"
                   + SECRET_SOURCES_HELP + "\n"
                   "Prints the counters; exit status 1 if any event was given up, left undelivered or\n"
                   "not accepted by the spool (full disk: the reason is printed).",
                   SEND_EXAMPLES + describe_keys() + "\n\n" + aurorakit_settings.describe_settings()
                   + "\n\n" + describe_quirks())
    sub.add_argument("files", nargs="*", metavar="FILE", help="captured payloads (none with --resume)")
    sub.add_argument("--config", required=True, metavar="webhook.json", help="Aurora webhook config")
    sub.add_argument("--wait", type=non_negative_float, metavar="SECONDS",
                     help="reliable delivery: stop waiting after this long (default: until done)")
    sub.add_argument("--resume", action="store_true",
                     help="reliable delivery: send what the config's spool file holds (it must exist); "
                          "FILEs, if given, are added (events already in the spool are not added twice)")
    sub.add_argument("--salvage", metavar="DAMAGED.db",
                     help="copy the readable events of a damaged spool into the config's spool (a new file), "
                          "then send them as --resume does")
    secret = sub.add_mutually_exclusive_group()
    secret.add_argument("--secret-file", metavar="FILE",
                        help="read the Standard Webhooks signing secret from FILE (one line; safer than --secret)")
    secret.add_argument("--secret", metavar="S",
                        help=f"signing secret on the command line (visible in ps; prefer --secret-file or "
                             f"{SECRET_ENV})")
    add_release_options(sub, user_models=False, release_help=(
        "the Aurora release to send as (default: the release the files record, else AURORAKIT_AURORA "
        f"or the settings file, else {DEFAULT_RELEASE}); every payload must be one that release wrote: "
        "its models decode it"))
    add_no_quirk(sub)
    aurorakit_settings.add_arguments(sub)  # --delivery, --spool, ...: after the command's own
    sub.set_defaults(handler=_send)


def _sender_secret(args: argparse.Namespace, config: WebhookConfig) -> WebhookConfig:
    """The config with the signing secret from --secret-file, --secret or the environment, if given."""
    secret = read_secret(args.secret, args.secret_file)  # the same sources and order as receive's
    if secret is None:
        return config
    source = (f"--secret-file {args.secret_file}" if args.secret_file is not None
              else "--secret" if args.secret is not None else SECRET_ENV)
    if config.delivery == "aurora":
        raise WebhookCommandError(f"{source}: delivery 'aurora' does not sign requests (Aurora did not)")
    try:
        decode_secret(secret)
    except SecretFormatError as err:
        raise WebhookCommandError(f"{source}: {err}") from None
    return dataclasses.replace(config, signing_secret=secret)


def _send(args: argparse.Namespace) -> int:
    # A WebhookConfigError or SettingsError is an AurorakitError: one line, exit 2.
    settings = aurorakit_settings.from_arguments(args)
    profile, models = resolve_release(args, _recorded_by(args.files), configured=settings.release)
    config = _sender_secret(args, load_config(args.config, release=profile.version, settings=settings))
    if args.salvage is not None:
        args.resume = True
    option = "--salvage" if args.salvage is not None else "--resume"
    if args.resume and (config.delivery != "reliable" or config.spool is None):
        raise WebhookCommandError(f"{option}: no spool file to resume from (reliable delivery with "
                                  f"--spool, AURORAKIT_SPOOL or \"spool\" in the settings file)")
    if not args.files and not args.resume:
        raise WebhookCommandError("send: give the payload FILEs (or --resume to send what the spool holds)")
    occurrence = OccurrenceIds()
    if args.salvage is not None:
        assert config.spool is not None
        report = salvage(args.salvage, config.spool)  # a SpoolError is one line, exit 2
        say(args, f"{args.salvage}: {report.describe()}; written to the spool {config.spool}")
    delivery = start_delivery(config, profile, args, resume=args.resume)
    waiting = f" and what the spool {config.spool} holds" if args.resume else ""
    say(args, f"sending the payloads of {len(args.files)} file(s){waiting} to {redact_url(config.target_url)} "
              f"as Aurora {profile.version} (delivery {config.delivery})")
    run = PayloadRun(args)  # files read a payload at a time; a bad one is reported and skipped
    try:
        for source, payload in run.sources(args.files):
            if not args.aurora and source.aurora and parse_release(source.aurora) != profile.version:
                raise ReleaseOptionError(f"{source.path} records Aurora {source.aurora}, the other files "
                                         f"{profile.version}; name the one to send as with --aurora")
            try:
                event = occurrence(outgoing_from_text(payload.text, profile, delivery.content_type, models=models,
                                                      encoding=delivery.encoding))
            except PayloadError as err:
                run.payloads -= 1
                run.unreadable += 1
                run.problem(payload.label, str(err))
                continue
            delivery.submit(event)
    except KeyboardInterrupt:
        finish_delivery(delivery, 0.0, args)
        return 130
    status = finish_delivery(delivery, args.wait, args)
    return 2 if run.errors else status


def _recorded_by(paths: list[str]) -> str | None:
    from ..aurora.payload_files import open_payload_file  # here: ijson loads only when send reads files
    """The release the files record (their headers only; standard input is checked as it is read)."""
    def recorded(path: str) -> tuple[str, str | None]:
        with open_payload_file(path) as source:
            return path, source.aurora
    return recorded_in(recorded(path) for path in paths if path != "-")
