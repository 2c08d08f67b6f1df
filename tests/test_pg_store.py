"""The PostgreSQL receiver store against a real PostgreSQL on 127.0.0.1 (tests/servers.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from itertools import count

import pytest
import requests
from servers import PostgresServer

pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")

from aurorakit.runtime.relay.pg_store import PostgresReceiverStore, StoreOpenError
from aurorakit.runtime.relay.stores import open_store
from aurorakit.runtime.webhook.receiver import WebhookReceiver

_names = count()
BODY = b'{"task":{"x":"caf\xe9 \x00 \xff"}}'  # any bytes, kept exactly (ISO-8859-1 and a NUL)


@pytest.fixture
def db_url(postgres_server: PostgresServer) -> str:
    return postgres_server.new_database(f"aurorakit_test_{next(_names)}")


@pytest.fixture
def store(db_url: str) -> Iterator[PostgresReceiverStore]:
    opened = PostgresReceiverStore(db_url)
    yield opened
    opened.close()


def _add(store: PostgresReceiverStore, webhook_id: str | None, body: bytes = BODY) -> int | None:
    return store.add(webhook_id=webhook_id, path="/hook", remote="127.0.0.1:1", headers={"X-A": "1"},
                     body=body, summary={"taskId": "t-1"}, received_at=1700000000.25)


def test_open_store_picks_postgres_for_a_url(db_url: str, tmp_path: object) -> None:
    opened = open_store(db_url)
    try:
        assert type(opened).__name__ == "PostgresReceiverStore"
    finally:
        opened.close()


def test_round_trip_keeps_bytes_and_fields(store: PostgresReceiverStore) -> None:
    seq = _add(store, "msg_1")
    assert seq == 1
    [got] = store.list()
    assert got.body == BODY
    assert (got.webhook_id, got.path, got.remote, got.received_at) == ("msg_1", "/hook", "127.0.0.1:1", 1700000000.25)
    assert got.headers == {"X-A": "1"} and got.summary == {"taskId": "t-1"}
    assert store.has("msg_1") and not store.has("msg_2")


def test_dedupe_by_id_across_two_receivers_stores(db_url: str) -> None:
    first, second = PostgresReceiverStore(db_url), PostgresReceiverStore(db_url)
    try:
        assert _add(first, "msg_same") is not None
        assert _add(second, "msg_same") is None  # the unique constraint, not this process's memory
        assert _add(second, None) is not None and _add(first, None) is not None  # Aurora sends no id: all kept
        assert first.count() == 3
        assert [d.webhook_id for d in second.all()] == ["msg_same", None, None]
    finally:
        first.close()
        second.close()


def test_concurrent_writers_get_gapless_ordered_seqs(db_url: str) -> None:
    stores = [PostgresReceiverStore(db_url) for _ in range(4)]

    def write(index: int) -> None:
        for n in range(25):
            _add(stores[index], f"msg_{index}_{n}")
    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        seqs = [d.seq for d in stores[0].all(batch=7)]
        assert len(seqs) == 100 and seqs == sorted(seqs)
        assert len({d.webhook_id for d in stores[0].all()}) == 100
    finally:
        for opened in stores:
            opened.close()


def test_schema_is_versioned_and_a_newer_one_refused(db_url: str) -> None:
    import psycopg
    PostgresReceiverStore(db_url).close()
    PostgresReceiverStore(db_url).close()  # a second open leaves the schema as it is
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert conn.execute("SELECT version FROM aurorakit_schema").fetchall() == [(1,)]
        conn.execute("UPDATE aurorakit_schema SET version = 99")
    with pytest.raises(StoreOpenError, match="schema version 99"):
        PostgresReceiverStore(db_url)


def test_unreachable_server_is_one_clear_error() -> None:
    from servers import free_port
    with pytest.raises(StoreOpenError, match=r"postgresql://u:\*\*\*@127.0.0.1:\d+/x: cannot open the store"):
        PostgresReceiverStore(f"postgresql://u:secret@127.0.0.1:{free_port()}/x", connect_timeout=2)


def test_tail_follow_sees_rows_from_another_receiver(db_url: str) -> None:
    reader, writer = PostgresReceiverStore(db_url), PostgresReceiverStore(db_url)
    _add(writer, "msg_old")
    stop = threading.Event()
    seen: list[str | None] = []

    def follow() -> None:
        for delivery in reader.tail(last=1, follow=True, poll_interval=30, stop=stop):
            seen.append(delivery.webhook_id)
            if len(seen) == 3:
                stop.set()
    thread = threading.Thread(target=follow)
    thread.start()
    try:
        _add(writer, "msg_new_1")
        _add(writer, "msg_new_2")
        # poll_interval is 30 s: finishing well before it means NOTIFY woke the reader
        thread.join(timeout=20)
        assert not thread.is_alive(), f"follow did not see the new rows (seen {seen})"
        assert seen == ["msg_old", "msg_new_1", "msg_new_2"]
    finally:
        stop.set()
        thread.join(timeout=40)
        reader.close()
        writer.close()


def test_store_reconnects_after_postgres_restart(postgres_server: PostgresServer, db_url: str) -> None:
    store = PostgresReceiverStore(db_url)
    try:
        _add(store, "msg_before")
        postgres_server.restart()
        assert _add(store, "msg_after") is not None
        assert [d.webhook_id for d in store.all()] == ["msg_before", "msg_after"]
    finally:
        store.close()


def test_two_receivers_share_one_database(db_url: str) -> None:
    stores = [PostgresReceiverStore(db_url), PostgresReceiverStore(db_url)]
    receivers = [WebhookReceiver(s).start() for s in stores]
    try:
        for receiver in receivers:  # a retry landing on the other receiver behind a load balancer
            answer = requests.post(receiver.url, data=BODY, headers={"webhook-id": "msg_lb"}, timeout=10)
            assert answer.status_code == 200
        answers = [requests.post(r.url, data=b"{}", timeout=10).json() for r in receivers]
        assert answers[0]["stored"] and answers[1]["stored"]
        assert stores[0].count() == 3
        assert [d.body for d in stores[1].all()] == [BODY, b"{}", b"{}"]
    finally:
        for receiver in receivers:
            receiver.stop()
        for opened in stores:
            opened.close()


def test_receive_cli_lists_a_postgres_store(store: PostgresReceiverStore, db_url: str) -> None:
    _add(store, "msg_cli")
    done = subprocess.run([sys.executable, "-m", "aurorakit.runtime.cli.main", "receive", "--store", db_url,
                           "--list", "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    assert json.loads(line)["webhookId"] == "msg_cli"


def test_receiver_answers_503_while_postgres_is_down_then_stores(postgres_server: PostgresServer,
                                                                  db_url: str) -> None:
    store = PostgresReceiverStore(db_url, connect_timeout=1)
    receiver = WebhookReceiver(store).start()
    try:
        assert requests.post(receiver.url, data=b"1", headers={"webhook-id": "msg_a"}, timeout=10).status_code == 200
        postgres_server.stop("immediate")
        try:
            down = requests.post(receiver.url, data=b"2", headers={"webhook-id": "msg_b"}, timeout=30)
            assert down.status_code == 503 and down.headers["retry-after"]
        finally:
            postgres_server.start()
        for webhook_id, body in (("msg_b", b"2"), ("msg_b", b"2"), ("msg_c", b"3")):  # the sender's retry, twice
            assert requests.post(receiver.url, data=body, headers={"webhook-id": webhook_id},
                                 timeout=10).status_code == 200
        assert [(d.webhook_id, d.body) for d in store.all()] == [("msg_a", b"1"), ("msg_b", b"2"), ("msg_c", b"3")]
    finally:
        receiver.stop()
        store.close()
