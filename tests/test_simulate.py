"""The simulated scheduler: exact payloads, each release's rules, the command, bounded memory.

The lifecycle rules every event sequence obeys are checked in
``test_simulate_lifecycle.py``.
"""

from __future__ import annotations

import itertools
import json
import tracemalloc
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from aurorakit.generated import aurora_0_14, aurora_0_22
from aurorakit.runtime.aurora.conformance import check_file
from aurorakit.runtime.aurora.event import TaskStateChange, decode_event
from aurorakit.runtime.aurora.payload_files import read_payload_file
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.aurora.verify import verify
from aurorakit.runtime.identity import IdentityTable, default_identity
from aurorakit.runtime.simulate.simulator import Simulator


def run(sim: Simulator, limit: int | None = None, *, every: bool = True) -> list[TaskStateChange]:
    stream: Iterable[TaskStateChange] = sim.transitions() if every else sim.events()
    return list(itertools.islice(stream, limit))


def test_lifecycles_cover_the_statuses() -> None:
    events = run(Simulator(20, 5, "0.22", seed=3), 6000, every=False)
    seen = Counter(event.new_state.name for event in events)
    for status in ("PENDING", "ASSIGNED", "STARTING", "RUNNING", "FINISHED", "FAILED", "KILLED", "LOST",
                   "KILLING", "THROTTLED", "RESTARTING", "DRAINING", "PREEMPTING"):
        assert seen[status] > 0, f"{status} never happened in 6000 events"
    assert seen["PARTITIONED"] == 0  # partition awareness is off unless asked for
    assert sum(1 for e in events if e.task.ancestorId is not None and e.old_state.name == "INIT") > 50
    assert max(e.task.failureCount for e in events) >= 2


@pytest.mark.parametrize("version", ["0.14", "0.22"])
def test_payloads_decode_reencode_and_every_hash_verifies(version: str) -> None:
    sim = Simulator(5, 3, version, seed=5, renew_jobs=False)
    table = IdentityTable(sim.identity.known(), strict=True)
    profile = sim.profile
    configs: dict[str, str] = {}
    checked = 0
    for event in sim.events():
        text = event.encode()
        again = decode_event(text, sim.models)
        assert again.encode() == text
        assert again.wire(profile, "application/json") == event.wire(profile, "application/json")
        report = verify(again.task, table)
        assert not report.mismatches and not report.unverifiable
        checked += report.checked
        # Only the TaskConfig (and what it holds) is hashed; the rest reads 0.
        tree = json.loads(text)["task"]
        assert tree["cachedHashCode"] == 0 and tree["assignedTask"]["cachedHashCode"] == 0
        assert all(e["cachedHashCode"] == 0 for e in tree["taskEvents"])
        config = tree["assignedTask"]["task"]
        assert config["cachedHashCode"] != 0
        assert all(r["cachedHashCode"] != 0 for r in config["resources"])
        job = event.task.assignedTask.task.job
        shared = json.dumps(config, ensure_ascii=False)  # one TaskConfig for all instances of a job
        assert configs.setdefault(f"{job.role}/{job.environment}/{job.name}", shared) == shared
    assert checked > 1000


def test_sets_of_two_or_more_are_hashed_by_construction() -> None:
    import random

    from aurorakit.runtime.identity import use_identity
    from aurorakit.runtime.simulate.jobs import make_task_config, random_job

    table = IdentityTable({"Resource._Fields.NUM_CPUS": 12345}, strict=False)
    spec = random_job(random.Random(1))
    spec = type(spec)(**{**spec.__dict__, "metadata": (("build", "7"),), "ports": ("http", "admin")})
    with use_identity(table):
        config = make_task_config(spec, aurora_0_22)
    assert config._jhash == 0  # not hashed itself...
    assert all(r._jhash != 0 for r in config.resources)  # ...but its set of five resources was
    assert [m._jhash for m in config.metadata] == [0]  # a set of one hashes nothing
    report = verify(config, IdentityTable(table.known() | {k: table[k] for k in table.defaulted}, strict=True))
    assert report.checked >= 5 and not report.mismatches
    # The simulator builds under its own table: another table, other TaskConfig hashes, same job.
    first = run(Simulator(2, 1, "0.22", seed=2), 1)[0].task.assignedTask.task
    other = Simulator(2, 1, "0.22", seed=2, identity=table)
    second = run(other, 1)[0].task.assignedTask.task
    assert other.identity["Resource._Fields.NUM_CPUS"] == 12345
    assert first.job == second.job and first._jhash != second._jhash


def test_identity_table_is_complete_and_explicit() -> None:
    sim = Simulator(1, 1, "0.22", seed=0, identity=IdentityTable({"ScheduleStatus.RUNNING": 77}))
    known = sim.identity.known()
    assert known["ScheduleStatus.RUNNING"] == 77
    assert known["Resource._Fields.NAMED_PORT"] == default_identity("Resource._Fields.NAMED_PORT")
    assert "Container._Fields.MESOS" in known and "TaskConstraint._Fields.LIMIT" in known


def test_profile_0_14_posts_initial_events_in_guava_form() -> None:
    sim = Simulator(3, 2, "0.14", seed=1, failover_every_ms=0)
    events = run(sim, 60, every=False)
    initial = list(itertools.takewhile(lambda e: e.old_state is None, events))
    assert len(initial) >= 6 and all(e.old_state is not None for e in events[len(initial):])
    live = {e.task.assignedTask.taskId for e in initial if e.task.status.name not in ("FINISHED", "FAILED",
                                                                                        "KILLED", "LOST")}
    assert len(live) == 6  # one per task at scheduler start (and one per ended task still stored)
    assert all(e.encode().endswith(',"oldState":{}}') for e in initial)
    moved = [e.encode() for e in events if e.old_state is not None]
    assert moved and all('"oldState":{"reference":"' in text for text in moved)
    assert all(decode_event(text, aurora_0_14).optional_style == "guava" for text in moved[:10])


def test_profile_0_16_posts_no_initial_events() -> None:
    profile = profile_for("0.16", aurora_0_14)
    events = run(Simulator(3, 2, profile, seed=1), 40, every=False)
    assert events and all(e.old_state is not None for e in events)
    assert all('"oldState":{"reference":"' in e.encode() for e in events)
    # Same seed, same underlying run: 0.16 posts exactly 0.14's transitions.
    older = [e for e in run(Simulator(3, 2, "0.14", seed=1), 200, every=False) if e.old_state is not None]
    assert [e.encode() for e in events] == [e.encode() for e in older[:len(events)]]


def test_profile_0_19_applies_the_statuses_list_and_0_18_ignores_it() -> None:
    wanted = {"RUNNING", "FAILED", "LOST"}
    posted = run(Simulator(6, 3, profile_for("0.19", aurora_0_22), seed=4, statuses=wanted), 200, every=False)
    assert posted and {e.new_state.name for e in posted} <= wanted
    assert all('"oldState":{"reference":"' in e.encode() for e in posted)
    unfiltered = run(Simulator(6, 3, profile_for("0.18", aurora_0_14), seed=4, statuses=wanted), 200, every=False)
    assert {e.new_state.name for e in unfiltered} - wanted


def test_profile_0_20_and_later_write_java_optional() -> None:
    events = run(Simulator(2, 2, "0.22", seed=9), 30, every=False)
    assert all('"oldState":{"value":"' in e.encode() for e in events)
    assert all(decode_event(e.encode(), aurora_0_22).optional_style == "java" for e in events)


def test_same_seed_same_run_other_seed_other_run() -> None:
    def texts(seed: int) -> list[str]:
        return [e.encode() for e in run(Simulator(4, 3, "0.22", seed=seed), 300, every=False)]
    assert texts(21) == texts(21)
    assert texts(21) != texts(22)


def test_dry_run_vector_file_passes_conformance(tmp_path: Path) -> None:
    from aurorakit.runtime.cli.main import main

    out = tmp_path / "events.json"
    assert main(["simulate", "--jobs", "3", "--instances", "2", "--dry-run", str(out), "--aurora", "0.14",
                 "--seed", "6", "--events", "150"]) == 0
    source = read_payload_file(str(out))
    assert source.aurora == "0.14.0" and source.optional == "guava" and len(source.payloads) == 150
    assert source.identity and source.identity["Resource._Fields.NUM_CPUS"] > 0
    results = check_file(source, aurora_0_14)  # (a) decode/encode and (b) clear, rehash, encode
    assert [r.problems for r in results if not r.passed] == []
    # What the command asked for, read with the standard library, not the simulator: jobs of 2
    # instances, and each task's events a chain (an event's oldState is the task's previous status,
    # a new task's first is INIT; none (0.14's Guava Optional: {} rather than {"reference": STATUS})
    # is a task announced as it stands, at the scheduler's start).
    sent = [json.loads(p.text) for p in source.payloads]
    assert {s["task"]["assignedTask"]["instanceId"] for s in sent} == {0, 1}
    last: dict[str, str] = {}
    for s in sent:
        task_id, old, new = (s["task"]["assignedTask"]["taskId"], s["oldState"].get("reference"),
                             s["task"]["status"])
        assert old == last.get(task_id, "INIT") or (old is None and new == last.get(task_id, new)), (task_id, old)
        last[task_id] = new
    assert sum(s["oldState"] == {} for s in sent) < len(sent) / 2  # mostly real changes
    # the same flags give the same file, another seed another one
    again, other = tmp_path / "again.json", tmp_path / "other.json"
    flags = ["--jobs", "3", "--instances", "2", "--aurora", "0.14", "--events", "150"]
    assert main(["simulate", *flags, "--seed", "6", "--dry-run", str(again)]) == 0
    assert main(["simulate", *flags, "--seed", "7", "--dry-run", str(other)]) == 0
    assert again.read_bytes() == out.read_bytes() != other.read_bytes()


def test_dry_run_json_lines_with_identity_side_file(tmp_path: Path) -> None:
    from aurorakit.runtime.cli.main import main

    identity = tmp_path / "scheduler.json"
    IdentityTable({"ScheduleStatus.RUNNING": 4242, "Resource._Fields.RAM_MB": 99}).save(identity)
    out = tmp_path / "events.jsonl"
    assert main(["simulate", "--jobs", "2", "--instances", "2", "--dry-run", str(out), "--seed", "8",
                 "--identity", str(identity)]) == 0
    table = IdentityTable.load(tmp_path / "events.identity.json", strict=True)
    assert table["ScheduleStatus.RUNNING"] == 4242 and table["Resource._Fields.RAM_MB"] == 99
    payloads = read_payload_file(str(out)).payloads
    assert len(payloads) > 10
    for payload in payloads:
        report = verify(decode_event(payload.text, aurora_0_22).task, table)
        assert report.checked and not report.mismatches and not report.unverifiable


def test_streaming_keeps_memory_bounded() -> None:
    """Memory held stays flat over an endless stream while hundreds of jobs come and go.

    The growth allowed is per event: 512 KiB over the 10,000 events between the first and
    last marks, about 52 bytes an event (the same rate as 1 MiB over 20,000 when this test
    streamed 50,000 events); a leak of one small object per event exceeds it. Between
    seeds the held memory varies by under 60 KiB.
    """
    sim = Simulator(10, 5, "0.22", seed=5)  # renew_jobs: an endless stream
    stream = sim.events()
    for _ in itertools.islice(stream, 8_000):  # warm up (caches, the first jobs' ends), untraced: faster
        pass
    tracemalloc.start()
    try:
        marks = []
        for _ in range(3):
            for _ in itertools.islice(stream, 5_000):
                pass
            marks.append(tracemalloc.get_traced_memory()[0])
            assert sim.live_tasks <= 10 * 5
    finally:
        tracemalloc.stop()
    assert sim.stats.jobs_ended > 150  # many jobs came and went...
    assert marks[-1] < 4 * 1024 * 1024, f"{marks[-1]} bytes still held after 23k events"
    assert marks[-1] - marks[0] < 512 * 1024, f"memory grew from {marks[0]} to {marks[-1]} bytes"


def test_dry_run_partition_aware_passes_the_conformance_command(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from aurorakit.runtime.cli.main import main

    out = tmp_path / "partitions.json"
    assert main(["simulate", "--jobs", "6", "--instances", "3", "--dry-run", str(out), "--aurora", "0.22",
                 "--partition-aware", "--seed", "3", "--events", "600"]) == 0
    texts = [p.text for p in read_payload_file(str(out)).payloads]
    assert any('"status":"PARTITIONED"' in text for text in texts)
    assert any('"oldState":{"value":"PARTITIONED"}' in text and '"status":"LOST"' in text for text in texts)
    capsys.readouterr()
    assert main(["conformance", str(out)]) == 0
    assert capsys.readouterr().out.rstrip().splitlines()[-1] == "600 passed, 0 failed"


def test_partition_awareness_is_refused_before_0_20(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from aurorakit.runtime.cli.main import main

    assert main(["simulate", "--jobs", "1", "--instances", "1", "--dry-run", str(tmp_path / "o.json"),
                 "--aurora", "0.14", "--partition-aware"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("aurorakit: ") and "PARTITIONED" in err, err


@pytest.mark.parametrize(("every", "starts"), [("0", 1), ("0.5", 3)])
def test_0_14_posts_startup_events_at_every_scheduler_start(tmp_path: Path, every: str, starts: int) -> None:
    from aurorakit.runtime.cli.main import main

    out = tmp_path / "events.jsonl"
    assert main(["simulate", "--jobs", "3", "--instances", "2", "--dry-run", str(out), "--aurora", "0.14",
                 "--seed", "2", "--events", "400", "--failover-every", every]) == 0
    absent = [p.text.endswith(',"oldState":{}}') for p in read_payload_file(str(out)).payloads]
    bursts = sum(1 for before, now in itertools.pairwise([False] + absent) if now and not before)
    if starts == 1:
        assert bursts == 1 and absent[0]
    else:
        assert bursts >= starts  # the start, then a failover every half hour of simulated time


def test_bad_arguments() -> None:
    from aurorakit.runtime.aurora.profiles import ProfileError
    from aurorakit.runtime.errors import AurorakitError
    from aurorakit.runtime.simulate.simulator import SimulationError

    with pytest.raises(SimulationError, match="at least one job"):
        Simulator(0, 3)
    with pytest.raises(SimulationError, match="failover"):
        Simulator(1, 1, failover_every_ms=-1)
    with pytest.raises(ProfileError):
        Simulator(1, 1, "0.13")  # not an Aurora release
    assert issubclass(SimulationError, AurorakitError)


def _layout(tree: Any, path: str, order: dict[str, set[tuple[str, str]]], kinds: dict[str, set[str]]) -> None:
    """Record, per JSON path, which member came before which, and the JSON type of each value."""
    kinds.setdefault(path, set()).add(type(tree).__name__)
    if isinstance(tree, dict) and "cachedHashCode" not in tree:
        for value in tree.values():  # a map: its keys are data
            _layout(value, path + "{}", order, kinds)
    elif isinstance(tree, dict):
        members = list(tree)
        order.setdefault(path, set()).update(itertools.combinations(members, 2))
        order[path].update((key, key) for key in members)
        for key, value in tree.items():
            where = f"{path}.{key}@{tree['setField']}" if key == "value" and "setField" in tree else f"{path}.{key}"
            _layout(value, where, order, kinds)
    elif isinstance(tree, list):
        for item in tree:
            _layout(item, path + "[]", order, kinds)


@pytest.mark.parametrize("version", ["0.14", "0.22"])
def test_simulated_payloads_are_laid_out_as_aurora_s_own(version: str) -> None:
    # Expected from Aurora's own payloads (the bundled vectors), not from the simulator or the encoder:
    # in the task, every object's members known there and in the same relative order, every value of a JSON type seen there.
    from shared import vector_path
    order: dict[str, set[tuple[str, str]]] = {}
    kinds: dict[str, set[str]] = {}
    for vectors in (f"aurora-{version}.0.json", f"aurora-{version}.0-lifecycles.json"):
        for payload in read_payload_file(str(vector_path(vectors))).payloads:
            _layout(json.loads(payload.text)["task"], ".task", order, kinds)
    for event in run(Simulator(4, 2, version, seed=11, renew_jobs=False), 300, every=False):
        seen_order: dict[str, set[tuple[str, str]]] = {}
        seen_kinds: dict[str, set[str]] = {}
        _layout(json.loads(event.encode())["task"], ".task", seen_order, seen_kinds)  # oldState: other tests
        for path, pairs in seen_order.items():
            unknown = {a for a, b in pairs if a == b and (a, a) not in order.get(path, set())}
            assert not unknown, f"{version}: {sorted(unknown)} at {path!r} never in Aurora's payloads"
            swapped = {(a, b) for a, b in pairs if a != b and (b, a) in order[path]}
            assert not swapped, f"{version}: at {path!r} Aurora writes these the other way round: {swapped}"
        for path, types in seen_kinds.items():
            assert types <= kinds.get(path, set()), f"{version}: {path!r} holds {types}, Aurora's {kinds.get(path)}"
