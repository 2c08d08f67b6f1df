"""Rules of the generated values that a wrong change could break without a crash.

Union equality looks at the arm as well as the value; JSON is kept for good only
once nothing inside can change any more (else a hash computed later would not
show); integer fields and map keys take exactly Java's ranges and forms.
Expected values are worked out by hand from the payload-format note.
"""

from __future__ import annotations

import json
from types import ModuleType

import pytest
from aurorakit.generated import aurora_0_22
from aurorakit.runtime.codec import decode, encode
from aurorakit.runtime.errors import FieldError, PayloadError
from aurorakit.runtime.hashing import WRITTEN, java_hash
from aurorakit.runtime.identity import IdentityTable

IDS = IdentityTable({"Pick._Fields.BIG": 1000, "Pick._Fields.OTHER": 2000, "Pick._Fields.LEAF": 3000,
                     "Pick._Fields.FLAG": 4000})


def test_union_equality_and_hash_look_at_the_arm(edges: ModuleType) -> None:
    assert edges.Pick(big=5) == edges.Pick(big=5) and hash(edges.Pick(big=5)) == hash(edges.Pick(big=5))
    assert edges.Pick(big=5) != edges.Pick(other=5)
    assert not edges.Pick(big=5) == edges.Pick(other=5)  # noqa: SIM201 (__eq__ itself, not __ne__)
    assert len({edges.Pick(big=5), edges.Pick(other=5)}) == 2
    assert aurora_0_22.Resource(ramMb=256) != aurora_0_22.Resource(diskMb=256)
    assert edges.Pick(big=5) != edges.Pick(big=6)


def test_struct_equality_looks_at_every_field(edges: ModuleType) -> None:
    assert edges.Leaf(n=1, s="a") == edges.Leaf(n=1, s="a")
    assert edges.Leaf(n=1, s="a") != edges.Leaf(n=1, s="b") and edges.Leaf(n=1, s="a") != edges.Leaf(n=2, s="a")
    assert edges.Leaf(n=1) != edges.Pick(big=1)


def hashed_union_holding_an_unhashed_leaf(edges: ModuleType) -> object:
    return decode(edges.Pick, '{"cachedHashCode":77,"setField":"LEAF","value":{"cachedHashCode":0,"n":1}}')


def test_a_hashed_union_shows_its_value_hashed_later(edges: ModuleType) -> None:
    pick = hashed_union_holding_an_unhashed_leaf(edges)
    assert encode(pick) == '{"cachedHashCode":77,"setField":"LEAF","value":{"cachedHashCode":0,"n":1}}'
    # Leaf(n=1): h = 31 * (31 * 1 + 1) + 0 (s is null) = 992
    assert java_hash(pick.leaf, IDS) == 992  # type: ignore[attr-defined]
    assert encode(pick) == '{"cachedHashCode":77,"setField":"LEAF","value":{"cachedHashCode":992,"n":1}}'


def test_an_unhashed_union_shows_its_hash_computed_later(edges: ModuleType) -> None:
    pick = edges.Pick(big=5)
    assert encode(pick) == '{"cachedHashCode":0,"setField":"BIG","value":5}'
    # Objects.hash(setField, value) = 31 * (31 + 1000) + Long.hashCode(5) = 31966
    assert java_hash(pick, IDS) == 31966
    assert encode(pick) == '{"cachedHashCode":31966,"setField":"BIG","value":5}'


@pytest.mark.parametrize("member", ["leaves", "named"])
def test_a_hashed_struct_shows_structs_in_its_containers_hashed_later(edges: ModuleType, member: str) -> None:
    value = '[{"cachedHashCode":0,"n":1}]' if member == "leaves" else '{"x":{"cachedHashCode":0,"n":1}}'
    other = '"named":{}' if member == "leaves" else '"leaves":[]'
    text = '{"cachedHashCode":5,' + (f'"leaves":{value},{other}' if member == "leaves" else f'{other},"named":{value}') + "}"
    leaves = decode(edges.Leaves, text)
    assert encode(leaves) == text
    inner = leaves.leaves[0] if member == "leaves" else leaves.named["x"]
    assert java_hash(inner, IDS) == 992
    assert encode(leaves) == text.replace('"cachedHashCode":0', '"cachedHashCode":992')


def test_json_of_a_hashed_union_of_plain_values_is_kept(edges: ModuleType) -> None:
    pick = decode(edges.Pick, '{"cachedHashCode":9,"setField":"BIG","value":5}')
    encode(pick)
    assert pick._json is WRITTEN  # written once: no text kept yet
    encode(pick)
    assert pick._json == '{"cachedHashCode":9,"setField":"BIG","value":5}'  # kept as final, not per epoch


@pytest.mark.parametrize("field, low, high", [("b", -128, 127), ("s", -32768, 32767)])
def test_integer_fields_take_exactly_java_s_range(edges: ModuleType, field: str, low: int, high: int) -> None:
    for good in (low, high, 0):
        assert getattr(edges.Edges(**{field: good}), field) == good
        assert getattr(decode(edges.Edges, edges_with(field, good)), field) == good
    for bad in (low - 1, high + 1):
        with pytest.raises(FieldError, match=rf"{bad} is out of range"):
            edges.Edges(**{field: bad})
        with pytest.raises(PayloadError):
            decode(edges.Edges, edges_with(field, bad))


def test_i32_and_i64_fields_take_exactly_java_s_range(kitchen: ModuleType) -> None:
    for field, bits in (("medium", 32), ("large", 64)):
        low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        assert getattr(kitchen.Everything(name="n", **{field: low}), field) == low
        assert getattr(kitchen.Everything(name="n", **{field: high}), field) == high
        for bad in (low - 1, high + 1):
            with pytest.raises(FieldError):
                kitchen.Everything(name="n", **{field: bad})


# What Gson writes for an Edges with every field unset (section 2 of the note: pick, a union, left out).
EMPTY_EDGES = ('{"cachedHashCode":0,"b":0,"s":0,"t":false,"byByte":{},"byShort":{},"byLong":{},"byBool":{},'
               '"byDouble":{},"byMood":{},"flags":[],"flagSet":[],"flagLists":{},"picks":[],"tinies":[],"smalls":[]}')


def edges_with(member: str, tree: object) -> str:
    members = dict(json.loads(EMPTY_EDGES))
    if member == "pick":  # the one member left out, written in its place
        at = list(members).index("picks")
        members = dict([*list(members.items())[:at], ("pick", tree), *list(members.items())[at:]])
    return json.dumps({**members, member: tree}, separators=(",", ":"))


def test_an_empty_struct_reads_and_writes_as_gson_writes_it(edges: ModuleType) -> None:
    assert encode(edges.Edges()) == EMPTY_EDGES and decode(edges.Edges, EMPTY_EDGES) == edges.Edges()


@pytest.mark.parametrize("member, key, value", [
    ("byByte", "-128", -128), ("byByte", "127", 127), ("byShort", "-32768", -32768), ("byShort", "32767", 32767),
    ("byLong", "-9223372036854775808", -(1 << 63)), ("byBool", "true", True), ("byBool", "false", False),
    ("byDouble", "1.5", 1.5), ("byDouble", "1.0E7", 1e7), ("byDouble", "-0.0", -0.0), ("byMood", "SAD", "SAD"),
])
def test_map_keys_in_java_s_form_are_read(edges: ModuleType, member: str, key: str, value: object) -> None:
    inner = {"cachedHashCode": 0, "n": 1} if member == "byMood" else ("x" if member in ("byByte", "byBool") else
                                                                     (True if member == "byLong" else 1))
    read = getattr(decode(edges.Edges, edges_with(member, {key: inner})), member)
    (got,) = read.keys()
    assert (got.name if member == "byMood" else got) == value and type(got) is not str or member == "byMood"
    assert encode(decode(edges.Edges, edges_with(member, {key: inner}))).count(f'"{key}":') == 1


@pytest.mark.parametrize("member, key", [
    ("byByte", "128"), ("byByte", "-129"), ("byByte", "01"), ("byByte", "+1"), ("byByte", " 1"), ("byByte", "1.0"),
    ("byShort", "32768"), ("byShort", "-32769"), ("byShort", "-0"), ("byShort", "1_0"), ("byShort", "١"),
    ("byLong", "9223372036854775808"), ("byLong", "0x10"),
    ("byBool", "True"), ("byBool", "1"), ("byBool", "TRUE"),
    ("byDouble", "1.50"), ("byDouble", "1e7"), ("byDouble", "10000000.0"), ("byDouble", "NaN"),
    ("byDouble", "Infinity"), ("byDouble", "1"), ("byMood", "sad"), ("byMood", "5"),
])
def test_map_keys_not_in_java_s_form_are_refused(edges: ModuleType, member: str, key: str) -> None:
    inner = {"cachedHashCode": 0, "n": 1} if member == "byMood" else ("x" if member in ("byByte", "byBool") else
                                                                     (True if member == "byLong" else 1))
    with pytest.raises(PayloadError) as refused:
        decode(edges.Edges, edges_with(member, {key: inner}))
    assert str(refused.value).startswith(f"{member}[")  # names the place


def test_a_hashed_struct_shows_a_union_member_hashed_later(edges: ModuleType) -> None:
    text = edges_with("pick", {"cachedHashCode": 0, "setField": "BIG", "value": 5}).replace(
        '"cachedHashCode":0,"b"', '"cachedHashCode":3,"b"')
    struct = decode(edges.Edges, text)
    assert encode(struct) == text
    assert java_hash(struct.pick, IDS) == 31966  # as in test_an_unhashed_union_shows_its_hash_computed_later
    assert encode(struct) == text.replace('"cachedHashCode":0,"setField"', '"cachedHashCode":31966,"setField"')


def test_an_unhashed_copy_clears_every_hash_inside(edges: ModuleType) -> None:
    from aurorakit.runtime.unhashed import unhashed_copy
    pick = decode(edges.Pick, '{"cachedHashCode":77,"setField":"LEAF","value":{"cachedHashCode":992,"n":1}}')
    copy = unhashed_copy(pick)  # the current identity table: nothing here needs it
    assert copy == pick and copy is not pick and copy.leaf is not pick.leaf
    assert encode(copy) == '{"cachedHashCode":0,"setField":"LEAF","value":{"cachedHashCode":0,"n":1}}'
    assert encode(pick) == '{"cachedHashCode":77,"setField":"LEAF","value":{"cachedHashCode":992,"n":1}}'
    text = '{"cachedHashCode":5,"leaves":[{"cachedHashCode":992,"n":1}],"named":{"x":{"cachedHashCode":992,"n":1}}}'
    leaves = unhashed_copy(decode(edges.Leaves, text), IDS)
    assert encode(leaves) == text.replace("5", "0").replace("992", "0")


@pytest.mark.parametrize("make, message", [
    (lambda e: e.Edges(b=1, picks=[e.Pick(big=1), e.Pick(real=float("inf"))]),
     "picks[1].value: inf has no JSON form: Gson refuses NaN and infinite doubles"),
    (lambda e: e.Edges(s=3, byDouble={1.0: 2, float("nan"): 1}),
     "byDouble[nan]: nan has no JSON form: Gson refuses NaN and infinite doubles"),
    (lambda e: e.Edges(pick=e.Pick(flags=[True]), byMood={e.Mood.OK: e.Leaf(n=1)}, picks=[e.Pick(real=float("-inf"))]),
     "picks[0].value: -inf has no JSON form: Gson refuses NaN and infinite doubles"),
])
def test_a_value_gson_cannot_write_is_named_by_its_place(edges: ModuleType, make: object, message: str) -> None:
    with pytest.raises(PayloadError) as refused:
        encode(make(edges))  # type: ignore[operator]
    assert str(refused.value) == message


@pytest.mark.parametrize("jhash", [-2147483648, 2147483647, -1, 1])
def test_cached_hash_codes_take_every_java_int(edges: ModuleType, jhash: int) -> None:
    leaf = f'{{"cachedHashCode":{jhash},"n":1}}'
    pick = f'{{"cachedHashCode":{jhash},"setField":"BIG","value":1}}'
    assert encode(decode(edges.Leaf, leaf)) == leaf and encode(decode(edges.Pick, pick)) == pick


@pytest.mark.parametrize("jhash", ["-2147483649", "2147483648", "1.0", '"1"', "true", "null"])
def test_cached_hash_codes_beyond_a_java_int_are_refused(edges: ModuleType, jhash: str) -> None:
    for cls, text in ((edges.Leaf, f'{{"cachedHashCode":{jhash},"n":1}}'),
                      (edges.Pick, f'{{"cachedHashCode":{jhash},"setField":"BIG","value":1}}')):
        with pytest.raises(PayloadError) as refused:
            decode(cls, text)
        assert "cachedHashCode" in str(refused.value)


@pytest.mark.parametrize("key", ["-2147483648", "2147483647", "-1", "0"])
def test_i32_map_keys_take_every_java_int(kitchen: ModuleType, key: str) -> None:
    tree = json.loads(encode(kitchen.Awkward()))  # the input's other members; the key is what is checked
    tree["lookup"] = {key: 1.5}
    read = decode(kitchen.Awkward, json.dumps(tree, separators=(",", ":")))
    assert dict(read.lookup) == {int(key): 1.5}


@pytest.mark.parametrize("key", ["-2147483649", "2147483648"])
def test_i32_map_keys_beyond_a_java_int_are_refused(kitchen: ModuleType, key: str) -> None:
    tree = json.loads(encode(kitchen.Awkward()))
    tree["lookup"] = {key: 1.5}
    with pytest.raises(PayloadError, match=rf"^lookup\[\"{key}\"\]: {key} is out of range for i32"):
        decode(kitchen.Awkward, json.dumps(tree, separators=(",", ":")))
