"""The one walk over an object's fields (runtime/fields.py), and what is built on it."""

from __future__ import annotations

import pickle
from types import ModuleType

import pytest
from aurorakit.runtime.aurora.verify import walk
from aurorakit.runtime.codec import encode
from aurorakit.runtime.errors import PayloadError
from aurorakit.runtime.fields import arm_by_id, arm_names, arm_spec, field_values, gson_member, spec_by_attr


def test_a_struct_yields_every_field_in_declaration_order_unset_ones_as_none(kitchen: ModuleType) -> None:
    awkward = kitchen.Awkward(type="t", id=7, Bar=kitchen.Bar(depth=2))
    pairs = [(spec.name, value) for spec, value in field_values(awkward)]
    assert pairs[:7] == [("from", None), ("type", "t"), ("id", 7), ("class", False),
                         ("Bar", kitchen.Bar(depth=2)), ("str", None), ("int", 0)]
    assert [name for name, _ in pairs] == ["from", "type", "id", "class", "Bar", "str", "int", "strs", "lookup",
                                           "replace", "self"]
    assert all(gson_member(awkward, spec) == spec.name for spec, _ in field_values(awkward))


def test_a_union_yields_its_set_arm_only(kitchen: ModuleType) -> None:
    for arm, value in (("count", 0), ("label", "x"), ("bar", kitchen.Bar(depth=1))):
        choice = kitchen.Choice(**{arm: value})
        (spec, found), = field_values(choice)
        assert (spec.name, found) == (arm, value)
        assert arm_spec(kitchen.Choice, arm) is spec
        assert gson_member(choice, spec) == "value"  # Gson writes the arm as {"setField":..,"value":..}


def test_walks_built_on_it_see_the_set_arm_of_a_union(kitchen: ModuleType) -> None:
    choice = kitchen.Choice(bar=kitchen.Bar(depth=4))
    assert repr(choice) == "Choice(bar=Bar(depth=4))"
    assert pickle.loads(pickle.dumps(choice)) == choice
    assert [path for path, _ in walk(choice, "c")] == ["c", "c.value"]
    assert [path for path, _ in walk(kitchen.Awkward(Bar=kitchen.Bar(depth=1)), "a")] == ["a", "a.Bar"]


def test_an_encode_error_names_the_member_gson_writes() -> None:
    from aurorakit.generated import aurora_0_22 as api
    for obj, path in ((api.Resource(numCpus=float("nan")), "value"),
                      (api.TaskConfig(resources=[api.Resource(ramMb=1), api.Resource(numCpus=float("inf"))]),
                       "resources[1].value")):
        with pytest.raises(PayloadError) as caught:
            encode(obj)
        assert caught.value.path == path


def test_lookups_by_id_by_attribute_and_every_arm_name(kitchen: ModuleType) -> None:
    assert arm_by_id(kitchen.Choice, 3).name == "bar"
    assert arm_by_id(kitchen.Choice, 99) is None
    assert spec_by_attr(kitchen.Awkward, "from_").name == "from"  # the escaped keyword finds the IDL field
    assert arm_names(kitchen.Choice) == ("count", "label", "bar", "levels", "shape")
