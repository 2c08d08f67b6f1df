"""``tail(last=0, follow=True)`` on the PostgreSQL store: only deliveries stored after it began
(against a real PostgreSQL on 127.0.0.1, tests/servers.py)."""

from __future__ import annotations

import threading
import time

import pytest
from servers import PostgresServer

pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")

from aurorakit.runtime.relay.pg_store import PostgresReceiverStore


def test_tail_of_none_then_follow_skips_what_was_already_stored(postgres_server: PostgresServer) -> None:
    url = postgres_server.new_database("aurorakit_test_pg_tail_none")
    reader, writer = PostgresReceiverStore(url), PostgresReceiverStore(url)

    def add(webhook_id: str) -> None:
        writer.add(webhook_id=webhook_id, path="/hook", remote="127.0.0.1:1", headers={}, body=b"{}", summary=None)

    add("old-1")
    add("old-2")
    stop = threading.Event()
    seen: list[str | None] = []

    def follow() -> None:
        for delivery in reader.tail(last=0, follow=True, poll_interval=0.05, stop=stop):
            seen.append(delivery.webhook_id)
            stop.set()
    thread = threading.Thread(target=follow)
    thread.start()
    try:
        for n in range(100):  # new rows until the follower reports one: however late it started
            add(f"new-{n}")
            time.sleep(0.05)
            if seen:
                break
        thread.join(timeout=10)
        assert seen and str(seen[0]).startswith("new-"), seen
    finally:
        stop.set()
        thread.join(timeout=10)
        reader.close()
        writer.close()


def test_an_unreachable_server_is_named_with_the_driver_s_reason() -> None:
    from aurorakit.runtime.relay.pg_store import StoreOpenError
    from servers import free_port
    with pytest.raises(StoreOpenError) as caught:
        PostgresReceiverStore(f"postgresql://u:secret@127.0.0.1:{free_port()}/x", connect_timeout=2)
    reason = str(caught.value).split("cannot open the store: ", 1)[1]
    assert "refused" in reason.lower() and "\n" not in reason and "secret" not in reason
