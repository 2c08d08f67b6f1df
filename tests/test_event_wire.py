"""The event envelope, hash policies, and the bytes each Aurora release put on the wire."""

from __future__ import annotations

import pytest
from aurorakit.generated import aurora_0_14 as m14
from aurorakit.generated import aurora_0_22 as m22
from aurorakit.runtime.aurora.event import TaskStateChange, decode_event
from aurorakit.runtime.aurora.profiles import ProfileError, profile_for
from aurorakit.runtime.identity import IdentityTable


def small_task(models=m22, message: str = "ok"):
    config = models.TaskConfig(job=models.JobKey(role="r", environment="e", name="n"),
                               owner=models.Identity(user="u"))
    return models.ScheduledTask(
        assignedTask=models.AssignedTask(taskId="t-1", task=config, instanceId=3),
        status=models.ScheduleStatus.RUNNING,
        taskEvents=[models.TaskEvent(timestamp=5, status=models.ScheduleStatus.RUNNING, message=message)],
    )


def test_optional_forms() -> None:
    assert TaskStateChange(small_task(m14), "STARTING").encode().endswith(',"oldState":{"reference":"STARTING"}}')
    assert TaskStateChange(small_task(m22), "STARTING").encode().endswith(',"oldState":{"value":"STARTING"}}')
    assert TaskStateChange(small_task(m22), None).encode().endswith(',"oldState":{}}')
    assert TaskStateChange(small_task(m22), "STARTING").encode("guava").endswith('{"reference":"STARTING"}}')


@pytest.mark.parametrize("policy, hashed", [
    ("none", set()),
    ("taskconfig", {"TaskConfig", "JobKey", "Identity"}),
    ("assigned", {"AssignedTask", "TaskConfig", "JobKey", "Identity"}),
    ("all", {"ScheduledTask", "AssignedTask", "TaskConfig", "JobKey", "Identity", "TaskEvent"}),
])
def test_hash_policies_hash_what_the_scheduler_had(policy: str, hashed: set[str]) -> None:
    task = small_task()
    TaskStateChange(task, "STARTING", hashed=policy, identity=IdentityTable())
    objects = {"ScheduledTask": task, "AssignedTask": task.assignedTask, "TaskConfig": task.assignedTask.task,
               "JobKey": task.assignedTask.task.job, "Identity": task.assignedTask.task.owner,
               "TaskEvent": task.taskEvents[0]}
    assert {name for name, obj in objects.items() if obj._jhash != 0} == hashed


def test_a_function_policy() -> None:
    from aurorakit.runtime.hashing import java_hash
    task = small_task()
    TaskStateChange(task, None, hashed=lambda t, ids: java_hash(t.taskEvents[0], ids))
    assert task.taskEvents[0]._jhash != 0 and task.assignedTask.task._jhash == 0


def test_hashing_later_changes_the_json_of_everything_above() -> None:
    from aurorakit.runtime.codec import encode
    from aurorakit.runtime.hashing import java_hash
    task = small_task()
    before = encode(task)  # caches JSON with every hash 0
    assert '"cachedHashCode":0,"role"' in before
    java_hash(task.assignedTask.task.job)
    after = encode(task)
    assert after != before and '"cachedHashCode":0,"role"' not in after
    assert after.count('"cachedHashCode":0,') < before.count('"cachedHashCode":0,')
    decoded = decode_event('{"task":' + after + ',"oldState":{}}', m22).task
    assert decoded is not task and encode(decoded) == after  # the hashes read back as written


def test_low8_wire_of_014_and_015() -> None:
    event = TaskStateChange(small_task(m14, message="é日😀"), None, hashed="none")
    body = event.wire("0.14")
    text = event.encode()
    # each UTF-16 code unit cut to its low 8 bits
    assert body == bytes(u & 0xFF for u in memoryview(text.encode("utf-16-le", "surrogatepass")).cast("H"))
    assert b'"message":"\xe9\xe5\x3d\x00"' in body  # 00E9, 65E5, D83D DE00
    assert profile_for("0.15").wire_bytes(text) == body


def test_latin1_wire_of_016_to_018() -> None:
    event = TaskStateChange(small_task(m14, message="é日😀"), None, hashed="none")
    assert b'"message":"\xe9??"' in event.wire(profile_for("0.16", m14))
    assert event.wire(profile_for("0.18", m14)) == event.wire(profile_for("0.16", m14))


def test_charset_wire_from_019() -> None:
    event = TaskStateChange(small_task(m22, message="é日😀"), "RUNNING", hashed="none")
    assert b'"message":"\xe9??"' in event.wire("0.22")  # no charset: ISO-8859-1
    utf8 = event.wire("0.22", content_type="application/json; charset=UTF-8")
    assert utf8 == event.encode().encode("utf-8")
    assert event.wire("0.22", encoding="utf-8") == utf8
    assert b'"message":"???"' in event.wire("0.22", content_type='application/json;charset="us-ascii"')


def test_a_lone_surrogate_becomes_one_question_mark() -> None:
    event = TaskStateChange(small_task(m22, message="a\ud800b"), None, hashed="none")
    assert b'"message":"a?b"' in event.wire("0.22", encoding="utf-8")


def test_profiles() -> None:
    assert [profile_for(v).optional_style for v in ("0.14", "0.19", "0.20", "0.22.0")] == ["guava", "guava", "java", "java"]
    assert [profile_for(v).timestamp_header for v in ("0.14", "0.15", "0.16")] == ["TimeStamp", "TimeStamp", "Timestamp"]
    assert profile_for("0.15").posts("RUNNING", None) and not profile_for("0.16").posts("RUNNING", None)
    assert profile_for("0.18").posts("RUNNING", "STARTING", ["FAILED"])  # no statuses filter before 0.19
    assert not profile_for("0.19").posts("RUNNING", "STARTING", ["FAILED"])
    assert profile_for("0.19").posts("RUNNING", "STARTING", ["*"])
    assert profile_for("0.19").models().__name__ == "aurorakit.generated.aurora_0_19"
    with pytest.raises(ProfileError, match="unknown Aurora release"):
        profile_for("0.13")


def test_event_checks_its_arguments() -> None:
    with pytest.raises(TypeError):
        TaskStateChange(small_task().assignedTask)
    with pytest.raises(ValueError):
        TaskStateChange(small_task(), "NOT_A_STATUS")


@pytest.mark.parametrize("bad, path", [
    (dict(resources=[m22.Resource(ramMb=1), m22.Resource(numCpus=float("nan"))]),
     "task.assignedTask.task.resources[1].value"),
    (dict(slaPolicy=m22.SlaPolicy(percentageSlaPolicy=m22.PercentageSlaPolicy(percentage=float("inf")))),
     "task.assignedTask.task.slaPolicy.value.percentage"),
])
def test_unwritable_values_are_errors_naming_their_path(bad: dict, path: str) -> None:
    from aurorakit.runtime.errors import PayloadError
    config = m22.TaskConfig(job=m22.JobKey(role="r", environment="e", name="n"), **bad)
    task = m22.ScheduledTask(assignedTask=m22.AssignedTask(taskId="t", task=config))
    with pytest.raises(PayloadError) as caught:
        TaskStateChange(task, None, hashed="none").encode()
    assert caught.value.path == path
    assert "NaN" in caught.value.message or "nfinit" in caught.value.message


def test_repr_names_pending_rather_than_its_value_zero() -> None:
    task = small_task().replace(status=m22.ScheduleStatus.PENDING)
    assert repr(TaskStateChange(task, None, hashed="none")) == "TaskStateChange(task='t-1', None -> PENDING)"


def test_wire_writes_the_event_s_own_optional_style_else_the_release_s() -> None:
    guava = TaskStateChange(small_task(m22), "STARTING", optional_style="guava")
    assert guava.wire("0.22").endswith(b',"oldState":{"reference":"STARTING"}}')
    plain = TaskStateChange(small_task(m14), "STARTING")
    assert plain.wire().endswith(b',"oldState":{"reference":"STARTING"}}')  # its own release, 0.14: Guava
    assert plain.wire(profile_for("0.20", m14)).endswith(b',"oldState":{"value":"STARTING"}}')  # 0.20: Java


def test_an_unknown_hash_policy_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown hash policy 'some'; use one of none, taskconfig, assigned, all"):
        TaskStateChange(small_task(), None, hashed="some")
