"""Decoded objects that can never change are shared between payloads that write them alike."""

from __future__ import annotations

from aurorakit.runtime.aurora.event import decode_event
from aurorakit.runtime.codec import encode
from aurorakit.runtime.hashing import java_hash
from shared import vector_file

CASES = vector_file("aurora-0.22.0-lifecycles.json")["cases"]


def _config(payload: str):
    return decode_event(payload, "0.22").task.assignedTask.task


def test_a_hashed_task_config_is_read_once() -> None:
    first, again = _config(CASES[0]["payload"]), _config(CASES[0]["payload"])
    assert first is again and first._jhash != 0
    assert decode_event(CASES[0]["payload"], "0.22").encode() == CASES[0]["payload"]


def test_unhashed_objects_are_never_shared() -> None:
    payload = CASES[0]["payload"]
    task_a = decode_event(payload, "0.22").task
    task_b = decode_event(payload, "0.22").task
    assert task_a.assignedTask is not task_b.assignedTask  # AssignedTask: cachedHashCode 0
    java_hash(task_a.assignedTask)  # hashing one must not change the other's JSON
    assert encode(task_b) == payload[len('{"task":'):payload.rindex(',"oldState"')]


def test_a_hashed_object_with_an_unhashed_part_is_not_shared() -> None:
    payload = CASES[0]["payload"]
    start = payload.index('"executorConfig":{"cachedHashCode":') + len('"executorConfig":{"cachedHashCode":')
    end = payload.index(",", start)
    edited = payload[:start] + "0" + payload[end:]  # TaskConfig hashed, its ExecutorConfig not
    first, again = _config(edited), _config(edited)
    assert first is not again and first == again
    java_hash(first.executorConfig)
    assert decode_event(edited, "0.22").encode() == edited  # the other reading is untouched
