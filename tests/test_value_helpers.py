"""Small value helpers the generated code and the decoder lean on, each with a case that breaks it.

Found by the mutation pass (tests/mutation/run.py): each of these survived it.
"""

from __future__ import annotations

import pytest
from aurorakit.generated import aurora_0_22 as api
from aurorakit.runtime.codec import encode
from aurorakit.runtime.containers import FrozenMap
from aurorakit.runtime.encoding import frozen
from aurorakit.runtime.errors import PayloadError
from aurorakit.runtime.interning import OWN_TREE, fully_hashed, own_tree
from aurorakit.runtime.member_shapes import ANY_ORDER, Shape, member_order


def test_a_frozen_map_equals_a_plain_mapping_with_the_same_items() -> None:
    assert FrozenMap({"a": 1}) == {"a": 1}
    assert FrozenMap({"a": 1}) != {"a": 2}
    assert FrozenMap({"a": 1}) == FrozenMap({"a": 1})


def test_frozen_once_every_object_inside_has_its_json_for_good() -> None:
    job = api.JobKey.from_gson('{"cachedHashCode":803049425,"role":"vagrant","environment":"test",'
                               '"name":"http_example"}')
    encode(job)
    assert frozen(job) is False  # written once: no text kept yet (hashing.WRITTEN)
    encode(job)  # hashed as read, written again: its JSON is kept for good
    assert frozen(job) is True
    assert frozen((job, "x", 3)) is True
    assert frozen(FrozenMap({"k": job})) is True
    fresh = api.JobKey(role="r", environment="e", name="n")  # no cachedHashCode: may still be hashed later
    encode(fresh)
    assert frozen(fresh) is False
    assert frozen((job, fresh)) is False
    assert frozen(FrozenMap({"k": fresh})) is False


def test_fully_hashed_looks_inside() -> None:
    owner = '{"cachedHashCode":226895216,"user":"vagrant"}'
    job = '{"cachedHashCode":803049425,"role":"vagrant","environment":"test","name":"http_example"}'
    hashed = api.TaskConfig.from_gson(
        '{"cachedHashCode":5,"job":' + job + ',"owner":' + owner + ',"isService":true,"priority":0,'
        '"maxTaskFailures":1,"production":false,"resources":[],"constraints":[],"mesosFetcherUris":[],'
        '"taskLinks":{},"metadata":[]}', strict=False)
    assert fully_hashed(hashed) is True
    unhashed_inside = hashed.replace(owner=api.Identity(user="vagrant"))
    assert unhashed_inside is not hashed and unhashed_inside.owner == api.Identity(user="vagrant")
    assert fully_hashed(unhashed_inside) is False
    assert fully_hashed(api.JobKey(role="r", environment="e", name="n")) is False


def test_decode_modes_hold_only_within_their_block() -> None:
    for block, mode in ((own_tree, OWN_TREE), (lambda on: member_order(not on), ANY_ORDER)):
        assert mode.get() is False
        with block(True):
            assert mode.get() is True
            with block(False):
                assert mode.get() is False
            with block(True):
                assert mode.get() is True
            assert mode.get() is True
        assert mode.get() is False


def test_a_lenient_decode_leaves_the_next_direct_decode_strict() -> None:
    text = '{"cachedHashCode":0,"user":"vagrant"}'
    swapped = {"user": "vagrant", "cachedHashCode": 0}
    assert api.Identity.from_gson(text, strict=False) == api.Identity(user="vagrant")
    with pytest.raises(PayloadError, match="out of Gson's order"):
        api.Identity._gson_decode(swapped)


def test_a_shape_remembers_a_bounded_number_of_member_sequences() -> None:
    names = tuple(f"f{i}" for i in range(11))
    shape = Shape("Wide", names, ())
    for mask in range(1, 1 << 11):  # 2047 distinct valid sequences of optional members
        shape.check({name: 1 for i, name in enumerate(names) if mask >> i & 1})
        assert len(shape.valid) <= Shape.LIMIT
    assert shape.valid  # the latest ones are kept
