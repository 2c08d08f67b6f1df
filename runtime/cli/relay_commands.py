"""``aurorakit relay`` and ``aurorakit consume``."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sqlite3
import sys
from datetime import datetime
from types import FrameType
from typing import Any

from ..errors import AurorakitError
from .output import command
from ..aurora.profiles import profile_for
from ..webhook.payloads import models_for
from ..webhook.signing import decode_secret
from ..relay.outbox import Outbox
from ..relay.relay import DEFAULT_MAX_PENDING, Relay
from ..relay.sinks import HttpTarget, NatsSink, Sink


class RelayCommandError(AurorakitError):
    pass


def add_commands(commands: Any) -> None:
    _add_relay(commands)
    _add_consume(commands)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text}")
    return value


def _add_relay(commands: Any) -> None:
    sub = command(
        commands, "relay", summary="a durable endpoint for Aurora's webhook, fanning out to NATS JetStream and HTTP targets",
        description="Point Aurora's webhook.json targetURL here. Each post is decoded with the release's\n"
                    "models, committed to the --record SQLite file and only then answered 200; a payload\n"
                    "that does not decode is dead-lettered and answered 400 (Aurora counts a user error).\n"
                    "Each event gets an id derived from it (evt_ + SHA-256 of cluster, release and body) and is\n"
                    "forwarded in order to NATS JetStream (stream AURORA, subjects\n"
                    "aurora.<cluster>.<role>.<environment>.<job>, Nats-Msg-Id = the id) and to each --target\n"
                    "(same bytes, Standard Webhooks headers, retries, then dead-lettered). When a sink has\n"
                    "--max-pending events not yet forwarded, new posts get 503 until it catches up.",
        examples="  aurorakit relay --aurora 0.22 --port 8080 --nats nats://127.0.0.1:4222\n"
                 "  aurorakit relay --aurora 0.14 --port 8080 --target http://127.0.0.1:5000/ --record relay.db")
    sub.add_argument("--aurora", required=True, metavar="RELEASE", help="the scheduler's release (0.14 .. 0.22)")
    sub.add_argument("--port", required=True, type=int, help="port to listen on (0: any free one)")
    sub.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sub.add_argument("--nats", metavar="URL", help="NATS server with JetStream to publish to")
    sub.add_argument("--target", action="append", default=[], metavar="URL", help="an HTTP target (repeatable)")
    sub.add_argument("--record", default="relay.db", metavar="FILE",
                     help="SQLite file of accepted events, sink progress and dead letters (default relay.db)")
    sub.add_argument("--cluster", default="default", help="the cluster token of NATS subjects (default 'default')")
    sub.add_argument("--max-pending", type=_positive_int, default=DEFAULT_MAX_PENDING, metavar="N",
                     help=f"events a sink may have unforwarded before posts get 503 (default {DEFAULT_MAX_PENDING})")
    sub.add_argument("--target-secret", metavar="SECRET", help="Standard Webhooks secret (whsec_...) for targets")
    sub.add_argument("--target-attempts", type=_positive_int, default=8, metavar="N",
                     help="attempts per event and target before it is dead-lettered (default 8)")
    sub.set_defaults(handler=_relay)


def _relay(args: argparse.Namespace) -> int:
    if not args.nats and not args.target:
        raise RelayCommandError("relay: give --nats URL and/or --target URL: somewhere to forward to")
    profile = profile_for(args.aurora)
    models, note = models_for(profile)
    if note:
        print(f"aurorakit: note: {note}", file=sys.stderr)
    key = decode_secret(args.target_secret) if args.target_secret else None
    sinks: list[Sink] = [HttpTarget(url, key=key, max_attempts=args.target_attempts) for url in args.target]
    if args.nats:
        sinks.append(NatsSink(args.nats))
    try:
        outbox = Outbox(args.record)
    except sqlite3.Error as err:
        raise RelayCommandError(f"--record {args.record}: cannot open: {err}") from None
    logging.basicConfig(level=logging.WARNING, format="aurorakit: %(message)s")
    try:
        relay = Relay(outbox, profile, models, sinks, host=args.host, port=args.port, cluster=args.cluster,
                      max_pending=args.max_pending)
    except OSError as err:
        raise RelayCommandError(f"cannot listen on {args.host}:{args.port}: {err.strerror or err}") from None

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupt)
    relay.start()
    print(f"relaying on {relay.url} (Aurora {profile.version}; record {args.record}; "
          f"sinks: {', '.join(s.name for s in sinks)}); Ctrl-C stops", flush=True)
    try:
        relay.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        relay.stop()
        outbox.close()
    return 0


def _add_consume(commands: Any) -> None:
    sub = command(
        commands, "consume", summary="print the events the relay published to NATS JetStream",
        description="Reads stream AURORA. Without --durable: what the stream holds, then exits (--follow\n"
                    "keeps going). With --durable NAME: a durable consumer that resumes where it stopped;\n"
                    "each event is acknowledged after it is printed.",
        examples="  aurorakit consume --nats nats://127.0.0.1:4222 --subject 'aurora.>' --json\n"
                 "  aurorakit consume --nats nats://127.0.0.1:4222 --subject 'aurora.*.www-data.>' --durable audit")
    sub.add_argument("--nats", required=True, metavar="URL")
    sub.add_argument("--subject", default="aurora.>", help="subject filter (default aurora.>)")
    sub.add_argument("--json", action="store_true", help="one JSON object per event: id, release, payload, ...")
    sub.add_argument("--follow", action="store_true", help="keep reading new events until Ctrl-C")
    sub.add_argument("--durable", metavar="NAME", help="a durable consumer name (resumes; acks each event)")
    start = sub.add_mutually_exclusive_group()
    start.add_argument("--from-seq", type=_positive_int, metavar="N", help="start at stream sequence N")
    start.add_argument("--since", type=datetime.fromisoformat, metavar="TIME",
                       help="start at this time (ISO 8601, e.g. 2026-12-01T22:00:00+00:00)")
    sub.set_defaults(handler=_consume)


def _consume(args: argparse.Namespace) -> int:
    from ..relay.consume import messages
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
