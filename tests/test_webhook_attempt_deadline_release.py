"""Once an attempt under a deadline ends, its thread no longer holds on to the connection it sent on."""

from __future__ import annotations

import threading

from aurorakit.runtime.webhook import attempt_deadline
from aurorakit.runtime.webhook.attempt_deadline import DEADLINES, sending_on


class _Connection:
    sock = None


def test_the_connection_an_attempt_went_out_on_is_let_go_when_it_ends() -> None:
    with DEADLINES.bound(30.0) as bound:
        sending_on(_Connection())
        assert threading.get_ident() in attempt_deadline._sending_on
    assert not bound.expired
    assert threading.get_ident() not in attempt_deadline._sending_on
