"""A value Gson cannot write is refused with one error naming where it sits (runtime/encoding.encode_error)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from aurorakit.runtime.codec import encode
from aurorakit.runtime.containers import FrozenMap, OrderedSet
from aurorakit.runtime.errors import PayloadError
from conftest import ImportGenerated

# Map keys Gson has no string form for: containers, structs and binary.
KEYS_IDL = """\
struct Key { 1: i32 n }
struct Keyed {
  1: map<map<string, i32>, i32> byMap
  2: map<Key, i32> byStruct
  3: map<list<i32>, i32> byList
  4: map<set<i32>, i32> bySet
  5: map<binary, i32> byBinary
  6: list<map<Key, i32>> inList
}
"""


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory, import_generated: ImportGenerated) -> ModuleType:
    idl = Path(tmp_path_factory.mktemp("keys_idl")) / "keys.thrift"
    idl.write_text(KEYS_IDL, encoding="utf-8")
    return import_generated(idl, "unwritable_keys")


@pytest.mark.parametrize(("field", "key", "shown", "type_name"), [
    ("byMap", FrozenMap({"a": 1}), "FrozenMap({'a': 1})", "FrozenMap"),
    ("byList", (1, 2), "(1, 2)", "tuple"),
    ("bySet", OrderedSet([3]), "OrderedSet([3])", "OrderedSet"),
    ("byBinary", b"k", "b'k'", "bytes"),
])
def test_a_map_key_with_no_string_form_is_named(keys: ModuleType, field: str, key: object, shown: str,
                                                type_name: str) -> None:
    with pytest.raises(PayloadError) as caught:
        encode(keys.Keyed(**{field: {key: 1}}))
    assert str(caught.value) == f"{field}[{shown}]: a map key of type {type_name} has no Gson string form"


def test_a_struct_key_is_named_inside_a_list(keys: ModuleType) -> None:
    with pytest.raises(PayloadError) as caught:
        encode(keys.Keyed(byStruct={}, inList=[{}, {keys.Key(n=4): 1}]))
    assert str(caught.value) == "inList[1][Key(n=4)]: a map key of type Key has no Gson string form"
