"""Interning pays only for what repeats, and never shares an object its JSON no longer matches."""

from __future__ import annotations

import json

from aurorakit.generated.aurora_0_22 import gson as gson_0_22
from aurorakit.runtime.aurora.event import decode_event
from shared import vector_file

LIFECYCLES = vector_file("aurora-0.22.0-lifecycles.json")["cases"]
TABLE = gson_0_22._INTERNED_TaskConfig


def _fresh_table() -> None:
    TABLE._objects.clear()
    TABLE._first.clear()


def _config(data: object):
    return decode_event(data, "0.22").task.assignedTask.task


def test_a_task_config_read_once_is_not_keyed() -> None:
    _fresh_table()
    config = _config(LIFECYCLES[0]["payload"])
    assert config._jhash != 0
    assert not TABLE._objects  # nothing serialised for an object seen once


def test_the_second_reading_shares_the_first() -> None:
    _fresh_table()
    payload = LIFECYCLES[0]["payload"]
    first, second, third = _config(payload), _config(payload), _config(payload)
    assert first is second is third


def test_same_hash_other_json_is_not_shared() -> None:
    _fresh_table()
    payload = LIFECYCLES[0]["payload"]
    edited = payload.replace('"maxTaskFailures":1,', '"maxTaskFailures":7,', 1)  # cachedHashCode kept as it was
    assert edited != payload
    first, other = _config(payload), _config(edited)
    assert first is not other
    assert (first.maxTaskFailures, other.maxTaskFailures) == (1, 7)


def test_a_callers_tree_changed_after_decoding_is_read_as_changed() -> None:
    _fresh_table()
    tree = json.loads(LIFECYCLES[0]["payload"])
    first = _config(tree)
    tree["task"]["assignedTask"]["task"]["maxTaskFailures"] = 7  # the caller reuses its dict
    again = _config(json.dumps(tree, separators=(",", ":"), ensure_ascii=False))
    assert (first.maxTaskFailures, again.maxTaskFailures) == (1, 7)


def test_a_hash_read_again_with_other_json_is_shared_from_then_on() -> None:
    _fresh_table()
    payload = LIFECYCLES[0]["payload"]
    edited = payload.replace('"maxTaskFailures":1,', '"maxTaskFailures":7,', 1)  # cachedHashCode kept as it was
    _config(payload)
    other, again = _config(edited), _config(edited)
    assert other is again and other.maxTaskFailures == 7


def test_a_callers_tree_is_keyed_at_once_and_shared() -> None:
    _fresh_table()
    first = _config(json.loads(LIFECYCLES[0]["payload"]))
    assert _config(json.loads(LIFECYCLES[0]["payload"])) is first
