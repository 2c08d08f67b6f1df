"""The simulator's per-status tables, each checked against Aurora's documented behaviour.

Expected values come from ``../shared/docs/aurora-webhook-behaviour.md`` and
Aurora's documented task lifecycle and Thermos ``HealthCheckConfig``, not
from the simulator's tables.
"""

from __future__ import annotations

import dataclasses
import json
import random

import pytest
from aurorakit.runtime.simulate.jobs import executor_data, random_job
from aurorakit.runtime.simulate.lifecycle import is_flapping, reschedules
from aurorakit.runtime.simulate.pacing import PacedRun
from aurorakit.runtime.simulate.rules import dwell_ms, next_move

SECOND, MINUTE = 1000, 60_000


def a_job(*, service: bool):
    rng = random.Random(5)
    while True:
        spec = random_job(rng)
        if spec.is_service == service:
            return spec


# -- flapping: a task stopped on purpose is never flapping ----------------------------------
@pytest.mark.parametrize("stopped_by", ["RESTARTING", "KILLING", "DRAINING"])
def test_a_task_stopped_on_purpose_is_not_flapping(stopped_by: str) -> None:
    statuses = ["PENDING", "ASSIGNED", "STARTING", "RUNNING", stopped_by, "KILLED"]
    timestamps = [0, 100, 200, 300, 400, 500]  # ended well inside five minutes
    assert not is_flapping(statuses, timestamps)


@pytest.mark.parametrize("final", ["FAILED", "LOST", "FINISHED", "KILLED"])
def test_a_task_ending_on_its_own_soon_after_starting_is_flapping(final: str) -> None:
    # PREEMPTING is not one of the statuses that excuse it.
    assert is_flapping(["PENDING", "ASSIGNED", "RUNNING", final], [0, 100, 200, 300])
    assert is_flapping(["PENDING", "RUNNING", "PREEMPTING", final], [0, 100, 200, 300])
    assert not is_flapping(["PENDING", "RUNNING", final], [0, 100, 100 + 5 * MINUTE])


# -- partition awareness: every status on an agent can be cut off ---------------------------
@pytest.mark.parametrize("status", ["ASSIGNED", "STARTING", "RUNNING", "KILLING",
                                    "RESTARTING", "DRAINING", "PREEMPTING"])
def test_every_status_on_an_agent_is_sometimes_partitioned(status: str) -> None:
    spec = a_job(service=True)
    rng = random.Random(1)
    moves = [next_move(rng, status, spec, partition_aware=True)[0] for _ in range(3000)]
    assert "PARTITIONED" in moves
    # ... and never without partition awareness.
    rng = random.Random(1)
    assert "PARTITIONED" not in {next_move(rng, status, spec)[0] for _ in range(3000)}


def test_a_pending_task_is_never_partitioned() -> None:
    spec = a_job(service=True)
    rng = random.Random(2)
    assert "PARTITIONED" not in {next_move(rng, "PENDING", spec, partition_aware=True)[0] for _ in range(500)}


# -- how long a task stays ------------------------------------------------------------------
def test_starting_lasts_three_seconds_to_a_minute() -> None:
    spec = a_job(service=False)
    rng = random.Random(3)
    waits = [dwell_ms(rng, "STARTING", spec, "RUNNING") for _ in range(400)]
    assert min(waits) >= 3 * SECOND and max(waits) <= MINUTE
    assert max(waits) > 45 * SECOND  # the whole range is used, not a shorter one


def test_running_lasts_at_least_thirty_seconds() -> None:
    spec = a_job(service=False)
    rng = random.Random(4)
    waits = [dwell_ms(rng, "RUNNING", spec, "FINISHED") for _ in range(400)]
    assert min(waits) >= 30 * SECOND
    assert max(waits) > MINUTE


# -- the Thermos config a service carries ---------------------------------------------------
def test_a_service_health_check_config_has_thermos_keys() -> None:
    spec = a_job(service=True)
    data = json.loads(executor_data(spec, random.Random(6)))
    health = data["health_check_config"]
    assert set(health) == {"initial_interval_secs", "health_checker", "max_consecutive_failures",
                           "timeout_secs", "interval_secs"}
    assert health["interval_secs"] == 10.0 and health["timeout_secs"] == 1.0
    assert health["initial_interval_secs"] in (5.0, 15.0, 30.0)


def test_a_batch_job_has_no_health_check() -> None:
    data = json.loads(executor_data(a_job(service=False), random.Random(6)))
    assert "health_check_config" not in data


def test_a_paced_run_result_cannot_be_changed() -> None:
    run = PacedRun(posted=3, interrupted=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.posted = 4  # type: ignore[misc]
    assert {run: 1}[PacedRun(3, False)] == 1  # frozen: equal results hash alike


def test_assigned_lasts_at_most_three_seconds() -> None:
    spec = a_job(service=False)
    rng = random.Random(7)
    waits = [dwell_ms(rng, "ASSIGNED", spec, "STARTING") for _ in range(400)]
    assert min(waits) >= 200 and max(waits) <= 3 * SECOND
    assert max(waits) > 2 * SECOND


# -- replacements (statement 8 of the behaviour document) -----------------------------------
def test_which_endings_make_a_replacement() -> None:
    assert not reschedules("RUNNING", "FINISHED", is_service=False, max_task_failures=1, failures_before=0)
    assert reschedules("RUNNING", "FINISHED", is_service=True, max_task_failures=1, failures_before=0)
    assert not reschedules("RUNNING", "FAILED", is_service=False, max_task_failures=1, failures_before=0)
    assert reschedules("RUNNING", "FAILED", is_service=False, max_task_failures=3, failures_before=1)
    assert not reschedules("RUNNING", "FAILED", is_service=False, max_task_failures=3, failures_before=2)
    assert reschedules("RUNNING", "FAILED", is_service=False, max_task_failures=-1, failures_before=50)
    assert reschedules("RUNNING", "KILLED", is_service=False, max_task_failures=1, failures_before=0)
    assert reschedules("RUNNING", "LOST", is_service=False, max_task_failures=1, failures_before=0)
    assert reschedules("RESTARTING", "FINISHED", is_service=False, max_task_failures=1, failures_before=0)
    assert not reschedules("KILLING", "KILLED", is_service=True, max_task_failures=1, failures_before=0)


# -- the jobs: what real Aurora configs carry ----------------------------------------------
def many_jobs(count: int = 300):
    rng = random.Random(8)
    return [random_job(rng) for _ in range(count)]


def test_services_ask_for_the_ports_thermos_health_checks_and_admin_use() -> None:
    ports = {port for spec in many_jobs() if spec.is_service for port in spec.ports}
    # "http" (always), "health" (the Thermos health checker's own port), "admin", "thrift", "tcp".
    assert ports == {"http", "health", "admin", "thrift", "tcp"}


def test_ram_and_disk_are_whole_powers_of_two_mib() -> None:
    for spec in many_jobs():
        assert spec.ram_mb & (spec.ram_mb - 1) == 0 and spec.disk_mb & (spec.disk_mb - 1) == 0, spec
    assert max(spec.disk_mb for spec in many_jobs()) >= 1024


def test_metadata_keys_are_build_sha_team_and_release_note() -> None:
    keys = {key for spec in many_jobs() for key, _ in spec.metadata}
    assert keys == {"build", "sha", "team", "release-note"}


def test_thermos_processes_and_task_carry_thermos_defaults() -> None:
    # Thermos defaults the Aurora client writes out in full: Process max_failures 1 and
    # min_duration 5, Task max_failures 1, max_concurrency 0, finalization_wait 30.
    data = json.loads(executor_data(a_job(service=False), random.Random(9)))
    task = data["task"]
    assert [(p["max_failures"], p["min_duration"], p["daemon"], p["ephemeral"], p["final"])
            for p in task["processes"]] == [(1, 5, False, False, False)] * 2
    assert (task["max_failures"], task["max_concurrency"], task["finalization_wait"]) == (1, 0, 30)


@pytest.mark.parametrize(("service", "mean_ms"), [(True, 6 * 60 * MINUTE), (False, 20 * MINUTE)])
def test_running_lasts_six_hours_for_a_service_twenty_minutes_for_a_batch_job(service: bool, mean_ms: int) -> None:
    spec = a_job(service=service)
    rng = random.Random(10)
    waits = [dwell_ms(rng, "RUNNING", spec, "FINISHED") for _ in range(6000)]
    assert abs(sum(waits) / len(waits) / mean_ms - 1) < 0.03  # exponential: the mean is the parameter


def test_a_job_with_ports_announces_its_first_port() -> None:
    spec = a_job(service=True)
    data = json.loads(executor_data(spec, random.Random(11)))
    assert data["announce"] == {"primary_port": spec.ports[0], "portmap": {"aurora": spec.ports[0]}}
