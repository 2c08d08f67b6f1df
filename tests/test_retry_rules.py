"""Reliable delivery's retry rules, each pinned by numbers worked out by hand.

Which answers are retried (408, 429 and 5xx; no other status, no request that
cannot be made), and how long the sender waits: ``initialBackoffMsec`` doubled
per failure, capped at ``maxBackoffMsec``, then shortened by up to ``jitter``
of itself.
"""

from __future__ import annotations

import random
from pathlib import Path
from types import MappingProxyType

import pytest
from aurorakit.runtime.webhook.config import RetryPolicy, WebhookConfig
from aurorakit.runtime.webhook.http_attempt import AttemptResult, backoff_delay, make_session, post_once, retry_at
from aurorakit.runtime.webhook.sender import ReliableSender
from test_webhook_helpers import Answer, RecordingServer, make_events


@pytest.mark.parametrize("status, retried", [
    (408, True), (429, True), (500, True), (502, True), (503, True), (599, True),
    (400, False), (401, False), (404, False), (407, False), (409, False), (410, False), (428, False),
    (301, False), (304, False), (600, False),
])
def test_which_statuses_are_retried(status: int, retried: bool) -> None:
    assert AttemptResult(status).retryable is retried
    assert AttemptResult(status).delivered is False


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_2xx_is_delivered(status: int) -> None:
    assert AttemptResult(status).delivered and not AttemptResult(199).delivered and not AttemptResult(300).delivered


def test_no_answer_is_retried_unless_the_request_itself_is_wrong() -> None:
    assert AttemptResult(None, "ConnectionError").retryable
    assert not AttemptResult(None, "InvalidURL", permanent_error=True).retryable
    session = make_session(1)
    try:
        for url in ("http://[::1/", "ftp://127.0.0.1/", "127.0.0.1/hook"):  # InvalidURL, InvalidSchema, MissingSchema
            result = post_once(session, url, b"{}", {}, (1.0, 1.0))
            assert result.status is None and result.permanent_error and not result.retryable, (url, result)
        refused = post_once(session, "http://127.0.0.1:1/", b"{}", {}, (1.0, 1.0))
        assert refused.status is None and not refused.permanent_error and refused.retryable
    finally:
        session.close()


def policy(**changes: float | None) -> RetryPolicy:
    return RetryPolicy(**{"initial_backoff_msec": 100, "max_backoff_msec": 1000, "jitter": 0.0,
                          **changes})  # type: ignore[arg-type]


def test_backoff_doubles_then_stops_at_the_cap() -> None:
    rng = random.Random(0)
    delays = [backoff_delay(policy(), attempt, rng) for attempt in range(1, 8)]
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    assert backoff_delay(policy(), 10_000, rng) == 1.0  # a huge exponent stays capped, no overflow
    assert backoff_delay(policy(initial_backoff_msec=1500, max_backoff_msec=1500), 1, rng) == 1.5


class Fixed(random.Random):
    """A random source that always draws ``value``."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.mark.parametrize("jitter, draw, expected", [
    (0.0, 0.9, 0.4), (1.0, 0.0, 0.4), (1.0, 0.5, 0.2), (1.0, 0.75, 0.1), (0.5, 0.5, 0.3), (0.25, 1.0, 0.3),
])
def test_jitter_shortens_the_wait_by_its_share_of_the_draw(jitter: float, draw: float, expected: float) -> None:
    # attempt 3: 100 ms doubled twice = 400 ms, then times (1 - jitter * draw)
    assert backoff_delay(policy(jitter=jitter), 3, Fixed(draw)) == pytest.approx(expected)


def test_full_jitter_spreads_waits_over_the_whole_range() -> None:
    rng = random.Random(7)
    waits = [backoff_delay(policy(jitter=1.0), 5, rng) for _ in range(2000)]  # cap 1.0s
    assert 0.0 <= min(waits) < 0.02 and 0.98 < max(waits) <= 1.0
    assert 0.45 < sum(waits) / len(waits) < 0.55


def config_for(url: str, **retry: float | None) -> WebhookConfig:
    return WebhookConfig(target_url=url, timeout_msec=2000, workers=1,
                         retry=RetryPolicy(**{"initial_backoff_msec": 20, "max_backoff_msec": 40, "jitter": 0.0,
                                              "deadline_sec": 30.0, **retry}),  # type: ignore[arg-type]
                         headers=MappingProxyType({"Content-Type": "application/json"}))


@pytest.mark.parametrize("first, attempts, state", [(408, 2, "delivered"), (429, 2, "delivered"),
                                                    (500, 2, "delivered"), (404, 1, "given_up"),
                                                    (400, 1, "given_up")])
def test_a_first_answer_is_retried_or_given_up(tmp_path: Path, first: int, attempts: int, state: str) -> None:
    with RecordingServer(lambda n: Answer(first if n == 1 else 200)) as server:
        sender = ReliableSender(config_for(server.url), spool=tmp_path / "spool.db")
        (event,) = make_events(tasks=1, per_task=1)
        sender.submit(event)
        assert sender.drain(10)
        record = sender.spool.record(event.event_id)
        assert sender.close(5)
    assert len(server.arrivals) == attempts
    assert record is not None and record.state == state and record.attempts == attempts
    if state == "given_up":
        assert record.last_error == f"HTTP {first} (not retried)"


def test_an_unusable_url_is_given_up_after_one_attempt(tmp_path: Path) -> None:
    sender = ReliableSender(config_for("http://[::1/hook"), spool=tmp_path / "spool.db")
    (event,) = make_events(tasks=1, per_task=1)
    sender.submit(event)
    assert sender.drain(10)
    record = sender.spool.record(event.event_id)
    assert sender.close(5)
    assert record is not None and record.state == "given_up" and record.attempts == 1
    assert (record.last_error or "").endswith("(not retried)")



def attempt_times(retry: RetryPolicy, took: float = 0.0, retry_after: str | None = None) -> list[float]:
    """When each attempt starts on a made-up clock (submitted at 0, every attempt answered 503
    ``took`` s after it starts, each retry made the moment it is due), until the sender gives up."""
    times, now, attempt = [0.0], 0.0, 1
    while True:
        due = retry_at(retry, attempt, 0.0, now + took, random.Random(0), retry_after)
        if due is None:
            return times
        times.append(due)
        now, attempt = due, attempt + 1


def test_retries_until_the_deadline_with_one_last_attempt_at_it() -> None:
    # 0.3 s, then 0.6 s (at 0.9 s); the next, 1.2 s later, would pass the 1 s deadline: one last attempt
    # at 1.0 s, after which the deadline has passed. Exactly four attempts.
    assert attempt_times(policy(initial_backoff_msec=300, max_backoff_msec=10_000, deadline_sec=1.0)) == \
        pytest.approx([0.0, 0.3, 0.9, 1.0])
    # 0.3 s, then 0.6 s would pass the 0.6 s deadline: three attempts, the last at it.
    assert attempt_times(policy(initial_backoff_msec=300, deadline_sec=0.6)) == pytest.approx([0.0, 0.3, 0.6])


def test_slow_answers_count_against_the_deadline() -> None:
    # each answer takes 0.2 s: failures at 0.2, 0.7 (0.5 + 0.2), then due 0.7 + 0.4 > 1.0: cut to 1.0
    assert attempt_times(policy(initial_backoff_msec=300, deadline_sec=1.0), took=0.2) == \
        pytest.approx([0.0, 0.5, 1.0])
    # an answer arriving after the deadline: no retry at all
    assert attempt_times(policy(deadline_sec=1.0), took=1.5) == [0.0]


def test_retry_after_is_cut_to_the_deadline() -> None:
    assert attempt_times(policy(deadline_sec=5.0), retry_after="2") == pytest.approx([0.0, 2.0, 4.0, 5.0])
    assert attempt_times(policy(deadline_sec=5.0), retry_after="60") == pytest.approx([0.0, 5.0])
