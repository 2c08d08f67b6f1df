"""Which events each Aurora release posted: one rule, as the simulator and the senders apply it.

Section 1 of the behaviour note: events without an old state (the initial
events of a scheduler start) were posted by 0.14 and 0.15 only; the config's
``statuses`` list counts from 0.19 on (``"*"`` or null: every status).
"""

from __future__ import annotations

import pytest
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.webhook.config import WebhookConfig
from aurorakit.runtime.webhook.outgoing import OutgoingEvent
from aurorakit.runtime.webhook.profile_traits import should_post

# (release, old status, statuses, posted)
CASES = [
    ("0.14", None, None, True), ("0.15", None, None, True), ("0.16", None, None, False),
    ("0.22", None, None, False), ("0.27", None, None, False),
    ("0.14", "PENDING", ["FAILED"], True), ("0.18", "PENDING", ["FAILED"], True),
    ("0.19", "PENDING", ["FAILED"], False), ("0.22", "PENDING", ["FAILED"], False),
    ("0.24.2", "PENDING", ["FAILED"], False), ("0.19", "PENDING", ["RUNNING"], True),
    ("0.19", "PENDING", ["*"], True), ("0.20", "PENDING", [], False), ("0.20", "PENDING", None, True),
]


@pytest.mark.parametrize(("release", "old", "statuses", "posted"), CASES)
def test_the_profile_and_the_senders_agree_with_the_note(release: str, old: str | None, statuses: list[str] | None,
                                                         posted: bool) -> None:
    profile = profile_for(release)
    assert profile.posts("RUNNING", old, statuses) is posted
    # The senders read the list from the config, where "*" is kept as None (every status).
    listed = None if statuses is None or "*" in statuses else frozenset(statuses)
    config = WebhookConfig(target_url="http://127.0.0.1:1/", timeout_msec=1000, statuses=listed)
    event = OutgoingEvent(event_id="e", task_id="t", new_status="RUNNING", old_status=old, body=b"{}")
    assert should_post(event, config, profile) is posted
