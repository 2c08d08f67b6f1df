"""``Retry-After: 000000000005`` is five seconds (RFC 9110 delta-seconds is any run of digits):
leading zeros do not make a short wait look like a huge one."""

from __future__ import annotations

import pytest
from aurorakit.runtime.webhook.http_attempt import RETRY_AFTER_CAP_SEC, parse_retry_after

NOW = 1_700_000_000.0


@pytest.mark.parametrize("value, seconds", [
    ("000000000005", 5.0),  # twelve digits, most of them zeros
    ("05", 5.0),
    ("999999999999", RETRY_AFTER_CAP_SEC),  # twelve nines: over the cap
])
def test_delta_seconds_with_leading_zeros(value: str, seconds: float) -> None:
    assert parse_retry_after(value, NOW) == seconds
