"""Where each sink of the relay's outbox stands: a sink has finished nothing until it says so."""

from __future__ import annotations

from pathlib import Path

from aurorakit.runtime.relay.outbox import Outbox


def test_a_sink_has_finished_nothing_until_it_marks_an_event_done(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "relay.db")
    try:
        assert outbox.done_seq("nats") == 0  # never registered
        outbox.register("nats")
        assert outbox.done_seq("nats") == 0
        outbox.done("nats", 5)
        assert outbox.done_seq("nats") == 5 and outbox.done_seq("http") == 0
        outbox.register("nats")  # registering again keeps its place
        assert outbox.done_seq("nats") == 5
    finally:
        outbox.close()
