"""Event ids and the outgoing event: the id's shape and stability, and an event that cannot change under a sender."""

from __future__ import annotations

import dataclasses
import hashlib
import re

import pytest
from aurorakit.runtime.webhook.outgoing import OccurrenceIds, OutgoingEvent, new_event_id, webhook_message_id

ID_SHAPE = re.compile(r"msg_[0-9a-f]{32}")


def test_a_derived_id_is_msg_and_32_hex_digits_of_the_documented_hash() -> None:
    body = b'{"taskId":"t-1"}'
    expected = "msg_" + hashlib.sha256(b"aurorakit-event-id/1\x000.22\x00" + body).hexdigest()[:32]
    assert webhook_message_id("0.22", body) == expected
    # Pinned, so that a change of the recipe (which re-sends every spooled event under a new id) shows.
    assert webhook_message_id("0.14", b"{}") == "msg_" + hashlib.sha256(b"aurorakit-event-id/1\x000.14\x00{}").hexdigest()[:32]
    assert ID_SHAPE.fullmatch(webhook_message_id("0.14", b"{}"))


def test_a_derived_id_depends_on_release_and_body_only() -> None:
    assert webhook_message_id("0.22", b"a") == webhook_message_id("0.22", b"a")
    assert webhook_message_id("0.22", b"a") != webhook_message_id("0.21", b"a")
    assert webhook_message_id("0.22", b"a") != webhook_message_id("0.22", b"b")


def test_fresh_ids_have_the_same_shape_and_differ() -> None:
    first, second = new_event_id(), new_event_id()
    assert ID_SHAPE.fullmatch(first) and ID_SHAPE.fullmatch(second) and first != second


def test_an_outgoing_event_cannot_be_changed_in_place() -> None:
    event = OutgoingEvent("msg_1", "t-1", "RUNNING", "STARTING", b"{}")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.event_id = "msg_2"  # type: ignore[misc]
    assert hash(event) == hash(OutgoingEvent("msg_1", "t-1", "RUNNING", "STARTING", b"{}"))


def test_repeats_get_a_numbered_suffix_and_the_first_keeps_its_id() -> None:
    ids = OccurrenceIds()
    event = OutgoingEvent("msg_1", "t-1", "RUNNING", "STARTING", b"{}")
    other = OutgoingEvent("msg_2", "t-2", "RUNNING", "STARTING", b"{}")
    seen = [ids(e).event_id for e in (event, event, other, event)]
    assert seen == ["msg_1", "msg_1.1", "msg_2", "msg_1.2"]


def test_repr_shows_the_body_s_size_not_the_body() -> None:
    event = OutgoingEvent("msg_1", "t-1", "RUNNING", None, b"x" * 40)
    assert repr(event) == ("OutgoingEvent(event_id='msg_1', task_id='t-1', new_status='RUNNING', "
                           "old_status=None, body=<40 bytes>)")


def test_the_webhook_package_imports_nothing_by_itself() -> None:
    """Its modules are imported one by one (so a command loads requests and h11 only when it sends)."""
    import subprocess
    import sys

    code = ("import sys, aurorakit.runtime.webhook as w; "
            "print(sorted(m for m in sys.modules if m.startswith('aurorakit.runtime.webhook.')), hasattr(w, '__all__'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[] False"
