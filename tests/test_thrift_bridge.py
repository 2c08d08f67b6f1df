"""to_thrift() / from_thrift(): aurorakit values through thriftpy2's binary and compact protocols.

Two independent descriptions of each type meet here: the ``_fields`` metadata
of the generated classes (from which aurorakit builds thriftpy2 classes) and
thriftpy2's own reading of the same IDL. Both must write the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import thriftpy2
from aurorakit.codegen.idl import load_idl
from aurorakit.generated import aurora_0_14, aurora_0_22
from aurorakit.runtime.containers import FrozenMap, OrderedSet
from aurorakit.runtime.struct import ThriftStruct
from aurorakit.runtime.thrift_bridge import thrift_class
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import instances
from thriftpy2.protocol import TBinaryProtocolFactory, TCompactProtocolFactory
from thriftpy2.utils import deserialize, serialize

REPO = Path(__file__).resolve().parent.parent
IDL_DIR = REPO / "tests" / "idl"
BINARY, COMPACT = TBinaryProtocolFactory(), TCompactProtocolFactory()


def classes(package: ModuleType) -> list[type[ThriftStruct]]:
    return [getattr(package, name) for name in package.types.__all__]


def through_the_wire(obj: ThriftStruct, protocol: Any) -> ThriftStruct:
    """``obj`` written with ``protocol`` and read back, through aurorakit's own thriftpy2 classes."""
    cls = type(obj)
    data = serialize(obj.to_thrift(), protocol)
    return cls.from_thrift(deserialize(thrift_class(cls)(), data, protocol))


@pytest.fixture(scope="module")
def aurora_thrift() -> dict[str, ModuleType]:
    """thriftpy2's own modules of the Aurora IDLs."""
    return {name: thriftpy2.load(str(REPO / "thrift" / "aurora" / release / "api.thrift"),
                                 module_name=f"bridge_{name}_thrift")
            for name, release in (("aurora_0_14", "0.14"), ("aurora_0_22", "0.22"))}


# thriftpy2 writes strings as UTF-8 (no lone surrogates); NaN never equals itself.
THRIFT_SAFE: dict[str, Any] = {"max_depth": 2, "lone_surrogates": False, "allow_nan": False}
ROUND_TRIP = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("package", [aurora_0_14, aurora_0_22], ids=["0.14", "0.22"])
@ROUND_TRIP
@given(data=st.data())
def test_random_instances_of_every_aurora_type_round_trip(data: st.DataObject, package: ModuleType) -> None:
    for cls in classes(package):
        obj = data.draw(instances(cls, **THRIFT_SAFE), label=cls.__name__)
        for protocol in (BINARY, COMPACT):
            assert through_the_wire(obj, protocol) == obj, f"{cls.__name__} via {type(protocol).__name__}"


@ROUND_TRIP
@given(data=st.data())
def test_random_instances_of_every_kitchen_type_round_trip(data: st.DataObject, kitchen: ModuleType) -> None:
    for package in (kitchen, kitchen.common, kitchen.common.base):
        for cls in classes(package):
            obj = data.draw(instances(cls, **THRIFT_SAFE), label=cls.__name__)
            for protocol in (BINARY, COMPACT):
                assert through_the_wire(obj, protocol) == obj, f"{cls.__name__} via {type(protocol).__name__}"


@pytest.mark.parametrize("package", [aurora_0_14, aurora_0_22], ids=["0.14", "0.22"])
@ROUND_TRIP
@given(data=st.data())
def test_same_bytes_as_thriftpy2_classes_loaded_from_the_idl(
        data: st.DataObject, package: ModuleType, aurora_thrift: dict[str, ModuleType]) -> None:
    thrift_module = aurora_thrift[package.__name__.split(".")[-1]]
    for cls in classes(package):
        obj = data.draw(instances(cls, **THRIFT_SAFE), label=cls.__name__)
        ours = serialize(obj.to_thrift(), BINARY)
        assert serialize(obj.to_thrift(thrift_module), BINARY) == ours, cls.__name__
        back = cls.from_thrift(deserialize(getattr(thrift_module, cls.__name__)(), ours, BINARY))
        # thriftpy2's own classes, like Java's, start from the IDL defaults: an unset
        # TaskConfig.container reads back as the default mesos arm.
        assert back == _with_idl_defaults(obj), cls.__name__


def _with_idl_defaults(value: Any) -> Any:
    """``value`` with every unset struct field that has an IDL default set to that default, all the way down."""
    if isinstance(value, OrderedSet):
        return OrderedSet(_with_idl_defaults(x) for x in value)
    if isinstance(value, tuple):
        return tuple(_with_idl_defaults(x) for x in value)
    if isinstance(value, FrozenMap):
        return FrozenMap({_with_idl_defaults(k): _with_idl_defaults(v) for k, v in value.items()})
    if not isinstance(value, ThriftStruct):
        return value
    cls = type(value)
    if cls._kind == "union":
        attr = next(spec.attr for spec in cls._fields if spec.name == value.set_field)  # type: ignore[attr-defined]
        return cls(**{attr: _with_idl_defaults(value.field_value)})  # type: ignore[attr-defined]
    defaults = cls()
    fields = {spec.attr: getattr(value, spec.attr) for spec in cls._fields}
    return cls(**{attr: _with_idl_defaults(getattr(defaults, attr) if field is None else field)
                  for attr, field in fields.items()})


@pytest.fixture(scope="module")
def kitchen_thrift() -> ModuleType:
    """thriftpy2's module of the kitchen IDL, by our loader: thriftpy2.load refuses field names such as `from`."""
    return load_idl(IDL_DIR / "kitchen" / "kitchen.thrift", [IDL_DIR / "shared"])


@ROUND_TRIP
@given(data=st.data())
def test_kitchen_matches_thriftpy2_reading_of_the_idl(data: st.DataObject, kitchen: ModuleType,
                                                       kitchen_thrift: ModuleType) -> None:
    for cls in classes(kitchen) + classes(kitchen.common) + classes(kitchen.common.base):
        obj = data.draw(instances(cls, **THRIFT_SAFE), label=cls.__name__)
        assert serialize(obj.to_thrift(kitchen_thrift), BINARY) == serialize(obj.to_thrift(), BINARY), cls.__name__


def test_binary_encoding_is_the_thrift_wire_format() -> None:
    # Field header (type 11 = string, id 1), length 1, "a", then the stop byte.
    assert serialize(aurora_0_22.JobKey(role="a").to_thrift(), BINARY) == b"\x0b\x00\x01\x00\x00\x00\x01a\x00"
    # A union writes only its set arm: field 2 (ramMb, type 10 = i64).
    assert serialize(aurora_0_22.Resource(ramMb=5).to_thrift(), BINARY) == (
        b"\x0a\x00\x02" + (5).to_bytes(8, "big") + b"\x00")


def test_to_thrift_values() -> None:
    task = aurora_0_22.TaskConfig(
        job=aurora_0_22.JobKey(role="r"),
        resources=[aurora_0_22.Resource(ramMb=2), aurora_0_22.Resource(numCpus=1.0)],
        taskLinks={"b": "1", "a": "2"})
    made = task.to_thrift()
    assert [r.ramMb for r in made.resources] == [2, None]  # a set becomes a list, in order
    assert made.resources[1].numCpus == 1.0 and made.resources[1].ramMb is None
    assert made.taskLinks == {"b": "1", "a": "2"}
    assert made.container.mesos is not None and made.container.docker is None
    assert made.tier is None and made.priority == 0
    status = aurora_0_22.TaskEvent(status=aurora_0_22.ScheduleStatus.RUNNING).to_thrift().status
    assert status == 2 and type(status) is int


def test_from_thrift_treats_missing_fields_as_unset(aurora_thrift: dict[str, ModuleType]) -> None:
    empty = aurora_thrift["aurora_0_22"].TaskConfig()
    empty.container = None  # thriftpy2 filled in the IDL default; Java would read an absent field as null
    task = aurora_0_22.TaskConfig.from_thrift(empty)
    assert task.container is None and task.job is None
    assert (task.priority, task.isService, task.resources) == (0, False, OrderedSet())


def test_text_and_binary_survive(kitchen: ModuleType) -> None:
    everything = kitchen.Everything(name="naïve ☃ 𝄞", blob=b"\x00\xff", real=float("-inf"), tags=["z", "a"])
    back = through_the_wire(everything, BINARY)
    assert back == everything and type(back.blob) is bytes and list(back.tags) == ["z", "a"]


def test_to_thrift_with_a_module_lacking_the_type(aurora_thrift: dict[str, ModuleType]) -> None:
    # 0.14's module has no SlaPolicy (added later).
    with pytest.raises(TypeError, match="no type SlaPolicy"):
        aurora_0_22.SlaPolicy(countSlaPolicy=aurora_0_22.CountSlaPolicy()).to_thrift(aurora_thrift["aurora_0_14"])
