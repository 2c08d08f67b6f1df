"""What a partitioned task does next, against Aurora's partition-aware lifecycle (0.20+): it comes back
to the status it was cut off in, or ends (FINISHED, FAILED, KILLED); only a partitioned task comes back."""

from __future__ import annotations

import random

import pytest
from aurorakit.runtime.simulate.jobs import random_job
from aurorakit.runtime.simulate.rules import next_move

ENDS = {"FINISHED", "FAILED", "KILLED"}


def test_a_partitioned_task_comes_back_or_ends() -> None:
    rng = random.Random(11)
    spec = random_job(rng)
    moves = {next_move(rng, "PARTITIONED", spec, partition_aware=True)[0] for _ in range(2000)}
    assert moves == {"BACK"} | ENDS


@pytest.mark.parametrize("status", ["THROTTLED", "PENDING", "ASSIGNED", "STARTING", "RUNNING", "KILLING",
                                    "RESTARTING", "DRAINING", "PREEMPTING"])
def test_only_a_partitioned_task_comes_back(status: str) -> None:
    rng = random.Random(12)
    spec = random_job(rng)
    for aware in (False, True):
        assert "BACK" not in {next_move(rng, status, spec, partition_aware=aware)[0] for _ in range(1000)}


def test_an_assigned_task_starts_or_is_lost_when_it_times_out() -> None:
    rng = random.Random(13)
    spec = random_job(rng)
    moves = {next_move(rng, "ASSIGNED", spec)[::2] for _ in range(2000)}
    assert moves == {("STARTING", False), ("LOST", True)}
