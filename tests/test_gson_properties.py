"""Property tests: random typed objects of every type reachable from ScheduledTask.

For each, encode -> decode -> encode gives the same text, with hashes in any
state (none, some, all computed), and decoding keeps every cachedHashCode.
"""

from __future__ import annotations

import pytest
from aurorakit.generated import aurora_0_14, aurora_0_22
from aurorakit.runtime.aurora.event import TaskStateChange, decode_event
from aurorakit.runtime.aurora.verify import verify
from aurorakit.runtime.codec import decode, encode
from aurorakit.runtime.hashing import java_hash
from aurorakit.runtime.identity import IdentityTable
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import instances

TABLE = IdentityTable()  # the documented defaults: any table will do for round trips


def reachable(root: type) -> list[type]:
    """Every struct and union class whose values can appear under ``root``."""
    seen: dict[str, type] = {}

    def visit_spec(spec: object) -> None:
        kind = spec.kind
        if kind == "struct":
            visit(spec.cls)
        for inner in ("elem", "key", "value"):
            if kind in ("list", "set", "map") and hasattr(spec, inner):
                visit_spec(getattr(spec, inner))

    def visit(cls: type) -> None:
        if cls.__name__ in seen:
            return
        seen[cls.__name__] = cls
        for field in cls._fields:  # type: ignore[attr-defined]
            visit_spec(field.type)

    visit(root)
    return list(seen.values())


TYPES = [(models, cls) for models in (aurora_0_14, aurora_0_22) for cls in reachable(models.ScheduledTask)]


def gson_values(cls: type, depth: int = 2) -> st.SearchStrategy:
    return instances(cls, max_depth=depth, max_size=3, allow_nan=False, allow_infinity=False)


def test_every_reachable_type_is_covered() -> None:
    names = {cls.__name__ for _, cls in TYPES}
    assert {"ScheduledTask", "AssignedTask", "TaskConfig", "TaskEvent", "Resource", "Container",
            "ExecutorConfig", "Constraint", "TaskConstraint", "JobKey"} <= names
    assert len(TYPES) > 30


@pytest.mark.parametrize("models, cls", TYPES, ids=[f"{m.__name__.rsplit('_', 2)[-2]}.{c.__name__}"
                                                     for m, c in TYPES])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_encode_decode_encode(models: object, cls: type, data: st.DataObject) -> None:
    obj = data.draw(gson_values(cls))
    policy = data.draw(st.sampled_from(["none", "some", "all"]))
    if policy == "all":
        java_hash(obj, TABLE)
    elif policy == "some":
        # hash one object somewhere inside: its parents stay unhashed
        from aurorakit.runtime.aurora.verify import walk
        inner = [o for _, o in walk(obj, "x")]
        java_hash(data.draw(st.sampled_from(inner)), TABLE)
    text = encode(obj)
    back = decode(cls, text)
    assert back == obj
    assert encode(back) == text
    # recorded hashes survive and check out against the fields
    report = verify(back, TABLE)
    assert report.mismatches == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task=gson_values(aurora_0_22.ScheduledTask, depth=3), old=st.none() | st.sampled_from(list(aurora_0_22.ScheduleStatus)),
       policy=st.sampled_from(["none", "taskconfig", "assigned", "all"]))
def test_whole_events_round_trip(task: object, old: object, policy: str) -> None:
    event = TaskStateChange(task, old, hashed=policy, identity=TABLE)
    text = event.encode()
    assert decode_event(text, aurora_0_22).encode() == text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return  # a lone surrogate: UTF-8 on the wire carries '?' instead, as Java's encoder did
    assert decode_event(event.wire("0.22", encoding="utf-8"), aurora_0_22, encoding="utf-8").encode() == text
