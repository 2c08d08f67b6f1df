"""``aurorakit receive``: a webhook receiver that decodes and stores; listing, tailing and exporting the store."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..aurora.releases import DEFAULT_RELEASE
from ..relay.stores import is_postgres_url, open_store
from ..webhook.payloads import request_decoder
from ..webhook.receive_tools import SECRET_SOURCES_HELP, export_lines, raise_open_file_limit, read_secret, rejected_text
from ..webhook.receiver_framing import Limits
from ..webhook.signing import SecretFormatError
from .argtypes import non_negative_int, port, positive_float, positive_int
from .output import command, sigterm_as_ctrl_c
from .release_options import add_release_options, resolve_release
from .webhook_options import WebhookCommandError, show_warnings

if TYPE_CHECKING:  # the receiver (h11) loads only when receive serves or reads its store
    from ..webhook.receiver import ReceiverStore, RequestLog, StoredDelivery

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


def add_command(commands: Any) -> None:
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
    sub.add_argument("--port", type=port, metavar="P", help="port to listen on (0: any free port, printed)")
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
    sub.add_argument("--max-body", type=positive_int, default=limits.max_body_bytes, metavar="BYTES",
                     help=f"largest body accepted, larger ones get 413 (default {limits.max_body_bytes})")
    sub.add_argument("--max-connections", type=positive_int, default=limits.max_connections, metavar="N",
                     help=f"open connections at most (default {limits.max_connections})")
    sub.add_argument("--header-timeout", type=positive_float, default=limits.header_timeout, metavar="SEC",
                     help=f"time a request head may take to arrive (default {limits.header_timeout:g})")
    sub.add_argument("--body-timeout", type=positive_float, default=limits.body_timeout, metavar="SEC",
                     help=f"time a body may take to arrive (default {limits.body_timeout:g})")
    sub.add_argument("-q", "--quiet", action="store_true", help="no line per request")
    add_release_options(sub, release_help="Aurora release that sends: its wire charset and its models "
                                          f"(default {DEFAULT_RELEASE})")
    show = sub.add_mutually_exclusive_group()
    show.add_argument("--list", nargs="?", const=20, type=positive_int, metavar="N",
                      help="print the N most recent deliveries (default 20) and exit")
    show.add_argument("--tail", nargs="?", const=10, type=non_negative_int, metavar="N",
                      help="print the N most recent deliveries (default 10; 0: none), "
                           "then with --follow the new ones")
    show.add_argument("--export", metavar="FILE",
                      help="write every stored payload as JSON lines (- for stdout) for aurorakit send, and exit")
    sub.add_argument("--rejected", action="store_true", help="with --list: the refused requests and why")
    sub.add_argument("--follow", action="store_true", help="with --tail: keep printing new deliveries")
    sub.add_argument("--json", action="store_true", help="with --list/--tail: one JSON object per line")
    sub.set_defaults(handler=_receive)



def _receive(args: argparse.Namespace) -> int:
    from ..webhook.receiver import serve
    if args.follow and args.tail is None:
        raise WebhookCommandError("receive: --follow goes with --tail")
    if args.rejected and args.list is None:
        raise WebhookCommandError("receive: --rejected goes with --list")
    if args.list is not None or args.tail is not None or args.export is not None:
        return _show_stored(args)
    if args.port is None:
        raise WebhookCommandError("receive: give --port to receive (or --list / --tail to show what is stored)")
    secret = read_secret(args.secret, args.secret_file)
    show_warnings()
    profile, models = resolve_release(args)
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
    profile, _ = resolve_release(args)
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
