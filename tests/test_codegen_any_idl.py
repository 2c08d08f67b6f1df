"""The generator on an IDL of our own (tests/idl/kitchen): not only Aurora's IDL works.

kitchen.thrift includes common.thrift (next to it), which includes
base.thrift (found only through the include dir tests/idl/shared). It has
typedefs, nested containers, every kind of constant, services with extends,
throws and oneway, exceptions, and awkward field names.
"""

from __future__ import annotations

import collections.abc
import inspect
import keyword
import typing
from pathlib import Path
from types import ModuleType

import pytest
from aurorakit.codegen import IdlError, render_idl
from aurorakit.runtime.cli.main import main as cli_main
from aurorakit.runtime.containers import FrozenMap, OrderedSet
from aurorakit.runtime.errors import FieldError

IDL_DIR = Path(__file__).parent / "idl"
KITCHEN = IDL_DIR / "kitchen" / "kitchen.thrift"


# -- includes -------------------------------------------------------------------------
def test_include_of_include_through_include_dir(kitchen: ModuleType) -> None:
    shape = kitchen.common.Shape(name="sq", outline=[kitchen.common.base.Point(x=1, y=2)])
    assert shape.outline == (kitchen.common.base.Point(x=1, y=2),)
    assert shape.colour is kitchen.common.base.Colour.GREEN  # IDL default from the included enum
    assert [c.value for c in kitchen.common.base.Colour] == [1, 2, 7]
    assert kitchen.common.FAVOURITE is kitchen.common.base.Colour.BLUE
    assert kitchen.Everything(name="n", shape=shape).shape is shape


def test_included_modules_are_subpackages_named_after_their_files(kitchen: ModuleType) -> None:
    files = render_idl(KITCHEN, "kitchen", [IDL_DIR / "shared"])
    for module in ("", "common/", "base/"):
        for name in ("__init__.py", "enums.py", "types.py", "gson.py", "constants.py", "services.py"):
            assert module + name in files
    assert files["py.typed"] == ""
    assert kitchen.common.IDL_FILE == "common.thrift"
    assert kitchen.common.base.IDL_FILE == "base.thrift"


def test_include_dir_is_needed_and_named_in_the_error() -> None:
    with pytest.raises(IdlError) as caught:
        render_idl(KITCHEN, "kitchen")  # no include dir: base.thrift is not found
    assert caught.value.path == str(IDL_DIR / "kitchen" / "common.thrift")
    assert caught.value.line == 4
    assert "base.thrift" in caught.value.message


def test_cli_accepts_include_dirs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    args = ["codegen", str(KITCHEN), "--package", "kitchen", "--out", str(out), "--include", str(IDL_DIR / "shared")]
    assert cli_main(args) == 0
    assert (out / "kitchen" / "base" / "types.py").is_file()
    assert cli_main(args + ["--check"]) == 0
    capsys.readouterr()


# -- typedefs and nested containers -----------------------------------------------------
def test_typedefs_resolve_to_their_types(kitchen: ModuleType) -> None:
    hints = typing.get_type_hints(kitchen.Everything)
    assert hints["when"] is int  # When -> common.Timestamp -> i64
    assert hints["name"] == str | None  # Name -> string
    assert typing.get_type_hints(kitchen.common.Shape)["outline"] == tuple[kitchen.common.base.Point, ...]
    when = [spec for spec in kitchen.Everything._fields if spec.name == "when"][0]
    assert when.type.kind == "i64"


def test_nested_containers_are_normalised_all_the_way_down(kitchen: ModuleType) -> None:
    e = kitchen.Everything(name="n", nested={"a": [[3, 1, 3], []], "b": ()}, grid=[[kitchen.Bar(depth=1)]])
    assert e.nested == FrozenMap({"a": (OrderedSet([3, 1]), OrderedSet()), "b": ()})
    assert type(e.nested["a"]) is tuple and type(e.nested["a"][0]) is OrderedSet
    assert list(e.nested["a"][0]) == [3, 1]
    assert e.grid == ((kitchen.Bar(depth=1),),)
    hints = typing.get_type_hints(kitchen.Everything)
    assert hints["nested"] == FrozenMap[str, tuple[OrderedSet[int], ...]]
    assert hints["byLevel"] == FrozenMap[kitchen.Level, OrderedSet[kitchen.Bar]]


def test_errors_deep_inside_containers_say_where(kitchen: ModuleType) -> None:
    with pytest.raises(FieldError) as caught:
        kitchen.Everything(name="n", nested={"a": [[1], [2, 2**31]]})
    assert caught.value.where == "Everything.nested['a'][1][1]"  # key, list index, set index
    assert "out of range for i32" in caught.value.message


# -- constants ---------------------------------------------------------------------------
def test_constants_of_every_kind(kitchen: ModuleType) -> None:
    expected = {
        "C_BOOL": True,
        "C_BYTE": -128,
        "C_I16": 32767,
        "C_I32": -2147483648,
        "C_I64": 9223372036854775807,
        "C_DOUBLE": 2.5,
        "C_DOUBLE_INT": 3.0,
        "C_STRING": 'tab\there "quoted"',
        "C_ENUM": kitchen.Level.HIGH,
        "C_LIST": (3, 1, 2),
        "C_SET": OrderedSet(["a", "b", "c"]),
        "C_MAP": FrozenMap({"one": 1, "two": 2}),
        "C_STRUCT": kitchen.Bar(depth=5),
        "C_UNION": kitchen.Choice(label="hi"),
        "C_NESTED": FrozenMap({kitchen.Level.LOW: (kitchen.Bar(depth=1),)}),
        "C_SHAPE": kitchen.common.Shape(name="square", colour=kitchen.common.base.Colour.BLUE),
        "C_TYPEDEF": 1700000000000,
    }
    for name, value in expected.items():
        actual = getattr(kitchen, name)
        assert actual == value, name
        assert type(actual) is type(value), name
    assert type(kitchen.C_DOUBLE_INT) is float  # written as 3, declared double


def test_set_constants_are_in_a_reproducible_order(kitchen: ModuleType) -> None:
    # thriftpy2 hands set constants over as Python sets; the generator sorts them.
    assert list(kitchen.C_SET) == ["a", "b", "c"]


# -- structs, defaults, exceptions ------------------------------------------------------
def test_defaults_and_requiredness(kitchen: ModuleType) -> None:
    e = kitchen.Everything()
    assert (e.flag, e.tiny, e.small, e.medium, e.large, e.real, e.when) == (False, 0, 0, 0, 0, 0.0, 0)
    assert (e.text, e.blob, e.level, e.bar, e.shape, e.name) == (None,) * 6
    assert (e.numbers, e.tags, e.counts, e.nested) == ((), OrderedSet(), FrozenMap(), FrozenMap())
    assert (e.answer, e.preferred, e.defaultsList) == (42, kitchen.Level.HIGH, ("a", "b"))
    assert e.choice == kitchen.Choice(count=3)  # union default declared before the union itself
    assert e.defaultBar == kitchen.Bar(depth=2)
    requiredness = {spec.name: spec.requiredness for spec in kitchen.Everything._fields}
    assert (requiredness["name"], requiredness["maybe"], requiredness["flag"]) == ("required", "optional", "default")


def test_struct_defaults_are_fresh_per_object_and_none_unsets_them(kitchen: ModuleType) -> None:
    a, b = kitchen.Everything(), kitchen.Everything()
    assert a.defaultBar == b.defaultBar and a.defaultBar is not b.defaultBar
    assert kitchen.Everything(defaultBar=None, choice=None).defaultBar is None


def test_exceptions_can_be_raised_and_compared(kitchen: ModuleType) -> None:
    assert issubclass(kitchen.Oops, Exception)
    with pytest.raises(kitchen.Oops) as caught:
        raise kitchen.Oops(message="bad", code=7)
    assert caught.value == kitchen.Oops(message="bad", code=7)
    assert caught.value.code == 7
    assert "bad" in str(caught.value)
    assert kitchen.common.NoSuchShape().code == 404


# -- names -------------------------------------------------------------------------------
def test_keyword_and_reserved_field_names_get_a_trailing_underscore(kitchen: ModuleType) -> None:
    a = kitchen.Awkward(from_="x", type="t", id=1, class_=True, replace_="r", self_=kitchen.Level.LOW)
    assert (a.from_, a.type, a.id, a.class_, a.replace_, a.self_) == ("x", "t", 1, True, "r", kitchen.Level.LOW)
    names = {spec.name: spec.attr for spec in kitchen.Awkward._fields}
    assert names["from"] == "from_" and names["class"] == "class_"
    assert names["replace"] == "replace_" and names["self"] == "self_"
    assert names["type"] == "type" and names["id"] == "id"  # builtins, not keywords: kept
    assert all(not keyword.iskeyword(attr) for attr in names.values())
    # replace() is still the method, not the field
    assert a.replace(id=2).id == 2


def test_field_named_like_its_type(kitchen: ModuleType) -> None:
    a = kitchen.Awkward(Bar=kitchen.Bar(depth=3))
    assert a.Bar == kitchen.Bar(depth=3)
    assert typing.get_type_hints(kitchen.Awkward)["Bar"] == kitchen.Bar | None
    with pytest.raises(FieldError):
        kitchen.Awkward(Bar=3)


def test_fields_named_like_builtins_do_not_break_annotations(kitchen: ModuleType) -> None:
    hints = typing.get_type_hints(kitchen.Awkward)
    assert hints["str"] == str | None and hints["int"] is int
    assert hints["strs"] == tuple[str, ...]  # the builtin str, although field `str` shadows the name
    assert hints["lookup"] == FrozenMap[int, float]
    a = kitchen.Awkward(str="s", int=4, strs=["x"], lookup={1: 2})
    assert (a.str, a.int, a.strs, a.lookup) == ("s", 4, ("x",), FrozenMap({1: 2.0}))


# -- unions ------------------------------------------------------------------------------
def test_union_arms_of_every_kind(kitchen: ModuleType) -> None:
    levels = kitchen.Choice(levels=[0, 10])
    assert levels.set_field == "levels" and levels.field_value == (kitchen.Level.LOW, kitchen.Level.HIGH)
    assert levels.levels == (kitchen.Level.LOW, kitchen.Level.HIGH) and levels.count is None
    shape = kitchen.common.Shape(name="s")
    assert kitchen.Choice(shape=shape).shape is shape


# -- services ----------------------------------------------------------------------------
def test_services_are_protocols_with_typed_methods(kitchen: ModuleType) -> None:
    assert kitchen.Base in kitchen.Kitchen.__mro__ and typing.Protocol in kitchen.Kitchen.__mro__
    find = typing.get_type_hints(kitchen.Kitchen.find)
    assert find == {"name": str | None, "level": kitchen.Level | None, "return": kitchen.common.Shape}
    nested = typing.get_type_hints(kitchen.Kitchen.nestedResult)
    assert nested["return"] == FrozenMap[str, tuple[OrderedSet[int], ...]]
    assert nested["bars"] == collections.abc.Iterable[kitchen.Bar]
    assert typing.get_type_hints(kitchen.Base.nothing) == {"return": type(None)}
    assert list(inspect.signature(kitchen.Kitchen.choose).parameters) == ["self", "from_", "class_"]
    # inherited methods are not repeated on the extending service
    assert "hello" not in vars(kitchen.Kitchen) and "hello" in vars(kitchen.Base)


def test_throws_and_oneway_are_noted_beside_the_idl_doc(kitchen: ModuleType) -> None:
    # The docstring is the IDL's doc comment alone; what the signature cannot say is a comment in the method.
    assert inspect.getdoc(kitchen.Kitchen.find) == "Looks a shape up."
    find_source = inspect.getsource(kitchen.Kitchen.find)
    assert "# throws " in find_source and "NoSuchShape" in find_source and "Oops" in find_source
    assert "# oneway" in inspect.getsource(kitchen.Kitchen.fireAndForget)
    assert "# throws" not in inspect.getsource(kitchen.Kitchen.fireAndForget)

