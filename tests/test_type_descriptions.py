"""Run-time type descriptions (runtime/typespec.py) hold only their own slots.

Every field of every generated class has one, so none carries a ``__dict__``;
their text is what constructor errors print.
"""

from __future__ import annotations

import pytest
from aurorakit.generated.aurora_0_22 import enums, types
from aurorakit.runtime import typespec as ts

KINDS = [ts.I32, ts.STRING, ts.EnumType(enums.ScheduleStatus), ts.StructType(types.JobKey), ts.ListOf(ts.I64),
         ts.SetOf(ts.STRING), ts.MapOf(ts.STRING, ts.I32)]


@pytest.mark.parametrize("spec", KINDS, ids=str)
def test_a_type_description_has_no_instance_dict(spec: ts.TypeSpec) -> None:
    assert not hasattr(spec, "__dict__")
    with pytest.raises(AttributeError):
        spec.note = "x"  # type: ignore[attr-defined]


def test_each_kind_is_spelled_as_the_idl_does() -> None:
    assert [str(s) for s in KINDS] == ["i32", "string", "ScheduleStatus", "JobKey", "list<i64>", "set<string>",
                                       "map<string,i32>"]
