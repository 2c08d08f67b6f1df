"""``delivery: aurora``: what D/E send in the background is counted until its outcome is known,
and ``drain`` ends as soon as the last one is (held answers on a raw server on 127.0.0.1)."""

from __future__ import annotations

import threading

from aurora_delivery_helpers import event, sender
from aurora_wire_server import Reply, WireServer

JOIN = 10.0  # far longer than a released answer needs, far shorter than the drain's own timeout


def test_drain_ends_when_the_last_background_send_is_answered() -> None:
    gate = threading.Event()

    def held(n: int) -> Reply:
        gate.wait(30)
        return Reply(body=b"")

    with WireServer(held) as server:
        s = sender("0.19", server.url)  # D: every event at once, each on its own connection
        futures = [s.submit(event(s, n)) for n in range(3)]
        assert s.in_flight == 3
        assert not s.drain(0.05)  # the answers are held: not drained
        drained: list[bool] = []
        drainer = threading.Thread(target=lambda: drained.append(s.drain(60)), daemon=True)
        drainer.start()
        gate.set()
        drainer.join(JOIN)
        assert not drainer.is_alive() and drained == [True]
        assert s.in_flight == 0
        assert [f.result(0).status for f in futures if f is not None] == [200, 200, 200]
        assert s.close(5)
    assert s.stats()["answered_200"] == 3


def test_group_a_sends_in_the_caller_so_nothing_is_left_in_flight() -> None:
    with WireServer(lambda n: Reply(body=b"")) as server:
        s = sender("0.14", server.url)
        future = s.submit(event(s))
        assert future is not None and future.done() and s.in_flight == 0
        assert s.drain(0) and s.close(0)
