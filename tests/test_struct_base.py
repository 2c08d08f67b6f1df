"""What every generated class inherits (runtime/struct.py), on classes with no, one and two fields."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path
from types import ModuleType

import pytest
from aurorakit.runtime.errors import FieldError
from aurorakit.runtime.struct import ThriftException
from conftest import ImportGenerated

SMALL_IDL = """\
struct Nothing {}
struct One { 1: i32 n }
struct Two { 1: i32 n  2: string s }
exception Bad { 1: string why }
union Either { 1: i32 left  2: string right }
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, import_generated: ImportGenerated) -> ModuleType:
    idl = Path(tmp_path_factory.mktemp("small_idl")) / "small.thrift"
    idl.write_text(SMALL_IDL, encoding="utf-8")
    return import_generated(idl, "struct_base_small")


def test_a_struct_without_fields_equals_its_kind_only(small: ModuleType) -> None:
    assert small.Nothing() == small.Nothing()
    assert hash(small.Nothing()) == hash(small.Nothing())
    assert small.Nothing() != small.One(n=0)
    assert repr(small.Nothing()) == "Nothing()"
    assert small.Nothing().to_gson() == '{"cachedHashCode":0}'


def test_one_and_two_field_structs_compare_by_every_field(small: ModuleType) -> None:
    assert small.One(n=1) == small.One(n=1)
    assert small.One(n=1) != small.One(n=2)
    assert {small.One(n=1), small.One(n=1), small.One(n=2)} == {small.One(n=1), small.One(n=2)}
    assert small.Two(n=1, s="a") != small.Two(n=1, s="b")
    assert small.Two(n=1, s="a") == small.Two(n=1, s="a")


def test_replace_gives_a_changed_copy_and_refuses_unknown_fields(small: ModuleType) -> None:
    two = small.Two(n=1, s="a")
    assert two.replace(s="b") == small.Two(n=1, s="b")
    assert two == small.Two(n=1, s="a")  # the original is unchanged
    with pytest.raises(TypeError, match="Two has no field colour, size"):
        two.replace(size=1, colour="red")
    assert small.Either(left=1).replace(right="r") == small.Either(right="r")


def test_values_are_immutable_and_copies_are_themselves(small: ModuleType) -> None:
    two = small.Two(n=1, s="a")
    with pytest.raises(AttributeError, match=r"use \.replace\(n=\.\.\.\)"):
        two.n = 2
    with pytest.raises(AttributeError, match="Two is immutable"):
        del two.n
    assert copy.copy(two) is two and copy.deepcopy(two) is two
    assert pickle.loads(pickle.dumps(two)) == two


def test_an_exception_prints_as_its_repr_and_takes_notes(small: ModuleType) -> None:
    bad = small.Bad(why="no disk")
    assert isinstance(bad, ThriftException)
    assert str(bad) == repr(bad) == "Bad(why='no disk')"
    bad.add_note("while writing")  # Python sets __notes__ on the exception
    assert bad.__notes__ == ["while writing"]
    with pytest.raises(AttributeError):
        bad.why = "other"
    with pytest.raises(small.Bad) as caught:
        raise small.Bad(why="x")
    assert caught.value == small.Bad(why="x") and hash(caught.value) == hash(small.Bad(why="x"))


def test_a_union_compares_arm_and_value(small: ModuleType) -> None:
    assert small.Either(left=1) == small.Either(left=1)
    assert small.Either(left=1) != small.Either(left=2)
    assert small.Either(left=1) != small.Either(right="1")
    assert hash(small.Either(left=1)) == hash(small.Either(left=1))
    assert repr(small.Either(right="r")) == "Either(right='r')"
    with pytest.raises(FieldError, match="a union holds exactly one arm; got left, right"):
        small.Either(left=1, right="r")
    with pytest.raises(FieldError, match="a union holds exactly one arm; got none"):
        small.Either()
