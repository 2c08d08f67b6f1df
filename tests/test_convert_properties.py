"""Property tests of aurorakit.runtime.aurora.convert over random models of adjacent releases."""

from __future__ import annotations

from aurorakit.generated import aurora_0_19 as a19
from aurorakit.generated import aurora_0_20 as a20
from aurorakit.runtime.aurora.convert import ConversionError, Converter
from aurorakit.runtime.aurora.verify import verify
from aurorakit.runtime.codec import encode
from aurorakit.runtime.hashing import java_hash
from aurorakit.runtime.identity import IdentityTable
from hypothesis import HealthCheck, assume, given, settings
from strategies import instances

TABLE = IdentityTable()  # the documented default identities: any fixed table will do


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(a19.ScheduledTask, max_depth=3, allow_nan=False, allow_infinity=False))
def test_0_19_to_0_20_and_back_is_the_identity(task: a19.ScheduledTask) -> None:
    """What 0.19 and 0.20 both hold comes back as it was: same bytes, hashes included.

    (0.20 removed TaskConfig's numCpus, ramMb, diskMb and requestedPorts: a task that sets
    them loses them, and only those.)
    """
    java_hash(task, TABLE)
    there = Converter(a19, a20, TABLE).convert(task)
    legacy = {f"task.assignedTask.task.{name}" for name in ("numCpus", "ramMb", "diskMb", "requestedPorts")}
    assert {loss.path for loss in there.losses if loss.kind != "defaulted"} <= legacy
    assume(not any(loss.kind == "dropped" for loss in there.losses))
    assert verify(there.value, TABLE).mismatches == []  # hashes as the same JVM would compute them
    again = Converter(a20, a19, TABLE).convert(there.value)
    assert encode(again.value) == encode(task)
    assert again.value == task


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(a20.ScheduledTask, max_depth=3, allow_nan=False, allow_infinity=False))
def test_0_20_to_0_19_loses_only_what_0_19_lacks(task: a20.ScheduledTask) -> None:
    java_hash(task, TABLE)
    try:
        there = Converter(a20, a19, TABLE).convert(task)
    except ConversionError as err:
        assert "PARTITIONED" in str(err)  # the only value 0.19 cannot hold at all
        return
    lacking = {"task.timesPartitioned", "task.assignedTask.task.partitionPolicy"}
    assert {loss.path for loss in there.losses if loss.kind in ("dropped", "omitted")} <= lacking
    assert verify(there.value, TABLE).mismatches == []
