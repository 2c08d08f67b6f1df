"""The socket timeout of an aurora-mode read: the sooner of timeoutMsec and the whole request's deadline.

On a made-up clock (``now`` is given), so the rule is checked exactly.
"""

from __future__ import annotations

import pytest
from aurorakit.runtime.webhook.aurora_http import sooner


@pytest.mark.parametrize("timeout, deadline, now, expected", [
    (None, None, 5.0, None),  # neither bounds: the read may wait for ever
    (2.0, None, 5.0, 2.0),  # only each read is bounded
    (None, 10.0, 7.0, 3.0),  # only the request: what is left of it
    (2.0, 10.0, 7.0, 2.0),  # the read's bound ends first
    (5.0, 10.0, 7.0, 3.0),  # the request's deadline ends first
    (None, 10.0, 12.0, 0.001),  # past the deadline: a moment, never 0 (non-blocking) nor negative
    (2.0, 10.0, 10.0, 0.001),
])
def test_the_read_timeout_is_the_sooner_of_the_two(timeout: float | None, deadline: float | None, now: float,
                                                    expected: float | None) -> None:
    assert sooner(timeout, deadline, now) == (pytest.approx(expected) if expected is not None else None)
