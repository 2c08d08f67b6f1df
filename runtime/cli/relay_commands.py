"""``aurorakit relay`` and ``aurorakit consume``."""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..aurora.releases import DEFAULT_RELEASE
from ..errors import AurorakitError
from ..relay.nats_sink import DEFAULT_WINDOW
from ..relay.relay import DEFAULT_MAX_PENDING
from ..webhook.owner_lock import LockHeld, take_lock
from .argtypes import port, positive_int
from .output import command
from .target_arguments import add_target_arguments, targets_from_arguments

if TYPE_CHECKING:  # the relay's parts (requests, h11, nats) load only when it runs
    from ..relay.outbox import Outbox
    from ..relay.sinks import Sink


class RelayCommandError(AurorakitError):
    pass


def add_commands(commands: Any) -> None:
    _add_relay(commands)
    _add_consume(commands)



def _add_relay(commands: Any) -> None:
    sub = command(
        commands, "relay", summary="a durable endpoint for Aurora's webhook, fanning out to NATS JetStream and HTTP targets",
        description="Point Aurora's webhook.json targetURL here. Each post is decoded with the release's\n"
                    "models, committed to the --record SQLite file and only then answered 200; a payload\n"
                    "that does not decode is dead-lettered and answered 400 (Aurora counts a user error).\n"
                    "Each event gets an id derived from it (evt_ + SHA-256 of cluster, release and body) and is\n"
                    "forwarded to NATS JetStream (stream AURORA, subjects\n"
                    "aurora.<cluster>.<role>.<environment>.<job>, Nats-Msg-Id = the id) and to each --target\n"
                    "(same bytes or --target-release's form, Standard Webhooks headers, retries until the\n"
                    "target's deadline, then dead-lettered), in order per task. When a sink has --max-pending\n"
                    "events not yet forwarded, new posts get 503 until it catches up.\n"
                    "Only loopback unless --auth-token-file (posts must carry Authorization: Bearer <token>,\n"
                    "which Aurora sends from webhook.json's headers) or --allow-unauthenticated.",
        examples="  aurorakit relay --aurora 0.22 --port 8080 --nats nats://127.0.0.1:4222\n"
               "  aurorakit relay --aurora 0.22 --port 8080 --target http://old:5000/ --target-release 0.19 \\\n"
               "      --target-secret-file old.secret --target http://new:5000/ --target-deadline-sec 600\n"
               "  aurorakit relay --aurora 0.22 --host 0.0.0.0 --port 8080 --auth-token-file token \\\n"
               "      --nats nats://nats:4222 --settings relay.json --record /var/lib/aurorakit/relay.db")
    sub.add_argument("--aurora", metavar="RELEASE", default=DEFAULT_RELEASE,
                     help=f"the scheduler's release (0.14 .. 0.27; default {DEFAULT_RELEASE})")
    sub.add_argument("--port", type=port, help="port to listen on (0: any free one; required)")
    sub.add_argument("--dead-letters", action="store_true",
                     help="print the --record's dead letters (per target, and payloads that did not decode), then exit")
    sub.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sub.add_argument("--auth-token-file", metavar="FILE",
                     help="accept only posts with Authorization: Bearer <the file's text>")
    sub.add_argument("--allow-unauthenticated", action="store_true",
                     help="listen on an address other than loopback without a token (a trusted network)")
    sub.add_argument("--nats", type=_nats_url, metavar="URL", help="NATS server with JetStream to publish to")
    sub.add_argument("--nats-window", type=positive_int, default=DEFAULT_WINDOW, metavar="N",
                     help=f"publishes in flight at once, one per task at a time (default {DEFAULT_WINDOW})")
    sub.add_argument("--record", default="relay.db", metavar="FILE",
                     help="SQLite file of accepted events, sink progress and dead letters (default relay.db)")
    sub.add_argument("--cluster", default="default", help="the cluster token of NATS subjects (default 'default')")
    sub.add_argument("--max-pending", type=positive_int, default=DEFAULT_MAX_PENDING, metavar="N",
                     help=f"events a sink may have unforwarded before posts get 503 (default {DEFAULT_MAX_PENDING})")
    add_target_arguments(sub)
    sub.set_defaults(handler=_relay)


def _nats_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("nats", "tls", "ws", "wss") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"expected a URL like nats://127.0.0.1:4222, got {text!r}")
    try:
        parts.port  # noqa: B018  (reading it checks it)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number in {text!r}") from None
    return text



def _read_token(path: str) -> str:
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise RelayCommandError(f"--auth-token-file {path}: cannot read: {reason}") from None
    if not token or any(ch.isspace() or not ch.isprintable() for ch in token):
        raise RelayCommandError(f"--auth-token-file {path}: expected one token of printable characters, no spaces")
    return token


def _relay(args: argparse.Namespace) -> int:
    if args.dead_letters:
        return _print_dead_letters(args)
    from ..aurora.profiles import profile_for
    from ..relay.http_target import HttpTarget
    from ..relay.nats_sink import NatsSink
    from ..relay.outbox import Outbox
    from ..relay.relay import Relay, check_exposure
    from ..webhook.receiver import is_loopback
    if args.port is None:
        raise RelayCommandError("relay: --port needed (or --dead-letters)")
    specs = targets_from_arguments(args)
    if not args.nats and not specs:
        raise RelayCommandError("relay: give --nats URL and/or --target URL: somewhere to forward to")
    if args.auth_token_file and args.allow_unauthenticated:
        raise RelayCommandError("relay: --auth-token-file and --allow-unauthenticated: choose one")
    token = _read_token(args.auth_token_file) if args.auth_token_file else None
    check_exposure(args.host, token, args.allow_unauthenticated)
    profile = profile_for(args.aurora)
    models = profile.models()
    if token is None and args.allow_unauthenticated and not is_loopback(args.host):
        print(f"aurorakit: warning: relay on {args.host} accepts posts from anyone who can reach it",
              file=sys.stderr)
    lock = _lock_record(args.record)
    try:
        outbox = Outbox(args.record)
    except sqlite3.Error as err:
        os.close(lock)
        raise RelayCommandError(f"--record {args.record}: cannot open: {err}") from None
    sinks: list[Sink] = [HttpTarget(spec) for spec in specs]
    logging.basicConfig(level=logging.WARNING, format="aurorakit: %(message)s")
    try:
        if args.nats:
            sinks.append(NatsSink(args.nats, window=args.nats_window))
        relay = Relay(outbox, profile, models, sinks, host=args.host, port=args.port, cluster=args.cluster,
                      max_pending=args.max_pending, auth_token=token,
                      allow_unauthenticated=args.allow_unauthenticated)
    except OSError as err:
        _close(sinks, outbox, lock)
        raise RelayCommandError(f"cannot listen on {args.host}:{args.port}: {err.strerror or err}") from None
    except AurorakitError:
        _close(sinks, outbox, lock)
        raise

    relay.start()  # run_command turns SIGTERM into Ctrl-C
    print(f"relaying on {relay.url} (Aurora {profile.version}; record {args.record}; "
          f"sinks: {', '.join(s.name for s in sinks)}); Ctrl-C stops", flush=True)
    try:
        relay.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        relay.stop()
        outbox.close()
        os.close(lock)
    return 0


def _lock_record(path: str) -> int:
    """One relay per record (two would forward every event twice): a lock on ``PATH.lock``, freed
    when the process ends, however it ends."""
    lock_path = path + ".lock"
    try:
        return take_lock(lock_path)
    except LockHeld as held:
        raise RelayCommandError(f"--record {path} is in use by another relay (process {held.owner}); "
                                f"give each relay its own record") from None
    except OSError as err:
        raise RelayCommandError(f"--record {path}: cannot open {lock_path}: {err.strerror or err}") from None


def _print_dead_letters(args: argparse.Namespace) -> int:
    from ..relay.outbox import Outbox
    if not Path(args.record).is_file():
        raise RelayCommandError(f"--record {args.record}: no such file")
    try:
        outbox = Outbox(args.record)
        dead = outbox.dead()
        outbox.close()
    except sqlite3.Error as err:
        raise RelayCommandError(f"--record {args.record}: cannot read: {err}") from None
    for letter in dead:
        where = letter.sink or "(did not decode)"
        if args.json:
            line: dict[str, Any] = {"type": "dead", "seq": letter.seq, "sink": letter.sink,
                                    "eventSeq": letter.event_seq, "receivedAt": letter.received_at,
                                    "reason": letter.reason}
            try:
                line["payload"] = letter.body.decode("utf-8")
            except UnicodeDecodeError:  # not UTF-8: the bytes exactly, not a lossy text
                line["bodyBase64"] = base64.b64encode(letter.body).decode("ascii")
            print(json.dumps(line, ensure_ascii=False))
        else:
            print(f"{letter.seq:>6}  {where}  {letter.reason}  {len(letter.body)}B")
    return 0


def _close(sinks: list[Sink], outbox: Outbox, lock: int) -> None:
    for sink in sinks:
        sink.close()
    outbox.close()
    os.close(lock)


def _add_consume(commands: Any) -> None:
    sub = command(
        commands, "consume", summary="print the events the relay published to NATS JetStream",
        description="Reads stream AURORA. Without --durable: what the stream holds, then exits (--follow\n"
                    "keeps going). With --durable NAME: a durable consumer that resumes where it stopped;\n"
                    "each event is acknowledged after it is printed.",
        examples="  aurorakit consume --nats nats://127.0.0.1:4222 --subject 'aurora.>' --json\n"
               "  aurorakit consume --nats nats://127.0.0.1:4222 --subject 'aurora.*.www-data.>' --durable audit")
    sub.add_argument("--nats", required=True, type=_nats_url, metavar="URL", help="e.g. nats://127.0.0.1:4222")
    sub.add_argument("--subject", default="aurora.>", help="subject filter (default aurora.>)")
    sub.add_argument("--json", action="store_true", help="one JSON object per event: id, release, payload, ...")
    sub.add_argument("--follow", action="store_true", help="keep reading new events until Ctrl-C")
    sub.add_argument("--durable", metavar="NAME", help="a durable consumer name (resumes; acks each event)")
    start = sub.add_mutually_exclusive_group()
    start.add_argument("--from-seq", type=positive_int, metavar="N", help="start at stream sequence N")
    start.add_argument("--since", type=_time, metavar="TIME",
                       help="start at this time (ISO 8601, e.g. 2026-12-01T22:00:00+00:00; no zone: UTC)")
    sub.set_defaults(handler=_consume)


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time like 2026-12-01T22:00:00+00:00, "
                                         f"got {text!r}") from None


def _consume(args: argparse.Namespace) -> int:
    from ..relay.consume import messages
    logging.basicConfig(level=logging.WARNING, format="aurorakit: %(message)s")
    try:
        for message in messages(args.nats, args.subject, durable=args.durable, follow=args.follow,
                                from_seq=args.from_seq, since=args.since):
            if args.json:
                print(json.dumps(message.as_json(), ensure_ascii=False), flush=True)
            else:
                print(f"{message.stream_seq:>8}  {message.id}  {message.subject}  {message.task_id} "
                      f"{message.old_status or '-'} -> {message.new_status}  {len(message.body)}B", flush=True)
    except KeyboardInterrupt:
        pass
    except Exception as err:
        if isinstance(err, AurorakitError):
            raise
        raise RelayCommandError(f"consume: {args.nats}: {type(err).__name__}: {err}") from None
    return 0
