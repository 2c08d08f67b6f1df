"""The webhook commands of ``aurorakit``: ``receive``, ``send`` and ``simulate``.

``aurorakit.runtime.cli.main`` calls :func:`add_commands` with its subparsers.
As there, each command is a small function from parsed arguments to an exit
status; errors aurorakit raises on purpose (a bad webhook.json, a payload
that cannot be read, a port already in use) print as one line and exit 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sqlite3
import sys
import threading
import time
from datetime import datetime, timezone
from types import ModuleType
from typing import Any, TextIO

from .output import command, emit, say, sigterm_as_ctrl_c
from ..errors import AurorakitError, PayloadError
from ..aurora.event import TaskStateChange
from ..identity import IdentityTable
from .payload_commands import PayloadRun
from ..aurora.payload_files import open_payload_file
from ..aurora.profiles import Profile
from .release_options import ReleaseOptionError, add_release_options, recorded_in, resolve_release
from ..aurora.releases import header_line, parse_release
from .progress import Progress

from ..webhook import settings as aurorakit_settings
from ..webhook.check_config import check_config, report_json, report_text
from ..relay.stores import is_postgres_url, open_store
from ..webhook.config import WebhookConfig, describe_keys, load_config
from ..webhook.outgoing import OccurrenceIds, OutgoingEvent
from ..webhook.payloads import header, outgoing_from_event, outgoing_from_text, request_decoder
from ..webhook.receive_tools import (SECRET_ENV, SECRET_SOURCES_HELP, export_lines, raise_open_file_limit, read_secret,
                            rejected_text)
from ..webhook.receiver import DEFAULT_MAX_BODY_BYTES, Limits, ReceiverStore, RequestLog, StoredDelivery, serve
from ..webhook.redaction import redact_url
from ..webhook.aurora_clients import QUIRK_NAMES, behaviour_for, describe_quirks, wire_encoding
from ..webhook.aurora_delivery import AuroraSender
from ..webhook.sender import ReliableSender, SubmitQueueFullError, make_sender
from ..webhook.signing import SecretFormatError, decode_secret
from ..simulate.simulator import Simulator
from ..webhook.spool import Spool, SpoolError
from ..webhook.spool_salvage import salvage


class WebhookCommandError(AurorakitError):
    """A webhook command cannot do what it was asked (reported as one line, exit 2)."""


def add_commands(commands: Any) -> None:
    """Add ``receive``, ``send`` and ``simulate`` to the ``aurorakit`` subparsers."""
    _add_receive(commands)
    _add_send(commands)
    _add_simulate(commands)
    _add_check_config(commands)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _payload_models(args: argparse.Namespace, version: str | None,
                    recorded: str | None = None) -> tuple[Profile, ModuleType]:
    """The profile and models named by ``--aurora``/``--models``/``--idl``, else ``recorded``, else ``version``."""
    return resolve_release(args, recorded, configured=version)


class _StderrLines(logging.Handler):
    """One line per record on whatever ``sys.stderr`` is when the record comes."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record), file=sys.stderr)
        except Exception:  # noqa: BLE001  (logging's own convention)
            self.handleError(record)


def _show_warnings() -> None:
    """Send the delivery engine's warnings (a failed POST, a give-up) to stderr, one line each."""
    logger = logging.getLogger("aurorakit.webhook")
    if not logger.handlers:
        handler = _StderrLines()
        handler.setFormatter(logging.Formatter("aurorakit: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        logger.propagate = False


# -- check-config ----------------------------------------------------------------
CHECK_CONFIG_EXAMPLES = """\
  aurorakit check-config webhook.json --aurora 0.14
  aurorakit check-config webhook.json --aurora 0.22.0 --json | jq .headers"""


def _add_check_config(commands: Any) -> None:
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


# -- receive -------------------------------------------------------------------
RECEIVE_EXAMPLES = """\
  aurorakit receive --port 5000 --store received.db
  aurorakit receive --port 5000 --store received.db --aurora 0.14
  aurorakit receive --port 5000 --store received.db --secret-file webhook-secret.txt
  aurorakit receive --port 5000 --store received.db --host 0.0.0.0 --secret-file webhook-secret.txt
  aurorakit receive --store received.db --list 20
  aurorakit receive --store received.db --list --rejected
  aurorakit receive --store received.db --export captured.jsonl
  aurorakit receive --store received.db --tail --follow
  aurorakit receive --store received.db --list --json | jq .summary.status"""


def _add_receive(commands: Any) -> None:
    sub = command(commands, "receive", "receive webhooks, decode and store them; list or tail what was stored",
                   "Run an HTTP server that takes Aurora's task state change POSTs (any path) and\n"
                   "stores each one in an SQLite file: the raw body bytes, the headers (credentials\n"
                   "redacted) and a summary of the decoded event (task id, job key, instance,\n"
                   "old -> new status, timestamp of the last task event, which objects were hashed).\n"
                   "\n"
                   "Each body is read back as the Aurora release sent it (--aurora; bytes as ISO-8859-1\n"
                   "up to 0.18, in the Content-Type's charset from 0.19) and decoded into typed\n"
                   "objects; a payload that does not decode is answered 400 with the JSON path of the\n"
                   "problem and not stored. A repeated webhook-id (a retry of aurorakit's reliable\n"
                   "sender) is answered 200 and stored once. With a secret, requests must carry a\n"
                   "valid Standard Webhooks signature (401 otherwise). Ctrl-C stops the server.\n"
                   "Each request gets one line on stdout (-q: none): time, status, stored / duplicate /\n"
                   "rejected, task id and new status, size, latency, and the reason of a refusal;\n"
                   "refused requests are kept in the store with their reason (--list --rejected).\n"
                   "\n"
                   "It listens on 127.0.0.1 unless --host says otherwise; another address needs a\n"
                   "secret, or --allow-unsigned (with a warning). Limits: --max-body, a head must\n"
                   "arrive within --header-timeout and a body within --body-timeout, at most\n"
                   "--max-connections are open (the one waiting longest for a request is dropped to\n"
                   "make room); a store that cannot write is answered 503, so senders retry.\n"
                   "\n"
                   + SECRET_SOURCES_HELP + "\n"
                   "\n"
                   "With --list, --tail or --export nothing is served: the deliveries already in the\n"
                   "store are printed, oldest first (--follow keeps printing new ones until Ctrl-C),\n"
                   "or written as JSON lines that aurorakit send replays.",
                   RECEIVE_EXAMPLES)
    sub.add_argument("--store", required=True, metavar="FILE|URL",
                     help="SQLite file to store deliveries in, or a postgresql://... URL shared by several receivers")
    sub.add_argument("--port", type=_port, metavar="P", help="port to listen on (0: any free port, printed)")
    sub.add_argument("--host", default="127.0.0.1", metavar="HOST",
                     help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
    secret = sub.add_mutually_exclusive_group()
    secret.add_argument("--secret-file", metavar="FILE",
                        help="file holding the Standard Webhooks secret (whsec_<base64> or text): refuse unsigned "
                             "or wrongly signed requests (the safest way to give it)")
    secret.add_argument("--secret", metavar="S", help="the secret itself (visible in the process list; prefer "
                                                     "--secret-file or AURORAKIT_WEBHOOK_SECRET)")
    sub.add_argument("--allow-unsigned", action="store_true",
                     help="listen on an address other than loopback without a secret (prints a warning)")
    limits = Limits()
    sub.add_argument("--max-body", type=_positive_int, default=DEFAULT_MAX_BODY_BYTES, metavar="BYTES",
                     help=f"largest body accepted, larger ones get 413 (default {DEFAULT_MAX_BODY_BYTES})")
    sub.add_argument("--max-connections", type=_positive_int, default=limits.max_connections, metavar="N",
                     help=f"open connections at most (default {limits.max_connections})")
    sub.add_argument("--header-timeout", type=_positive_float, default=limits.header_timeout, metavar="SEC",
                     help=f"time a request head may take to arrive (default {limits.header_timeout:g})")
    sub.add_argument("--body-timeout", type=_positive_float, default=limits.body_timeout, metavar="SEC",
                     help=f"time a body may take to arrive (default {limits.body_timeout:g})")
    sub.add_argument("-q", "--quiet", action="store_true", help="no line per request")
    add_release_options(sub, release_help="Aurora release that sends: its wire charset and its models "
                                          "(default 0.22)")
    show = sub.add_mutually_exclusive_group()
    show.add_argument("--list", nargs="?", const=20, type=_positive_int, metavar="N",
                      help="print the N most recent deliveries (default 20) and exit")
    show.add_argument("--tail", nargs="?", const=10, type=_non_negative_int, metavar="N",
                      help="print the N most recent deliveries (default 10; 0: none), "
                           "then with --follow the new ones")
    show.add_argument("--export", metavar="FILE",
                      help="write every stored payload as JSON lines (- for stdout) for aurorakit send, and exit")
    sub.add_argument("--rejected", action="store_true", help="with --list: the refused requests and why")
    sub.add_argument("--follow", action="store_true", help="with --tail: keep printing new deliveries")
    sub.add_argument("--json", action="store_true", help="with --list/--tail: one JSON object per line")
    sub.set_defaults(handler=_receive)


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _receive(args: argparse.Namespace) -> int:
    if args.follow and args.tail is None:
        raise WebhookCommandError("receive: --follow goes with --tail")
    if args.rejected and args.list is None:
        raise WebhookCommandError("receive: --rejected goes with --list")
    if args.list is not None or args.tail is not None or args.export is not None:
        return _show_stored(args)
    if args.port is None:
        raise WebhookCommandError("receive: give --port to receive (or --list / --tail to show what is stored)")
    secret = read_secret(args.secret, args.secret_file)
    _show_warnings()
    profile, models = _payload_models(args, None)
    limits = Limits(max_body_bytes=args.max_body, max_connections=args.max_connections,
                    header_timeout=args.header_timeout, body_timeout=args.body_timeout)
    raise_open_file_limit(limits.max_connections)
    try:
        store = open_store(args.store)
    except (OSError, sqlite3.Error) as err:
        raise WebhookCommandError(f"{args.store}: cannot open the store: {err}") from None

    def ready(receiver: Any) -> None:
        signed = ", signatures required" if secret else ""
        print(f"listening on {receiver.url} (store {args.store}; Aurora {profile.version} payloads, "
              f"models {models.__name__}{signed}); Ctrl-C stops", flush=True)

    try:
        with sigterm_as_ctrl_c():
            serve(args.port, store, host=args.host, secret=secret, limits=limits,
                  decode_request=request_decoder(profile, models), on_ready=ready,
                  allow_unsigned=args.allow_unsigned, on_request=None if args.quiet else _print_request)
    except SecretFormatError as err:
        raise WebhookCommandError(f"signing secret: {err}") from None
    except OSError as err:
        raise WebhookCommandError(f"cannot listen on {args.host}:{args.port}: {err.strerror or err}") from None
    finally:
        count = store.count()
        store.close()
    print(f"stopped; {count} delivery(ies) in {args.store}", flush=True)
    return 0


def _show_stored(args: argparse.Namespace) -> int:
    if not is_postgres_url(args.store) and not os.path.exists(args.store):
        raise WebhookCommandError(f"{args.store}: no such store (aurorakit receive --port P --store {args.store} "
                                  f"makes one)")
    try:
        store = open_store(args.store)
    except sqlite3.Error as err:
        raise WebhookCommandError(f"{args.store}: not a receiver store ({err})") from None
    try:
        if args.export is not None:
            return _export(store, args)
        if args.list is not None and args.rejected:
            for rejected in store.rejected(args.list):
                print(rejected_text(rejected, args.json))
            return 0
        if args.list is not None:
            for delivery in store.list(args.list):
                print(_delivery_text(delivery, args.json))
            return 0
        try:
            with sigterm_as_ctrl_c():
                for delivery in store.tail(last=args.tail, follow=args.follow):
                    print(_delivery_text(delivery, args.json), flush=True)
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        store.close()


_PRINT_LOCK = threading.Lock()


def _print_request(entry: RequestLog) -> None:
    with _PRINT_LOCK:  # from several worker threads: one whole line at a time
        sys.stdout.write(entry.line() + "\n")
        sys.stdout.flush()


def _export(store: ReceiverStore, args: argparse.Namespace) -> int:
    profile, _ = _payload_models(args, None)
    try:
        out = sys.stdout if args.export == "-" else open(args.export, "w", encoding="utf-8", newline="\n")
    except OSError as err:
        raise WebhookCommandError(f"--export {args.export}: cannot write: {err.strerror or err}") from None
    try:
        written, skipped = export_lines(store.all(), profile, out)
    finally:
        if out is not sys.stdout:
            out.close()
    for reason in skipped:
        print(f"aurorakit: skipped {reason}", file=sys.stderr)
    print(f"exported {written} payload(s) to {args.export}" + (f", skipped {len(skipped)}" if skipped else ""),
          file=sys.stderr if args.export == "-" else sys.stdout)
    return 1 if skipped else 0


def _delivery_text(delivery: StoredDelivery, as_json: bool) -> str:
    if as_json:
        return json.dumps({"seq": delivery.seq, "receivedAt": delivery.received_at,
                           "webhookId": delivery.webhook_id, "path": delivery.path,
                           "bytes": len(delivery.body), "summary": delivery.summary}, ensure_ascii=False)
    when = datetime.fromtimestamp(delivery.received_at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    head = f"{delivery.seq:>6}  {when}"
    tail = f"{len(delivery.body)}B  id={delivery.webhook_id or '-'}"
    s = delivery.summary
    if not s:
        return f"{head}  (not decoded)  {tail}"
    return (f"{head}  {s.get('job')}/{s.get('instance')}  {s.get('oldState') or '-'} -> {s.get('status')}  "
            f"{s.get('taskId')}  lastEvent={s.get('lastEventTimestamp')}  "
            f"hashed={s.get('hashed')}({s.get('hashedObjects')})  {tail}")


# -- delivery, shared by send and simulate -------------------------------------------
class _Delivery:
    """The config's sender, fed one event at a time, then drained and reported.

    ``resume``: the config's spool file must exist already (it holds what a
    crashed or stopped run left).
    """

    def __init__(self, config: WebhookConfig, profile: Profile, as_json: bool = False, *,
                 resume: bool = False, disabled_quirks: list[str] | None = None) -> None:
        _show_warnings()
        self.as_json = as_json
        self.config = config
        self.profile = profile
        self.content_type = header(config.headers, "Content-Type")
        self.encoding = _body_encoding(config, profile, disabled_quirks or [])
        self.spool: Spool | None = None
        if config.delivery == "reliable" and config.spool is not None:
            self.spool = Spool(config.spool, create=not resume)  # a SpoolError is one line, exit 2
        try:
            self.sender = make_sender(config, profile=profile, spool=self.spool,
                                      disabled_quirks=disabled_quirks or ())
        except BaseException:
            if self.spool is not None:
                self.spool.close()
            raise
        self.refusal: str | None = None  # why the spool stopped taking events
        self.refused_after = 0  # events not offered once it had refused one (order per task is kept)

    def submit(self, event: OutgoingEvent) -> bool:
        """Hand ``event`` over; False once the spool refuses events (each is then counted, not sent)."""
        if isinstance(self.sender, AuroraSender):
            self.sender.submit(event)
            return True
        if self.refusal is not None:
            self.refused_after += 1
            return False
        while True:  # a full spool is backpressure: wait for the workers (Ctrl-C gives up)
            try:
                self.sender.submit(event, timeout=1.0)
                return True
            except SubmitQueueFullError:
                continue
            except SpoolError as err:
                self.refusal = str(err)
                return False

    def finish(self, wait: float | None, out: TextIO) -> int:
        """Wait (reliable mode) for deliveries to end, close, print the counters; the exit status."""
        sender = self.sender
        if isinstance(sender, AuroraSender):
            try:
                sender.close(timeout=wait)  # D/E: requests still in flight
            except KeyboardInterrupt:
                sender.close(timeout=0.0)
            stats = sender.stats()
            self._print_counters(dict(stats), out)
            return 1 if stats["no_answer"] + stats["answered_other"] else 0
        interrupted = not self._wait(sender, wait)
        try:
            sender.close(timeout=0.5 if interrupted else 2.0)
        finally:
            if self.spool is not None:
                self.spool.close()
        stats = sender.stats()  # final: taken after close, so exact
        stats["not_accepted"] += self.refused_after
        left = stats["pending"]
        self._print_counters(dict(stats, not_delivered=left, interrupted=interrupted), out)
        if stats["duplicates"] and not self.as_json:
            print(f"{stats['duplicates']} event(s) were already in the spool (sent or given up before, "
                  f"same event id): not sent again", file=out)
        if left and not self.as_json:
            where = (f"they stay in the spool {self.config.spool}; 'aurorakit send --config ... --resume' "
                     f"sends them" if self.config.spool
                     else "no spool file is configured, so they are dropped")
            print(f"{left} event(s) not delivered yet; {where}", file=out)
        if self.refusal is not None and self.refusal != sender.failure:  # a failure was logged when it came
            print(f"aurorakit: {self.refusal}", file=sys.stderr)
        if stats["not_accepted"]:
            print(f"aurorakit: {stats['not_accepted']} event(s) not accepted by the spool: not sent, "
                  f"send them again once it can be written", file=sys.stderr)
        if interrupted:
            return 130
        return 1 if stats["given_up"] or left or stats["not_accepted"] or sender.failure else 0

    @staticmethod
    def _wait(sender: ReliableSender, wait: float | None) -> bool:
        """Wait until nothing is pending (or ``wait`` seconds); False if interrupted."""
        deadline = None if wait is None else time.monotonic() + wait
        submitted = sender.stats()
        total = submitted["pending"] + submitted["delivered"] + submitted["given_up"]
        try:
            with Progress(total, "delivering") as bar:
                while True:
                    stats = sender.stats()
                    bar.advance(stats["delivered"] + stats["given_up"] - bar.done)
                    if (not stats["pending"] or sender.failure is not None
                            or (deadline is not None and time.monotonic() >= deadline)):
                        return True
                    time.sleep(0.05)
        except KeyboardInterrupt:
            return False

    def _print_counters(self, stats: dict[str, int], out: TextIO) -> None:
        if self.as_json:
            print(json.dumps({"type": "totals", **stats}), file=out, flush=True)
            return
        stats = {name: value for name, value in stats.items() if name not in ("not_delivered", "interrupted")}
        width = max(len(name) for name in stats)
        for name, value in stats.items():
            print(f"{name.ljust(width)}  {value}", file=out)


# -- send ------------------------------------------------------------------------------
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


def _add_send(commands: Any) -> None:
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
    sub.add_argument("--wait", type=_non_negative_float, metavar="SECONDS",
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
        "or the settings file, else 0.22); every payload must be one that release wrote: its models decode it"))
    _add_no_quirk(sub)
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


def _body_encoding(config: WebhookConfig, profile: Profile, disabled_quirks: list[str]) -> str | None:
    """None: bodies as the release made them; else the encoding a switched-off body quirk asks for.

    Checks the quirk names first (a QuirkError is one line, exit 2).
    """
    if config.delivery != "aurora":
        if disabled_quirks:
            raise WebhookCommandError("--no-quirk goes with delivery 'aurora'")
        return None
    return wire_encoding(behaviour_for(profile, disabled_quirks), header(config.headers, "Content-Type"))


def _add_no_quirk(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--no-quirk", action="append", choices=QUIRK_NAMES, default=[], metavar="NAME",
                     help="delivery 'aurora': switch off one quirk of the release's HTTP client "
                          "(repeatable; the quirks are listed below)")


def _send(args: argparse.Namespace) -> int:
    # A WebhookConfigError or SettingsError is an AurorakitError: one line, exit 2.
    settings = aurorakit_settings.from_arguments(args)
    profile, models = _payload_models(args, settings.release, _recorded_by(args.files))
    config = _sender_secret(args, load_config(args.config, release=profile.version, settings=settings))
    if args.salvage is not None:
        args.resume = True
    option = "--salvage" if args.salvage is not None else "--resume"
    if args.resume and (config.delivery != "reliable" or config.spool is None):
        raise WebhookCommandError(f"{option}: no spool file to resume from (reliable delivery with "
                                  f"--spool, AURORAKIT_SPOOL or \"spool\" in the settings file)")
    if not args.files and not args.resume:
        raise WebhookCommandError("send: give the payload FILEs (or --resume to send what the spool holds)")
    content_type = header(config.headers, "Content-Type")
    occurrence = OccurrenceIds()
    if args.salvage is not None:
        assert config.spool is not None
        report = salvage(args.salvage, config.spool)  # a SpoolError is one line, exit 2
        say(args, f"{args.salvage}: {report.describe()}; written to the spool {config.spool}")
    delivery = _Delivery(config, profile, as_json=args.json, resume=args.resume,
                         disabled_quirks=args.no_quirk)
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
                event = occurrence(outgoing_from_text(payload.text, profile, content_type, models=models,
                                                        encoding=delivery.encoding))
            except PayloadError as err:
                run.payloads -= 1
                run.unreadable += 1
                run.problem(payload.label, str(err))
                continue
            delivery.submit(event)
    except KeyboardInterrupt:
        delivery.finish(0.0, sys.stdout)
        return 130
    status = delivery.finish(args.wait, sys.stdout)
    return 2 if run.errors else status


def _recorded_by(paths: list[str]) -> str | None:
    """The release the files record (their headers only; standard input is checked as it is read)."""
    def recorded(path: str) -> tuple[str, str | None]:
        with open_payload_file(path) as source:
            return path, source.aurora
    return recorded_in(recorded(path) for path in paths if path != "-")


# -- simulate ----------------------------------------------------------------------------
SIMULATE_EXAMPLES = """\
  aurorakit simulate --jobs 10 --instances 5 --config webhook.json
  aurorakit simulate --jobs 50 --instances 20 --config webhook.json --rate 200 --duration 60
  aurorakit simulate --jobs 5 --instances 3 --dry-run events.jsonl --aurora 0.14 --seed 7
  aurorakit simulate --jobs 5 --instances 3 --dry-run events.json --events 1000
  aurorakit simulate --jobs 5 --instances 3 --dry-run events.json --aurora 0.22 --partition-aware
  aurorakit conformance events.json        # the dry-run vector file checks out
  aurorakit send --config webhook.json events.jsonl"""


def _add_simulate(commands: Any) -> None:
    sub = command(commands, "simulate", "simulate an Aurora scheduler's task events and send (or write) them",
                   "Simulate a scheduler that has just started with J jobs of I instances each\n"
                   "(realistic jobs named in Aurora's alphabet: roles, environments, executor data,\n"
                   "resources, ports, constraints, metadata) and drive their tasks through Aurora's\n"
                   "task lifecycle: INIT -> PENDING, ASSIGNED (agent, host, ports), STARTING, RUNNING,\n"
                   "then FINISHED, FAILED, LOST, or RESTARTING/DRAINING/PREEMPTING/KILLING -> KILLED;\n"
                   "ASSIGNED, PREEMPTING, RESTARTING, KILLING and DRAINING may time out to LOST.\n"
                   "A replacement (new taskId, ancestorId, failureCount carried over) is posted before\n"
                   "its ancestor's final event, THROTTLED with a growing penalty when the ancestor was\n"
                   "flapping. At the start and at every failover (--failover-every) 0.14/0.15 post one\n"
                   "event per stored task, ended ones included, oldState absent; later releases post\n"
                   "only transitions, 0.19 on only the config's statuses. PARTITIONED only with\n"
                   "--partition-aware (0.20 on; off by default, as in Aurora). Each job's shared\n"
                   "TaskConfig is hashed with one identity table (the default one, or --identity\n"
                   "FILE). A seed gives the same run.\n"
                   "\n"
                   "Without --events or --duration the run ends when every job has ended (its user\n"
                   "killed it, or its batch tasks finished); with them, ended jobs are replaced by new\n"
                   "ones until the limit. --events counts posted events.\n"
                   "\n"
                   "Events are sent with the config's delivery mode (see 'aurorakit send --help'), or\n"
                   "with --dry-run written to OUT: OUT.json gets a vector file (identity table\n"
                   "included; 'aurorakit conformance' reads it), any other name JSON lines of the\n"
                   "exact Java strings (after a first line {\"aurora\": RELEASE}) plus the identity\n"
                   "table in OUT's name with .identity.json. Both record the release, so later\n"
                   "commands reading OUT need no --aurora.",
                   SIMULATE_EXAMPLES)
    sub.add_argument("--jobs", required=True, type=_positive_int, metavar="J", help="jobs alive at a time")
    sub.add_argument("--instances", required=True, type=_positive_int, metavar="I", help="instances per job")
    sub.add_argument("--config", metavar="webhook.json", help="Aurora webhook config: target, headers, statuses")
    sub.add_argument("--dry-run", metavar="OUT", help="write the payloads to OUT instead of sending them")
    add_release_options(sub, release_help="the Aurora release to behave like (default: AURORAKIT_AURORA or the "
                                          "settings file, else 0.22); its models write the payloads")
    sub.add_argument("--identity", metavar="FILE", help="identity table of the simulated scheduler process")
    sub.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    sub.add_argument("--partition-aware", action="store_true",
                     help="0.20 and later: tasks whose agent is out of reach become PARTITIONED (off in Aurora "
                          "unless enabled)")
    sub.add_argument("--failover-every", type=_non_negative_float, default=6.0, metavar="HOURS",
                     help="simulated hours between scheduler restarts (default 6; 0: none)")
    sub.add_argument("--rate", type=_non_negative_float, default=0.0, metavar="R",
                     help="posted events per second (default 0: as fast as possible)")
    limit = sub.add_mutually_exclusive_group()
    limit.add_argument("--events", type=_positive_int, metavar="N", help="stop after N posted events")
    limit.add_argument("--duration", type=_non_negative_float, metavar="S", help="stop after S seconds")
    sub.add_argument("--wait", type=_non_negative_float, metavar="SECONDS",
                     help="reliable delivery: how long to wait for the last deliveries (default: until done)")
    _add_no_quirk(sub)
    aurorakit_settings.add_arguments(sub)
    sub.set_defaults(handler=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    if args.config is None and args.dry_run is None:
        raise WebhookCommandError("simulate: give --config (to send) or --dry-run OUT (to write)")
    settings = aurorakit_settings.from_arguments(args)
    profile, models = _payload_models(args, settings.release)
    config = (load_config(args.config, release=profile.version, settings=settings)
              if args.config is not None else None)
    if config is not None and config.statuses == frozenset() and args.events is not None:
        raise WebhookCommandError(f"simulate: {args.config} has \"statuses\": [], so nothing is posted and "
                                  f"--events {args.events} would never be reached")
    identity = None
    if args.identity:
        try:
            identity = IdentityTable.load(args.identity)
        except (OSError, ValueError) as err:
            raise WebhookCommandError(f"--identity {args.identity}: {err}") from None
    simulator = Simulator(args.jobs, args.instances, profile, args.seed,
                          statuses=None if config is None else config.statuses, identity=identity,
                          models=models, renew_jobs=args.events is not None or args.duration is not None,
                          partition_aware=args.partition_aware,
                          failover_every_ms=round(args.failover_every * 3_600_000))
    if args.dry_run is not None:
        with _DryRunFile(args.dry_run, simulator) as sink, sigterm_as_ctrl_c():
            posted, interrupted = _run(simulator, args, sink.write)
        say(args, f"wrote {posted} payload(s) to {args.dry_run}" +
                  (f" (identity table in {sink.identity_path})" if sink.identity_path else ""))
        _print_simulation(simulator, posted, args, "totals")
        return 130 if interrupted else 0
    assert config is not None
    delivery = _Delivery(config, profile, as_json=args.json, disabled_quirks=args.no_quirk)
    say(args, f"simulating {args.jobs} job(s) x {args.instances} instance(s) -> {redact_url(config.target_url)} "
          f"as Aurora {profile.version} (delivery {config.delivery}, seed {args.seed})")
    occurrence = OccurrenceIds()

    def put(event: TaskStateChange) -> None:
        outgoing = outgoing_from_event(event, profile, delivery.content_type, encoding=delivery.encoding)
        # Only startup events repeat byte for byte (a transition adds a timestamped task
        # event), so only they are counted: the memory stays bounded by the stored tasks.
        delivery.submit(occurrence(outgoing) if event.old_state is None else outgoing)

    with sigterm_as_ctrl_c():
        posted, interrupted = _run(simulator, args, put)
    _print_simulation(simulator, posted, args, "simulation")
    status = delivery.finish(0.0 if interrupted else args.wait, sys.stdout)
    return 130 if interrupted else status


def _run(simulator: Simulator, args: argparse.Namespace, put: Any) -> tuple[int, bool]:
    """Feed the posted events to ``put`` at ``--rate`` until a limit; (posted, interrupted)."""
    started = time.monotonic()
    posted = 0
    try:
        with Progress(args.events, "simulate") as bar:
            for event in simulator.transitions():
                if args.duration is not None and time.monotonic() - started >= args.duration:
                    break
                if not simulator.posts(event):
                    continue
                if args.rate:
                    due = started + posted / args.rate
                    if due > time.monotonic():
                        time.sleep(due - time.monotonic())
                put(event)
                posted += 1
                bar.advance()
                if args.events is not None and posted >= args.events:
                    break
    except KeyboardInterrupt:
        return posted, True
    return posted, False


def _print_simulation(simulator: Simulator, posted: int, args: argparse.Namespace, kind: str) -> None:
    stats = simulator.stats
    say(args, f"{stats.transitions} transition(s), {posted} posted; {stats.tasks} task(s), "
              f"{stats.jobs_started} job(s) started, {stats.jobs_ended} ended")
    emit(args, kind, transitions=stats.transitions, posted=posted, tasks=stats.tasks,
         jobs_started=stats.jobs_started, jobs_ended=stats.jobs_ended)


class _DryRunFile:
    """Where ``--dry-run`` writes: a vector file (``.json``) or JSON lines plus an identity file."""

    def __init__(self, path: str, simulator: Simulator) -> None:
        self.path = path
        self.simulator = simulator
        self.vector = path.endswith(".json")
        self.identity_path = None if self.vector else os.path.splitext(path)[0] + ".identity.json"
        self.count = 0
        try:
            self._out = open(path, "w", encoding="utf-8")
        except OSError as err:
            raise WebhookCommandError(f"--dry-run {path}: {err.strerror or err}") from None

    def __enter__(self) -> _DryRunFile:
        profile = self.simulator.profile
        if self.vector:
            # Streamed: the header (identity table included, fixed for the run), then one case per line.
            head = {"aurora": f"{profile.version}.0", "models": self.simulator.models.__name__,
                    "optional": profile.optional_style, "seed": self.simulator.seed,
                    "identity": self.simulator.identity.known()}
            self._out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "cases": [\n')
        else:
            assert self.identity_path is not None
            self.simulator.identity.save(self.identity_path)
            self._out.write(header_line(profile.version) + "\n")
        return self

    def write(self, event: TaskStateChange) -> None:
        text = event.encode()
        if self.vector:
            old = None if event.old_state is None else event.old_state.name
            case = {"name": f"{self.count:06d}", "hashed": "taskconfig", "oldState": old, "payload": text}
            self._out.write((",\n" if self.count else "") + json.dumps(case, ensure_ascii=False))
        else:
            self._out.write(text + "\n")
        self.count += 1

    def __exit__(self, *exc_info: object) -> None:
        if self.vector:
            self._out.write("\n]}\n")
        self._out.close()
