"""``aurorakit simulate``: a simulated scheduler's task events, sent with the config's delivery or written."""

from __future__ import annotations

import argparse
from typing import Any

from ..aurora.event import TaskStateChange
from ..aurora.releases import DEFAULT_RELEASE
from ..identity import IdentityTable
from ..simulate.dry_run import DryRunFile
from ..simulate.pacing import PacedRun, paced_run
from ..simulate.simulator import Simulator
from ..webhook import settings as aurorakit_settings
from ..webhook.config import load_config
from ..webhook.outgoing import OccurrenceIds
from ..webhook.payloads import outgoing_from_event
from ..webhook.redaction import redact_url
from .argtypes import non_negative_float, positive_int
from .output import command, emit, say, sigterm_as_ctrl_c
from .progress import Progress
from .release_options import add_release_options, resolve_release
from .webhook_options import WebhookCommandError, add_no_quirk, finish_delivery, start_delivery

SIMULATE_EXAMPLES = """\
  aurorakit simulate --jobs 10 --instances 5 --config webhook.json
  aurorakit simulate --jobs 50 --instances 20 --config webhook.json --rate 200 --duration 60
  aurorakit simulate --jobs 5 --instances 3 --dry-run events.jsonl --aurora 0.14 --seed 7
  aurorakit simulate --jobs 5 --instances 3 --dry-run events.json --events 1000
  aurorakit simulate --jobs 5 --instances 3 --dry-run events.json --aurora 0.22 --partition-aware
  aurorakit conformance events.json        # the dry-run vector file checks out
  aurorakit send --config webhook.json events.jsonl"""


def add_command(commands: Any) -> None:
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
    sub.add_argument("--jobs", required=True, type=positive_int, metavar="J", help="jobs alive at a time")
    sub.add_argument("--instances", required=True, type=positive_int, metavar="I", help="instances per job")
    sub.add_argument("--config", metavar="webhook.json", help="Aurora webhook config: target, headers, statuses")
    sub.add_argument("--dry-run", metavar="OUT", help="write the payloads to OUT instead of sending them")
    add_release_options(sub, release_help="the Aurora release to behave like (default: AURORAKIT_AURORA or the "
                                          f"settings file, else {DEFAULT_RELEASE}); its models write the payloads")
    sub.add_argument("--identity", metavar="FILE", help="identity table of the simulated scheduler process")
    sub.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    sub.add_argument("--partition-aware", action="store_true",
                     help="0.20 and later: tasks whose agent is out of reach become PARTITIONED (off in Aurora "
                          "unless enabled)")
    sub.add_argument("--failover-every", type=non_negative_float, default=6.0, metavar="HOURS",
                     help="simulated hours between scheduler restarts (default 6; 0: none)")
    sub.add_argument("--rate", type=non_negative_float, default=0.0, metavar="R",
                     help="posted events per second (default 0: as fast as possible)")
    limit = sub.add_mutually_exclusive_group()
    limit.add_argument("--events", type=positive_int, metavar="N", help="stop after N posted events")
    limit.add_argument("--duration", type=non_negative_float, metavar="S", help="stop after S seconds")
    sub.add_argument("--wait", type=non_negative_float, metavar="SECONDS",
                     help="reliable delivery: how long to wait for the last deliveries (default: until done)")
    add_no_quirk(sub)
    aurorakit_settings.add_arguments(sub)
    sub.set_defaults(handler=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    if args.config is None and args.dry_run is None:
        raise WebhookCommandError("simulate: give --config (to send) or --dry-run OUT (to write)")
    settings = aurorakit_settings.from_arguments(args)
    profile, models = resolve_release(args, configured=settings.release)
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
        try:
            sink = DryRunFile(args.dry_run, simulator)
        except OSError as err:
            raise WebhookCommandError(f"--dry-run {args.dry_run}: {err.strerror or err}") from None
        with sink, sigterm_as_ctrl_c():
            run = _paced(simulator, args, sink.write)
        say(args, f"wrote {run.posted} payload(s) to {args.dry_run}" +
                  (f" (identity table in {sink.identity_path})" if sink.identity_path else ""))
        _print_simulation(simulator, run.posted, args, "totals")
        return 130 if run.interrupted else 0
    assert config is not None
    delivery = start_delivery(config, profile, args)
    say(args, f"simulating {args.jobs} job(s) x {args.instances} instance(s) -> {redact_url(config.target_url)} "
              f"as Aurora {profile.version} (delivery {config.delivery}, seed {args.seed})")
    occurrence = OccurrenceIds()

    def put(event: TaskStateChange) -> None:
        outgoing = outgoing_from_event(event, profile, delivery.content_type, encoding=delivery.encoding)
        # Only startup events repeat byte for byte (a transition adds a timestamped task
        # event), so only they are counted: the memory stays bounded by the stored tasks.
        delivery.submit(occurrence(outgoing) if event.old_state is None else outgoing)

    with sigterm_as_ctrl_c():
        run = _paced(simulator, args, put)
    _print_simulation(simulator, run.posted, args, "simulation")
    status = finish_delivery(delivery, 0.0 if run.interrupted else args.wait, args)
    return 130 if run.interrupted else status


def _paced(simulator: Simulator, args: argparse.Namespace, put: Any) -> PacedRun:
    with Progress(args.events, "simulate") as bar:
        return paced_run(simulator, put, rate=args.rate, max_events=args.events, duration=args.duration,
                         on_post=bar.advance)


def _print_simulation(simulator: Simulator, posted: int, args: argparse.Namespace, kind: str) -> None:
    stats = simulator.stats
    say(args, f"{stats.transitions} transition(s), {posted} posted; {stats.tasks} task(s), "
              f"{stats.jobs_started} job(s) started, {stats.jobs_ended} ended")
    emit(args, kind, transitions=stats.transitions, posted=posted, tasks=stats.tasks,
         jobs_started=stats.jobs_started, jobs_ended=stats.jobs_ended)
