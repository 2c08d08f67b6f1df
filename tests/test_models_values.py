"""Generated types as value objects: immutability, defaults, unions, enums, containers, equality, checks.

Runs over every type of both Aurora packages where a rule applies to all of
them, with expectations from thriftpy2's own reading of the IDL or written
out by hand; tests/idl/kitchen covers the kinds Aurora does not use.
"""

from __future__ import annotations

import copy
import inspect
import pickle
import typing
from enum import IntEnum
from pathlib import Path
from types import ModuleType

import pytest
import thriftpy2
from aurorakit.generated import aurora_0_14, aurora_0_22
from aurorakit.runtime.containers import FrozenMap, OrderedSet
from aurorakit.runtime.errors import FieldError
from aurorakit.runtime.struct import ThriftException, ThriftStruct, ThriftUnion
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import instances

REPO = Path(__file__).resolve().parent.parent
AURORA = {"0.14": aurora_0_14, "0.22": aurora_0_22}
JAVA_DEFAULTS = {"bool": False, "byte": 0, "i16": 0, "i32": 0, "i64": 0, "double": 0.0,
                 "string": None, "binary": None, "enum": None, "struct": None,
                 "list": (), "set": OrderedSet(), "map": FrozenMap()}


def classes(package: ModuleType) -> list[type[ThriftStruct]]:
    return [getattr(package, name) for name in package.types.__all__]


def all_aurora_classes() -> list[type[ThriftStruct]]:
    return classes(aurora_0_14) + classes(aurora_0_22)


def class_id(cls: type) -> str:
    return f"{cls.__module__.split('.')[-2]}.{cls.__name__}"


@pytest.fixture(scope="module", params=sorted(AURORA))
def aurora_release(request: pytest.FixtureRequest) -> tuple[ModuleType, ModuleType]:
    """(generated package, thriftpy2's own module of the same IDL)."""
    release = request.param
    thrift = thriftpy2.load(str(REPO / "thrift" / "aurora" / release / "api.thrift"),
                            module_name=f"aurora_{release.replace('.', '_')}_thrift")
    return AURORA[release], thrift


# -- immutability, slots, typing ------------------------------------------------------------
@pytest.mark.parametrize("cls", all_aurora_classes(), ids=class_id)
def test_immutable_slotted_value(cls: type[ThriftStruct]) -> None:
    obj = _some_instance(cls)
    spec = cls._fields[0]
    with pytest.raises(AttributeError, match="immutable"):
        setattr(obj, spec.attr, getattr(obj, spec.attr))
    with pytest.raises(AttributeError):
        delattr(obj, spec.attr)
    with pytest.raises(AttributeError):
        obj.not_a_field = 1  # type: ignore[attr-defined]
    assert not hasattr(obj, "__dict__")
    assert all("__slots__" in vars(klass) for klass in type(obj).__mro__ if klass not in (object, Exception,
                                                                                          BaseException))


def test_exceptions_are_immutable_but_still_work_as_exceptions(kitchen: ModuleType) -> None:
    oops = kitchen.Oops(message="m", code=1)
    with pytest.raises(AttributeError, match="immutable"):
        oops.code = 2
    with pytest.raises(AttributeError, match="immutable"):
        oops.extra = 2
    with pytest.raises(kitchen.Oops) as caught:
        raise oops
    caught.value.add_note("notes and tracebacks still attach")  # Python's own machinery sets dunders
    assert caught.value == kitchen.Oops(message="m", code=1)


@pytest.mark.parametrize("cls", all_aurora_classes(), ids=class_id)
def test_every_field_and_parameter_is_annotated(cls: type[ThriftStruct]) -> None:
    params = inspect.signature(cls.__init__).parameters
    init_hints = typing.get_type_hints(cls.__init__)
    assert init_hints["return"] is type(None)
    for spec in cls._fields:
        assert params[spec.attr].kind is inspect.Parameter.KEYWORD_ONLY
        assert spec.attr in init_hints
        if cls._kind == "union":
            assert typing.get_type_hints(getattr(cls, spec.attr).fget)["return"] is not None
        else:
            assert spec.attr in typing.get_type_hints(cls)


def test_packages_are_marked_typed() -> None:
    for package in (aurora_0_14, aurora_0_22):
        assert (Path(package.__file__).parent / "py.typed").is_file()
    assert (REPO / "generated" / "py.typed").is_file()


def test_constructors_take_keywords_only() -> None:
    with pytest.raises(TypeError):
        aurora_0_22.JobKey("www", "prod", "hello")  # type: ignore[misc]
    with pytest.raises(TypeError):
        aurora_0_22.JobKey(rol="www")  # type: ignore[call-arg]


# -- defaults ------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [c for c in all_aurora_classes() if c._kind != "union"], ids=class_id)
def test_unset_fields_take_java_defaults(cls: type[ThriftStruct]) -> None:
    obj = cls()
    for spec in cls._fields:
        value = getattr(obj, spec.attr)
        if (cls.__name__, spec.name) == ("TaskConfig", "container"):
            continue  # the one IDL default of Aurora's api.thrift, tested below
        expected = JAVA_DEFAULTS[spec.type.kind]
        assert value == expected and type(value) is type(expected), f"{cls.__name__}.{spec.name}"


@pytest.mark.parametrize("package", [aurora_0_14, aurora_0_22], ids=["0.14", "0.22"])
def test_task_config_container_defaults_to_the_mesos_arm(package: ModuleType) -> None:
    container = package.TaskConfig().container
    assert container == package.Container(mesos=package.MesosContainer())
    assert container.set_field == "mesos" and container.mesos == package.MesosContainer()
    assert package.TaskConfig().container is not container  # a fresh default per object
    assert package.TaskConfig(container=None).container is None


def test_optional_fields_are_marked() -> None:
    requiredness = {spec.name: spec.requiredness for spec in aurora_0_22.TaskConfig._fields}
    assert requiredness["tier"] == "optional" and requiredness["job"] == "default"


# -- unions ---------------------------------------------------------------------------------
def test_union_holds_exactly_one_arm() -> None:
    resource = aurora_0_22.Resource(ramMb=1024)
    assert (resource.set_field, resource.field_value) == ("ramMb", 1024)
    assert resource.ramMb == 1024 and resource.numCpus is None and resource.namedPort is None
    with pytest.raises(FieldError, match="exactly one arm; got none"):
        aurora_0_22.Resource()
    with pytest.raises(FieldError, match="exactly one arm; got ramMb, diskMb"):
        aurora_0_22.Resource(ramMb=1, diskMb=2)
    assert aurora_0_22.Resource(ramMb=None, diskMb=2).set_field == "diskMb"  # None is "not given"
    assert resource.replace(numCpus=0.5) == aurora_0_22.Resource(numCpus=0.5)


def test_union_arm_value_is_checked() -> None:
    with pytest.raises(FieldError) as caught:
        aurora_0_22.Resource(ramMb=2**63)
    assert caught.value.where == "Resource.ramMb"


def test_union_set_field_uses_the_idl_name(kitchen: ModuleType) -> None:
    arm = kitchen.Choice(label="x")
    assert arm.set_field == "label"
    assert kitchen.Choice(levels=[]).levels == ()  # an empty container is a value, not "unset"


# -- enums ----------------------------------------------------------------------------------
def test_enums_are_int_enums_with_the_idl_values(aurora_release: tuple[ModuleType, ModuleType]) -> None:
    package, thrift = aurora_release
    idl_enums = {cls.__name__: cls for cls in thrift.__thrift_meta__["enums"]}
    assert set(package.enums.__all__) == set(idl_enums)
    for name, idl_enum in idl_enums.items():
        enum = getattr(package, name)
        assert issubclass(enum, IntEnum)
        assert {m.name: m.value for m in enum} == idl_enum._NAMES_TO_VALUES


def test_enum_fields_accept_ints_and_refuse_unknown_values() -> None:
    event = aurora_0_22.TaskEvent(status=2)
    assert event.status is aurora_0_22.ScheduleStatus.RUNNING
    with pytest.raises(FieldError, match="not a value of enum ScheduleStatus"):
        aurora_0_22.TaskEvent(status=99)


def test_every_idl_definition_is_generated(aurora_release: tuple[ModuleType, ModuleType]) -> None:
    package, thrift = aurora_release
    meta = thrift.__thrift_meta__
    for kind, base in (("structs", ThriftStruct), ("unions", ThriftUnion), ("exceptions", ThriftException)):
        for idl_cls in meta[kind]:
            cls = getattr(package, idl_cls.__name__)
            assert issubclass(cls, base)
            # thriftpy2's spec is in declaration order, as are the generated fields
            assert [(s.id, s.name) for s in cls._fields] == [
                (fid, spec[1]) for fid, spec in idl_cls.thrift_spec.items()]
    for service in meta["services"]:
        assert getattr(package, service.__name__)
    for name in package.constants.__all__:
        assert hasattr(thrift, name)


# -- containers -----------------------------------------------------------------------------
def test_sets_keep_insertion_order_and_drop_later_duplicates() -> None:
    attribute = aurora_0_22.Attribute(name="rack", values=["b", "a", "b", "c", "a"])
    assert list(attribute.values) == ["b", "a", "c"]
    first, duplicate = aurora_0_22.Metadata(key="k", value="v"), aurora_0_22.Metadata(key="k", value="v")
    task = aurora_0_22.TaskConfig(metadata=[first, aurora_0_22.Metadata(key="z", value="1"), duplicate])
    assert len(task.metadata) == 2 and task.metadata[0] is first


def test_set_equality_ignores_order_like_a_java_set() -> None:
    a = aurora_0_22.Attribute(name="rack", values=["a", "b"])
    b = aurora_0_22.Attribute(name="rack", values=["b", "a"])
    assert a == b and hash(a) == hash(b)
    assert list(a.values) != list(b.values)


def test_lists_and_maps_keep_order() -> None:
    details = [aurora_0_22.ResponseDetail(message=m) for m in "zyx"]
    assert [d.message for d in aurora_0_22.Response(details=details).details] == ["z", "y", "x"]
    links = aurora_0_22.TaskConfig(taskLinks={"z": "1", "a": "2", "m": "3"}).taskLinks
    assert list(links) == ["z", "a", "m"] and isinstance(links, FrozenMap)
    pairs = aurora_0_22.TaskConfig(taskLinks=[("b", "1"), ("a", "2")]).taskLinks
    assert list(pairs.items()) == [("b", "1"), ("a", "2")]


def test_containers_are_frozen() -> None:
    task = aurora_0_22.TaskConfig(taskLinks={"a": "b"}, constraints=[])
    links: typing.Any = task.taskLinks
    with pytest.raises(TypeError):
        links["c"] = "d"
    assert type(task.constraints) is OrderedSet and not hasattr(task.constraints, "add")
    assert type(aurora_0_22.Response(details=[]).details) is tuple


def test_container_arguments_are_checked() -> None:
    with pytest.raises(FieldError) as caught:
        aurora_0_22.Attribute(values="abc")
    assert caught.value.where == "Attribute.values"
    with pytest.raises(FieldError) as caught:
        aurora_0_22.Attribute(values=["a", 1])
    assert caught.value.where == "Attribute.values[1]"
    with pytest.raises(FieldError) as caught:
        aurora_0_22.TaskConfig(taskLinks={"a": 1})
    assert caught.value.where == "TaskConfig.taskLinks['a']"


# -- equality, hashing, repr ---------------------------------------------------------------
def test_value_equality_and_hashing() -> None:
    key = aurora_0_22.JobKey(role="www", environment="prod", name="hello")
    same = aurora_0_22.JobKey(role="www", environment="prod", name="hello")
    assert key == same and key is not same and hash(key) == hash(same)
    assert key != key.replace(name="other")
    assert {key: 1}[same] == 1
    assert key != ("www", "prod", "hello")
    assert aurora_0_22.JobKey() != aurora_0_22.Identity()
    assert aurora_0_14.JobKey(role="r") != aurora_0_22.JobKey(role="r")  # other release, other type


def test_repr_is_readable() -> None:
    key = aurora_0_22.JobKey(role="www", environment="prod", name="hello")
    assert repr(key) == "JobKey(role='www', environment='prod', name='hello')"
    assert repr(aurora_0_22.Resource(numCpus=1.5)) == "Resource(numCpus=1.5)"
    assert repr(aurora_0_22.Attribute(name="n", values=["a"])) == "Attribute(name='n', values=OrderedSet(['a']))"
    assert repr(aurora_0_22.Identity()) == "Identity()"  # unset fields are left out


def test_repr_evaluates_back_for_enum_free_values() -> None:
    task = aurora_0_22.TaskConfig(job=aurora_0_22.JobKey(role="r"), taskLinks={"a": "b"},
                                  resources=[aurora_0_22.Resource(ramMb=1)])
    namespace = dict(vars(aurora_0_22), OrderedSet=OrderedSet, FrozenMap=FrozenMap)
    assert eval(repr(task), namespace) == task


def test_copy_and_pickle_keep_the_value() -> None:
    task = aurora_0_22.TaskConfig(job=aurora_0_22.JobKey(role="r"), taskLinks={"a": "b"})
    assert copy.copy(task) is task and copy.deepcopy(task) is task  # immutable: sharing is safe
    assert pickle.loads(pickle.dumps(task)) == task
    resource = aurora_0_22.Resource(namedPort="http")
    assert pickle.loads(pickle.dumps(resource)) == resource


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_values_equal_their_rebuilt_copies(data: st.DataObject) -> None:
    for cls in classes(aurora_0_22):
        obj = data.draw(instances(cls, max_depth=2, allow_nan=False), label=cls.__name__)
        rebuilt = cls(**{spec.attr: getattr(obj, spec.attr) for spec in cls._fields
                         if cls._kind != "union" or spec.name == obj.set_field})  # type: ignore[attr-defined]
        assert rebuilt == obj and hash(rebuilt) == hash(obj)
        assert pickle.loads(pickle.dumps(obj)) == obj


# -- range and type checks ------------------------------------------------------------------
@pytest.mark.parametrize("field,bad,message", [
    ("tiny", 128, "128 is out of range for byte (-128..127)"),
    ("tiny", -129, "out of range for byte"),
    ("small", 2**15, "out of range for i16 (-32768..32767)"),
    ("medium", -2**31 - 1, "out of range for i32"),
    ("large", 2**63, "out of range for i64"),
    ("medium", 1.0, "expected i32, got float"),
    ("medium", True, "expected i32, got bool"),
    ("flag", 1, "expected bool, got int"),
    ("real", "1.0", "expected double, got str"),
    ("text", b"bytes", "expected string, got bytes"),
    ("blob", "text", "expected binary"),
    ("bar", "not a Bar", "expected Bar"),
])
def test_bad_values_are_errors_naming_the_field(kitchen: ModuleType, field: str, bad: object, message: str) -> None:
    with pytest.raises(FieldError) as caught:
        kitchen.Everything(**{field: bad})
    assert caught.value.where == f"Everything.{field}"
    assert message in caught.value.message
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TypeError)


def test_integer_bounds_are_accepted(kitchen: ModuleType) -> None:
    e = kitchen.Everything(tiny=-128, small=32767, medium=-2**31, large=2**63 - 1, real=3)
    assert (e.tiny, e.small, e.medium, e.large) == (-128, 32767, -2**31, 2**63 - 1)
    assert e.real == 3.0 and type(e.real) is float
    with pytest.raises(FieldError, match="cannot be held exactly by a double"):
        kitchen.Everything(real=2**53 + 1)


def test_aurora_range_errors_name_the_field() -> None:
    with pytest.raises(FieldError) as caught:
        aurora_0_22.TaskConfig(priority=2**31)
    assert str(caught.value) == "TaskConfig.priority: 2147483648 is out of range for i32 (-2147483648..2147483647)"


# -- helpers --------------------------------------------------------------------------------
def _some_instance(cls: type[ThriftStruct]) -> ThriftStruct:
    """An object of ``cls``; for unions, one holding their first arm."""
    if cls._kind != "union":
        return cls()
    spec = cls._fields[0]
    return cls(**{spec.attr: _some_value(spec.type)})


_SIMPLE_VALUES = {"bool": True, "byte": 1, "i16": 1, "i32": 1, "i64": 1, "double": 1.0, "string": "s",
                  "binary": b"b", "list": [], "set": [], "map": {}}


def _some_value(spec: typing.Any) -> typing.Any:
    if spec.kind == "enum":
        return list(spec.cls)[0]
    if spec.kind == "struct":
        return _some_instance(spec.cls)
    return _SIMPLE_VALUES[spec.kind]
