"""Smaller relay promises the other tests leave open: an HTTP target keeps retrying while any of its
deadline is left; the record waits for a writer's lock instead of failing; a follower of the PostgreSQL
store wakes on the first NOTIFY, not at its poll interval."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from pathlib import Path

from aurorakit.runtime.relay.http_target import HttpTarget, TargetSpec
from aurorakit.runtime.relay.outbox import Outbox, RelayedEvent
from aurorakit.runtime.relay.pg_store import PostgresReceiverStore
from aurorakit.runtime.webhook.settings import RetryPolicy
from servers import PostgresServer, free_port


def _event(event_id: str, received_at: float) -> RelayedEvent:
    return RelayedEvent(seq=0, event_id=event_id, received_at=received_at, release="0.26.0", subject="aurora.x",
                        task_id="t-1", old_status=None, new_status="RUNNING", content_type=None, body=b"{}")


def test_a_target_retries_until_the_last_of_its_deadline_passes() -> None:
    down = TargetSpec(f"http://127.0.0.1:{free_port()}/",
                      retry=RetryPolicy(initial_backoff_msec=20, max_backoff_msec=40, deadline_sec=0.6))
    target = HttpTarget(down)
    started = time.time()
    try:
        reason = target.deliver(_event("e-1", started), threading.Event())
    finally:
        target.close()
    took = time.time() - started
    assert reason is not None and "retry deadline (0.6 s after acceptance) passed" in reason, reason
    attempts = int(re.search(r"after (\d+) attempts", reason).group(1))  # type: ignore[union-attr]
    assert attempts >= 4, reason  # ~40 ms apart over 0.6 s, not given up at the first failure
    assert 0.55 <= took < 5, took


def test_the_record_waits_for_another_writers_lock(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "relay.db")
    other = sqlite3.connect(tmp_path / "relay.db", isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")  # holds the write lock, as a second relay process would
        releaser = threading.Timer(0.3, lambda: other.execute("COMMIT"))
        releaser.start()
        seq = outbox.add(_event("e-1", time.time()))
        releaser.join()
        assert seq is not None and outbox.count() == 1
    finally:
        other.close()
        outbox.close()


def test_a_follower_wakes_on_one_notify(postgres_server: PostgresServer) -> None:
    url = postgres_server.new_database("aurorakit_test_relay_details")
    reader, writer = PostgresReceiverStore(url), PostgresReceiverStore(url)

    def add(webhook_id: str) -> None:
        writer.add(webhook_id=webhook_id, path="/hook", remote="127.0.0.1:1", headers={}, body=b"{}", summary=None)

    add("old")
    stop = threading.Event()
    seen: list[str | None] = []

    def follow() -> None:
        for delivery in reader.tail(last=1, follow=True, poll_interval=8, stop=stop):
            seen.append(delivery.webhook_id)
            if len(seen) == 2:
                stop.set()
    thread = threading.Thread(target=follow)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # the follower is now listening, past its first look for new rows
        add("new")
        thread.join(timeout=4)  # well before the 8 s poll: the one NOTIFY woke it
        assert not thread.is_alive(), seen
        assert seen == ["old", "new"]
    finally:
        stop.set()
        thread.join(timeout=15)
        reader.close()
        writer.close()
