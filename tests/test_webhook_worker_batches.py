"""The reliable sender's work list on its own: who is handed what, when the keeper takes a turn.

Driven directly with a real lock and real threads. Waits that would end on
their own (``idle_sec``) are made a minute long, so every wake-up the tests
see came from a notify, never from a timeout; a thread that should have been
woken and was not shows as still alive after a join of a few seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from aurorakit.runtime.webhook.outgoing import OutgoingEvent
from aurorakit.runtime.webhook.spool import LeasedEvent, Outcome
from aurorakit.runtime.webhook.worker_batches import Settled, WorkerBatches

LONG = 30.0  # idle_sec: a wait that ends by itself would outlast the test
JOIN = 5.0  # what a woken thread may take to finish on a loaded machine


def leased(n: int) -> LeasedEvent:
    return LeasedEvent(OutgoingEvent(f"e{n}", f"t{n}", "RUNNING", "STARTING", b"{}"), 1, 1000.0)


def settled(n: int) -> Settled:
    return Settled(Outcome.delivered(f"e{n}"), f"t{n}")


def until(lock: threading.Lock, condition: Callable[[], bool]) -> None:
    """Wait (polling under the lock) until ``condition`` holds: a state another thread reaches."""
    deadline = time.monotonic() + JOIN
    while time.monotonic() < deadline:
        with lock:
            if condition():
                return
        time.sleep(0.001)
    raise AssertionError("the other thread never got there")


def at_once(lock: threading.Lock, call: Callable[[], object]) -> object:
    """``call()`` under the lock, in a thread: what it returns, or a failure if it waits (and would block)."""
    thread, results = in_thread(lambda: _locked(lock, call))
    thread.join(JOIN)
    assert not thread.is_alive() and len(results) == 1, "it waited"
    return results[0]


def _locked(lock: threading.Lock, call: Callable[[], object]) -> object:
    with lock:
        return call()


def in_thread(target: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(target()), daemon=True)
    thread.start()
    return thread, results


@pytest.mark.parametrize("workers, window, expected", [
    (0, None, (1, 4)), (3, None, (3, 12)), (3, 1, (3, 3)), (2, 5, (2, 5)), (2, 2, (2, 2))])
def test_the_lease_window(workers: int, window: int | None, expected: tuple[int, int]) -> None:
    batches = WorkerBatches(workers, threading.Lock(), window)
    assert (batches.workers, batches.window) == expected


def test_ready_events_go_out_oldest_first_and_are_counted_in_flight() -> None:
    batches = WorkerBatches(2, threading.Lock())
    assert batches.take_ready() is None and batches.in_flight == 0
    batches.end_turn([leased(1), leased(2), leased(3)])
    assert batches.held() == 3
    assert batches.take_ready() == leased(1) and batches.in_flight == 1
    assert batches.take_ready() == leased(2) and batches.in_flight == 2
    batches.done(settled(1))
    assert (batches.in_flight, batches.outcomes, batches.held()) == (1, [settled(1)], 3)
    outcomes, room = batches.take_outcomes()
    assert outcomes == [settled(1)] and batches.outcomes == []
    assert room == 8 - 1 - 1  # the window less one ready and one in flight
    assert batches.held() == 2


def test_when_the_workers_stop_everything_not_written_is_handed_back() -> None:
    batches = WorkerBatches(1, threading.Lock())
    batches.end_turn([leased(1), leased(2)])
    assert batches.take_ready() == leased(1)
    batches.done(settled(1))
    assert batches.take_everything() == ([settled(1)], [leased(2)])
    assert (batches.outcomes, list(batches.ready)) == ([], [])


@pytest.mark.parametrize("outcomes, in_flight, full", [(4, 1, True), (3, 1, False), (5, 2, True), (0, 0, True),
                                                      (1, 0, True), (1, 3, False)])
def test_a_batch_is_full_at_half_the_window_or_with_nothing_in_flight(outcomes: int, in_flight: int,
                                                                       full: bool) -> None:
    batches = WorkerBatches(2, threading.Lock())  # window 8
    batches.outcomes = [settled(n) for n in range(outcomes)]
    batches.in_flight = in_flight
    assert batches.batch_full() is full


def test_a_full_batch_is_written_without_waiting() -> None:
    lock = threading.Lock()
    batches = WorkerBatches(2, lock, idle_sec=LONG)
    batches.end_turn([leased(1)])
    with lock:
        batches.take_ready()
        batches.done(settled(1))  # nothing in flight any more: full
    assert at_once(lock, lambda: batches.next_turn(lambda: 1)) == ([settled(1)], 8)
    assert batches.gathers == 0


def test_while_every_worker_is_busy_the_keeper_gathers_once_then_writes() -> None:
    lock = threading.Lock()
    batches = WorkerBatches(2, lock, idle_sec=LONG)
    batches.end_turn([leased(1), leased(2)])
    with lock:
        batches.take_ready()
        batches.take_ready()
        batches.done(settled(1))  # one still in flight, one outcome: not full
    thread, results = in_thread(lambda: _turn(lock, batches, lambda: 2))
    thread.join(JOIN)
    assert not thread.is_alive() and results == [([settled(1)], 8 - 1)]
    assert batches.gathers == 1


def test_a_worker_with_nothing_to_send_makes_the_keeper_write_at_once() -> None:
    lock = threading.Lock()
    batches = WorkerBatches(2, lock, idle_sec=LONG)
    batches.end_turn([leased(1), leased(2)])
    with lock:
        batches.take_ready()
    first, got = in_thread(lambda: _job(lock, batches))
    first.join(JOIN)
    assert got == [leased(2)]
    idle, woken = in_thread(lambda: _job(lock, batches))  # nothing ready: waits
    until(lock, lambda: batches.idle_workers == 1)
    with lock:
        batches.done(settled(1))  # e2 still in flight: not full, but a worker is idle
    assert at_once(lock, lambda: batches.next_turn(lambda: 1)) == ([settled(1)], 8 - 1)
    assert batches.gathers == 0
    with lock:
        batches.end_turn([leased(3)])  # wakes the idle worker
    idle.join(JOIN)
    assert not idle.is_alive() and woken == [leased(3)]
    assert batches.idle_workers == 0 and batches.in_flight == 2


def test_a_worker_waiting_while_the_keeper_gathers_cuts_the_gathering_short() -> None:
    lock = threading.Lock()
    batches = WorkerBatches(2, lock, idle_sec=LONG)
    with lock:
        batches.in_flight = 2
        batches.done(settled(1))  # one in flight, one outcome: the keeper gathers
    with lock:
        before = batches.gathers
    idle, _ = in_thread(lambda: _job(lock, batches))
    keeper, turns = in_thread(lambda: _turn(lock, batches, lambda: 1))
    keeper.join(JOIN)
    assert turns == [([settled(1)], 8 - 1)] and batches.gathers - before <= 1
    with lock:
        batches.stop()
    idle.join(JOIN)
    assert not idle.is_alive()


def test_the_keeper_leases_when_the_spool_holds_more_than_is_leased_and_there_is_room() -> None:
    lock = threading.Lock()
    batches = WorkerBatches(1, lock, idle_sec=LONG)  # window 4
    assert at_once(lock, lambda: batches.next_turn(lambda: 1)) == ([], 4)
    batches.end_turn([leased(n) for n in range(4)])  # the window is full: no lease however much waits
    keeper, turns = in_thread(lambda: _turn(lock, batches, lambda: 10))
    until(lock, lambda: batches.keeper_waiting == "idle")
    with lock:
        job = batches.take_ready()
        assert job == leased(0)
        batches.done(settled(0))  # an outcome wakes the waiting keeper
    keeper.join(JOIN)
    assert not keeper.is_alive() and turns == [([settled(0)], 4 - 3)]


@pytest.mark.parametrize("wake", ["submitted", "done", "stop"])
def test_an_idle_keeper_is_woken_by_a_submit_an_outcome_or_stop(wake: str) -> None:
    lock = threading.Lock()
    batches = WorkerBatches(1, lock, idle_sec=LONG)
    batches.end_turn([leased(1)])
    with lock:
        batches.take_ready()
    unfinished = [1]  # the one in flight: nothing to lease
    keeper, turns = in_thread(lambda: _turn(lock, batches, lambda: unfinished[0]))
    until(lock, lambda: batches.keeper_waiting == "idle")
    with lock:
        if wake == "submitted":
            unfinished[0] = 2
            batches.submitted()
            assert batches.arrivals == 1
        elif wake == "done":
            batches.done(settled(1))
        else:
            batches.stop()
    keeper.join(JOIN)
    assert not keeper.is_alive() and batches.keeper_waiting is None  # awake, and working
    assert turns == [{"submitted": ([], 4 - 1), "done": ([settled(1)], 4), "stop": None}[wake]]


def test_keeper_idle_does_not_wait_after_an_arrival_or_an_outcome() -> None:
    lock = threading.Lock()
    batches = WorkerBatches(1, lock, idle_sec=LONG)
    with lock:
        batches.submitted()
    at_once(lock, lambda: batches.keeper_idle(LONG, arrivals=0))  # a submit came since 0 arrivals were seen
    batches.outcomes.append(settled(1))
    at_once(lock, lambda: batches.keeper_idle(LONG, arrivals=1))
    batches.outcomes.clear()
    with lock:
        batches.stop()
    at_once(lock, lambda: batches.keeper_idle(LONG, arrivals=1))
    idle, _ = in_thread(lambda: _idle(lock, WorkerBatches(1, lock), 0.01))
    idle.join(JOIN)
    assert not idle.is_alive()


def test_an_idle_keeper_is_woken_by_a_submit_only_while_idle() -> None:
    lock = threading.Lock()
    batches = WorkerBatches(1, lock, idle_sec=LONG)
    keeper, _ = in_thread(lambda: _idle(lock, batches, LONG))
    until(lock, lambda: batches.keeper_waiting == "idle")
    with lock:
        batches.submitted()
    keeper.join(JOIN)
    assert not keeper.is_alive()


def test_stop_wakes_every_waiting_worker_and_they_get_none() -> None:
    lock = threading.Lock()
    batches = WorkerBatches(3, lock, idle_sec=LONG)
    threads = [in_thread(lambda: _job(lock, batches)) for _ in range(3)]
    until(lock, lambda: batches.idle_workers == 3)
    with lock:
        batches.stop()
    assert at_once(lock, lambda: batches.next_turn(lambda: 5)) is None
    for thread, results in threads:
        thread.join(JOIN)
        assert not thread.is_alive() and results == [None]
    assert batches.idle_workers == 0


def test_a_lease_wakes_only_as_many_idle_workers_as_it_has_events() -> None:
    lock = threading.Lock()
    batches = WorkerBatches(3, lock, idle_sec=LONG)
    threads = [in_thread(lambda: _job(lock, batches)) for _ in range(3)]
    until(lock, lambda: batches.idle_workers == 3)
    with lock:
        batches.end_turn([leased(1), leased(2)])
    until(lock, lambda: batches.in_flight == 2)
    with lock:
        assert batches.idle_workers == 1 and not batches.ready
        batches.stop()
    got = []
    for thread, results in threads:
        thread.join(JOIN)
        got += results
    assert sorted(got, key=str) == sorted([leased(1), leased(2), None], key=str)


def _turn(lock: threading.Lock, batches: WorkerBatches, unfinished: Callable[[], int]) -> object:
    with lock:
        return batches.next_turn(unfinished)


def _job(lock: threading.Lock, batches: WorkerBatches) -> object:
    with lock:
        return batches.next_job()


def _idle(lock: threading.Lock, batches: WorkerBatches, seconds: float) -> None:
    with lock:
        batches.keeper_idle(seconds, batches.arrivals)
