"""aurorakit.runtime.aurora.convert: Java-made payloads moved between releases' models.

Expectations come from the schema facts (which fields each release has) and
from the vectors' own identity tables (the JVM's real identity hashes), never
from the converter itself.
"""

from __future__ import annotations

import pytest
from aurorakit.generated import aurora_0_14 as a14
from aurorakit.generated import aurora_0_22 as a22
from aurorakit.runtime.aurora.convert import ConversionError, Converter
from aurorakit.runtime.aurora.event import TaskStateChange, decode_event
from aurorakit.runtime.aurora.verify import verify
from aurorakit.runtime.identity import IdentityTable
from shared import vector_file


def _events(name: str, models: object) -> list[tuple[dict, TaskStateChange]]:
    data = vector_file(name)
    return [(case, decode_event(case["payload"], models)) for case in data["cases"]]


def _back(event: TaskStateChange, task: object, models: object) -> TaskStateChange:
    old = None if event.old_state is None else getattr(models.ScheduleStatus, event.old_state.name)
    return TaskStateChange(task, old, hashed="none")


@pytest.mark.parametrize("name", ["aurora-0.22.0-lifecycles.json"])
def test_there_and_back_gives_the_same_bytes(name: str) -> None:
    """0.22 -> 0.14 -> 0.22 of events whose data 0.14 can hold (no PARTITIONED, no 0.22-only values).

    (The random vectors set some 0.22-only field in every case, so only the lifecycles qualify.)
    """
    forth, back = Converter(a22, a14), Converter(a14, a22)
    compared = 0
    cases = _events(name, a22)
    for case, event in cases:
        try:
            there = forth.convert(event.task)
        except ConversionError:
            continue  # PARTITIONED somewhere in the task: 0.14 has no form for it (tested below)
        if any(loss.kind == "dropped" for loss in there.losses):
            continue
        again = back.convert(there.value)
        assert _back(event, again.value, a22).encode() == case["payload"], case["name"]
        compared += 1
    assert compared == len(cases)  # a lifecycle holds nothing 0.14 lacks


@pytest.mark.parametrize("name, source, target", [
    ("aurora-0.14.0-lifecycles.json", a14, a22), ("aurora-0.14.0.json", a14, a22),
    ("aurora-0.22.0-lifecycles.json", a22, a14),
])
def test_converted_hashes_are_what_the_same_jvm_would_have_computed(name: str, source: object,
                                                                    target: object) -> None:
    """Hashes carried through a change of shape still agree with the JVM identities the vector recorded."""
    table = IdentityTable(vector_file(name)["identity"])
    checked = 0
    cases = _events(name, source)
    for case, event in cases:
        converted = Converter(source, target, identity=table).convert(event.task)
        report = verify(converted.value, table)
        assert report.mismatches == [], (case["name"], report.mismatches[:1])
        checked += report.checked
    assert checked >= 5 * len(cases)


def test_losses_from_0_14_to_0_22_follow_the_schema_facts() -> None:
    """0.14's TaskConfig had numCpus/ramMb/diskMb/requestedPorts; 0.22 adds collections and an i32.

    A dropped field that held Java's default (0, 0.0, an empty set) loses nothing: "omitted".
    """
    for case, event in _events("aurora-0.14.0.json", a14):
        config = event.task.assignedTask.task
        expected = {
            ("dropped" if config.numCpus != 0.0 else "omitted", "task.assignedTask.task.numCpus"),
            ("dropped" if config.ramMb != 0 else "omitted", "task.assignedTask.task.ramMb"),
            ("dropped" if config.diskMb != 0 else "omitted", "task.assignedTask.task.diskMb"),
            ("dropped" if len(config.requestedPorts) else "omitted", "task.assignedTask.task.requestedPorts"),
            ("defaulted", "task.timesPartitioned"),
            ("defaulted", "task.assignedTask.task.mesosFetcherUris"),
        }
        if config.container is not None and config.container.set_field == "mesos":
            expected.add(("defaulted", "task.assignedTask.task.container.value.volumes"))
        got = [(loss.kind, loss.path) for loss in Converter(a14, a22).convert(event.task).losses]
        assert sorted(got) == sorted(expected), case["name"]


def test_a_status_the_target_lacks_is_an_error_naming_it() -> None:
    task = a22.ScheduledTask(status=a22.ScheduleStatus.PARTITIONED)
    with pytest.raises(ConversionError, match=r"^task\.status: ScheduleStatus\.PARTITIONED does not exist"):
        Converter(a22, a14).convert(task)


def test_an_unhashed_object_stays_unhashed() -> None:
    task = a14.ScheduledTask(assignedTask=a14.AssignedTask(taskId="t", task=a14.TaskConfig(isService=True)))
    made = Converter(a14, a22).convert(task).value
    assert made._jhash == 0 and made.assignedTask._jhash == 0 and made.assignedTask.task._jhash == 0
    assert made.assignedTask.task.isService is True


def test_an_unset_field_with_an_idl_default_stays_unset() -> None:
    """Found by the property tests: container=None came back as the IDL default {"mesos": {}}."""
    config = a14.TaskConfig(container=None)
    assert config.container is None
    assert Converter(a14, a22).convert(config, "task").value.container is None


def test_a_type_the_target_lacks_is_an_error_naming_it() -> None:
    with pytest.raises(ConversionError, match=r"^PartitionPolicy does not exist in the target release$"):
        Converter(a22, a14).convert(a22.PartitionPolicy(reschedule=True))  # came in 0.20


def test_loss_patterns_fold_list_positions() -> None:
    from aurorakit.runtime.aurora.convert import Loss
    assert Loss("dropped", "task.assignedTask.task.resources[2]", "").pattern == "task.assignedTask.task.resources[*]"
    assert Loss("dropped", "task.a[12].b[3][4].c", "").pattern == "task.a[*].b[*][*].c"
    assert Loss("dropped", "task.m[\"k[1]\"].v", "").pattern == "task.m[*].v"
