"""The paced run of a simulator (``simulate --rate/--events/--duration``) and its ``--dry-run`` files."""

from __future__ import annotations

import io
import json
from itertools import islice
from pathlib import Path

import pytest
from aurorakit.runtime.aurora.event import TaskStateChange
from aurorakit.runtime.aurora.payload_files import open_payload_file
from aurorakit.runtime.aurora.vector_writer import VectorWriter
from aurorakit.runtime.identity import IdentityTable
from aurorakit.runtime.simulate.dry_run import DryRunFile
from aurorakit.runtime.simulate.pacing import PacedRun, paced_run
from aurorakit.runtime.simulate.simulator import Simulator


class Clock:
    """Simulated seconds: only ``sleep`` moves them on."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_events_are_put_no_sooner_than_their_turn_at_the_rate() -> None:
    clock = Clock()
    times: list[float] = []
    run = paced_run(Simulator(2, 2, "0.22"), lambda event: times.append(clock.now), rate=4.0, max_events=5,
                    clock=clock, sleep=clock.sleep)
    assert run == PacedRun(5, False)
    assert times == [100.0, 100.25, 100.5, 100.75, 101.0]


def test_without_a_rate_nothing_sleeps() -> None:
    clock = Clock()
    run = paced_run(Simulator(1, 2, "0.22"), lambda event: None, max_events=20, clock=clock, sleep=clock.sleep)
    assert run.posted == 20 and clock.slept == []


def test_only_the_events_the_release_posts_are_put() -> None:
    put: list[TaskStateChange] = []
    run = paced_run(Simulator(2, 2, "0.19", statuses={"RUNNING"}), put.append, max_events=6)
    assert run.posted == len(put) == 6
    assert {event.new_state.name for event in put} == {"RUNNING"}


def test_the_duration_ends_the_run() -> None:
    times = iter([0.0, 1.0, 2.0, 9.0])  # the start, then one reading per event looked at
    put: list[TaskStateChange] = []
    run = paced_run(Simulator(1, 1, "0.14"), put.append, duration=5.0, clock=lambda: next(times))
    assert run == PacedRun(len(put), False) and len(put) <= 2


def test_ctrl_c_ends_the_run_with_what_was_put() -> None:
    put: list[TaskStateChange] = []

    def interrupt_third(event: TaskStateChange) -> None:
        if len(put) == 2:
            raise KeyboardInterrupt
        put.append(event)

    assert paced_run(Simulator(1, 3, "0.22"), interrupt_third, max_events=10) == PacedRun(2, True)


def test_on_post_is_called_once_per_event_put() -> None:
    calls: list[None] = []
    run = paced_run(Simulator(1, 1, "0.22"), lambda event: None, max_events=3, on_post=lambda: calls.append(None))
    assert run.posted == len(calls) == 3


# -- the files ---------------------------------------------------------------------------------
def test_a_vector_file_is_its_header_members_then_one_case_a_line() -> None:
    out = io.StringIO()
    with VectorWriter(out, {"aurora": "0.22.0", "seed": 7, "identity": {"K": 1}}) as vectors:
        vectors.add({"name": "a", "payload": "h\u00e9"})
        vectors.add({"name": "b"})
    assert out.getvalue() == ('{"aurora": "0.22.0", "seed": 7, "identity": {"K": 1}, "cases": [\n'
                              '{"name": "a", "payload": "h\u00e9"},\n{"name": "b"}\n]}\n')


def test_a_vector_file_without_cases_is_still_json() -> None:
    out = io.StringIO()
    with VectorWriter(out, {"aurora": "0.19.0"}):
        pass
    assert json.loads(out.getvalue()) == {"aurora": "0.19.0", "cases": []}


def test_the_header_cannot_hold_the_cases() -> None:
    with pytest.raises(ValueError, match="cannot hold the cases"):
        VectorWriter(io.StringIO(), {"cases": []})


def test_a_dry_run_vector_file_reads_back_as_the_events_written(tmp_path: Path) -> None:
    simulator = Simulator(1, 2, "0.22", seed=3)
    events = list(islice((event for event in simulator.transitions() if simulator.posts(event)), 4))
    path = tmp_path / "events.json"
    with DryRunFile(str(path), simulator) as sink:
        for event in events:
            sink.write(event)
    whole = json.loads(path.read_text(encoding="utf-8"))
    assert (whole["aurora"], whole["optional"], whole["seed"]) == ("0.22.0", "java", 3)
    assert [case["name"] for case in whole["cases"]] == ["000000", "000001", "000002", "000003"]
    olds = [None if e.old_state is None else e.old_state.name for e in events]
    assert [case["oldState"] for case in whole["cases"]] == olds
    with open_payload_file(str(path)) as source:
        assert source.aurora == "0.22.0"
        assert [payload.text for payload in source] == [event.encode() for event in events]


def test_a_dry_run_of_json_lines_records_the_release_and_saves_the_identity_table(tmp_path: Path) -> None:
    simulator = Simulator(1, 1, "0.19")
    event = next(event for event in simulator.transitions() if simulator.posts(event))
    path = tmp_path / "events.jsonl"
    with DryRunFile(str(path), simulator) as sink:
        sink.write(event)
    assert path.read_text(encoding="utf-8").splitlines() == ['{"aurora": "0.19.0"}', event.encode()]
    assert sink.identity_path == str(tmp_path / "events.identity.json")
    assert IdentityTable.load(sink.identity_path).known() == simulator.identity.known()


def test_a_dry_run_file_that_cannot_be_made_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        DryRunFile(str(tmp_path / "no" / "such.json"), Simulator(1, 1, "0.22"))
