"""Helpers the generated ``gson.py`` modules call: the parts shared by all types.

The generated code handles the common case inline (a string that is a
``str``, an int in range); these functions handle the rest, mostly by
raising a :class:`PayloadError` that says what was expected. Paths are
added by the callers as the error travels up (``PayloadError.within``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from contextvars import ContextVar, Token
from typing import Any, Generic, TypeVar

import orjson

from .containers import FrozenMap, OrderedSet
from .errors import PayloadError, describe
from .fields import field_values, gson_member
from .gson import gson_bool, gson_double, gson_string
from .hashing import WRITTEN as WRITTEN  # the generated encoders read it as _cs.WRITTEN
from .java import bool_hash, double_hash, int_hash, long_hash, string_hash
from .scalars import INTEGERS
from .struct import ThriftStruct

T = TypeVar("T")

UNION_KEYS = frozenset(("cachedHashCode", "setField", "value"))
UNION_ORDER = ("cachedHashCode", "setField", "value")
NULL = "null, which Gson never writes (it leaves unset fields out)"

# Whether members must come in Gson's order (the default). Read only when an
# object's members are not a shape already seen, so the common case pays nothing;
# a ContextVar so that concurrent decodes (receiver threads) do not mix modes.
_ANY_ORDER: ContextVar[bool] = ContextVar("aurorakit_any_member_order", default=False)


# Whether the tree being decoded was parsed by aurorakit itself (nobody else holds
# it): only then may Interned keep a parsed value to compare with later.
_OWN_TREE: ContextVar[bool] = ContextVar("aurorakit_own_tree", default=False)


class own_tree:
    """Within this block, the trees decoded are (or are not) aurorakit's own parse."""

    __slots__ = ("own", "token")

    def __init__(self, own: bool) -> None:
        self.own = own
        self.token: Token[bool] | None = None

    def __enter__(self) -> None:
        if _OWN_TREE.get() is not self.own:
            self.token = _OWN_TREE.set(self.own)

    def __exit__(self, *exc: object) -> None:
        if self.token is not None:
            _OWN_TREE.reset(self.token)


class member_order:
    """Within this block, decoding refuses members out of Gson's order unless ``strict`` is False.

    A class rather than a generator: it wraps every decode, and does nothing
    when the mode asked for is already the current one.
    """

    __slots__ = ("any_order", "token")

    def __init__(self, strict: bool) -> None:
        self.any_order = not strict
        self.token: Token[bool] | None = None

    def __enter__(self) -> None:
        if _ANY_ORDER.get() is not self.any_order:
            self.token = _ANY_ORDER.set(self.any_order)

    def __exit__(self, *exc: object) -> None:
        if self.token is not None:
            _ANY_ORDER.reset(self.token)


def expected(what: str, value: Any) -> PayloadError:
    if value is None:
        return PayloadError(f"expected {what}, got {NULL}")
    return PayloadError(f"expected {what}, got {describe(value)}")


def unknown_field(d: dict[str, Any], known: frozenset[str], type_name: str) -> PayloadError:
    name = next(k for k in d if k not in known)
    return PayloadError(f"unknown field of {type_name}", name)


class Shape:
    """The members Gson writes for one struct: all of them known, the ones it always
    writes present, and every one in declaration order.

    ``valid`` holds the member sequences (``tuple(d)``) already found valid in
    Gson's order, so that a decoder checks a known sequence with one set lookup.
    """

    __slots__ = ("always", "known", "order", "type_name", "valid")
    LIMIT = 1024  # distinct sequences kept (2^optional fields are possible)

    def __init__(self, type_name: str, order: tuple[str, ...], always: tuple[str, ...]) -> None:
        self.type_name = type_name
        self.order = {name: i for i, name in enumerate(order)}
        self.always = always
        self.known = frozenset(order)
        self.valid: set[tuple[str, ...]] = set()

    def check(self, d: dict[str, Any]) -> None:
        """Raise the PayloadError of the first member that is unknown, missing or out of order."""
        if not d.keys() <= self.known:
            raise unknown_field(d, self.known, self.type_name)
        for name in self.always:
            if name not in d:
                raise PayloadError(f"missing member of {self.type_name} (Gson always writes it)", name)
        keys = tuple(d)
        order = self.order
        for before, after in zip(keys, keys[1:]):
            if order[before] > order[after]:
                if _ANY_ORDER.get():
                    return
                raise PayloadError(f"member of {self.type_name} out of Gson's order: it comes after {before!r}, "
                                   "Gson writes it before (strict=False or --any-order accepts any order)", after)
        if len(self.valid) >= self.LIMIT:
            self.valid.clear()
        self.valid.add(keys)


def union_shape(d: dict[str, Any], union: str) -> None:
    """Raise why a union's members are not ``cachedHashCode``, ``setField``, ``value`` in that order."""
    if not d.keys() <= UNION_KEYS:
        raise unknown_field(d, UNION_KEYS, union)
    if "cachedHashCode" not in d:
        raise PayloadError(f"missing member of union {union} (Gson always writes it)", "cachedHashCode")
    if "setField" not in d:
        raise PayloadError(f"missing setField of union {union}", "setField")
    if "value" not in d:
        set_field = d["setField"]
        raise PayloadError(f"missing value of union {union} (setField {set_field})", "value")
    if not _ANY_ORDER.get():
        keys = tuple(d)
        raise PayloadError(f"members of union {union} out of Gson's order: {', '.join(keys)} "
                           "(Gson writes cachedHashCode, setField, value; "
                           "strict=False or --any-order accepts any order)",
                           keys[0] if keys[0] != "cachedHashCode" else keys[1])


def cached_hash(value: Any) -> int:
    """The slow path of reading ``cachedHashCode``: anything but an int in range is an error."""
    if value.__class__ is int:
        raise PayloadError(f"{value} is out of range for cachedHashCode (an int)", "cachedHashCode")
    if value.__class__ is HugeNumber:
        raise PayloadError(f"{value!r} is out of range for cachedHashCode (an int)", "cachedHashCode")
    raise expected("an int (cachedHashCode)", value).within("cachedHashCode")


class HugeNumber:
    """An integer written with more digits than any Thrift number has (Python refuses
    to read integers of over 4,300 digits, and none would fit): kept as text so the
    decoder can name the field it is in."""

    __slots__ = ("text",)
    DIGITS = 400  # more than a double's largest integer (309 digits)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"{self.text[:12]}...({len(self.text)} digits)"


def json_int(text: str) -> int | HugeNumber:
    """``int(text)`` for the standard library's JSON parser, huge integers kept as HugeNumber."""
    return int(text) if len(text) <= HugeNumber.DIGITS else HugeNumber(text)


# -- scalars: the slow path of the inline checks ---------------------------------
def _integer(kind: str, value: Any) -> int:
    facts = INTEGERS[kind]
    if value.__class__ is int:
        if facts.low <= value <= facts.high:
            return value  # type: ignore[no-any-return,unused-ignore]
        raise PayloadError(f"{value} is out of range for {kind}")
    if value.__class__ is HugeNumber:
        raise PayloadError(f"{value!r} is out of range for {kind}")
    raise expected(kind, value)


def _integer_reader(kind: str) -> Callable[[Any], int]:
    """The reader of a JSON value as ``kind``: an int in range passes at once, the rest is _integer's."""
    low, high = INTEGERS[kind].low, INTEGERS[kind].high

    def read(value: Any) -> int:
        if value.__class__ is int and low <= value <= high:
            return value  # type: ignore[no-any-return,unused-ignore]
        return _integer(kind, value)

    read.__name__ = read.__qualname__ = f"{kind}_value"
    return read


byte_value = _integer_reader("byte")
i16_value = _integer_reader("i16")
i32_value = _integer_reader("i32")
i64_value = _integer_reader("i64")


# Below 2^63 in magnitude, Java's Double.toString text always reads back as the
# same double; above it, a few texts (a decimal midway between two doubles)
# read back as the neighbour. Such doubles are read again from their text.
LOSSLESS_DOUBLE = 9.223372036854776e18  # 2^63


class ExactDouble(float):
    """A double read from its JSON text with Java's meaning (see :func:`java_double`)."""


class NeedsExactText(Exception):
    """A large double was parsed without its text; the decoder must read the text again."""


def java_double(text: str) -> float:
    """The double Java wrote as ``text``: the one whose ``Double.toString`` is ``text``.

    ``float(text)`` gives the nearest double, which is that one except where
    Java wrote a decimal lying midway between two doubles; then it is the
    neighbour whose Java text matches. Large values come back as ExactDouble.
    """
    value = float(text)
    if not -LOSSLESS_DOUBLE < value < LOSSLESS_DOUBLE and math.isfinite(value):
        if gson_double(value) != text:
            for neighbour in (math.nextafter(value, -math.inf), math.nextafter(value, math.inf)):
                if math.isfinite(neighbour) and gson_double(neighbour) == text:  # past the largest: inf
                    return ExactDouble(neighbour)
        return ExactDouble(value)
    return value


def double_value(value: Any) -> float:
    if value.__class__ is float and -LOSSLESS_DOUBLE < value < LOSSLESS_DOUBLE:
        return value  # type: ignore[no-any-return,unused-ignore]
    if value.__class__ is ExactDouble:
        return float(value)
    if value.__class__ is float:
        if math.isfinite(value):
            raise NeedsExactText()
        raise PayloadError(f"{value} is not a finite double (Gson writes no NaN or infinity)")
    if value.__class__ is int:
        as_float = float(value) if abs(value) < 1 << 1024 else math.inf
        if math.isfinite(as_float) and int(as_float) == value:
            return as_float
        raise PayloadError(f"{value} is out of range for double or not exactly representable")
    if value.__class__ is HugeNumber:
        raise PayloadError(f"{value!r} is out of range for double")
    raise expected("double", value)


def bool_value(value: Any) -> bool:
    if value.__class__ is bool:
        return value  # type: ignore[no-any-return,unused-ignore]
    raise expected("bool", value)


def string_value(value: Any) -> str:
    if value.__class__ is str:
        return value  # type: ignore[no-any-return,unused-ignore]
    raise expected("string", value)


def binary_value(value: Any) -> bytes:
    raise PayloadError("binary fields have no Gson form in Aurora payloads")


def bad_enum(value: Any, enum_name: str) -> PayloadError:
    """Why ``value`` is not a name of the enum (None: an explicit null)."""
    if value.__class__ is str:
        return PayloadError(f"{describe(value)} is not a value of enum {enum_name}")
    return expected(f"a {enum_name} name", value)


def enum_value(by_name: Mapping[str, Any], value: Any, enum_name: str) -> Any:
    if value.__class__ is str:
        member = by_name.get(value)
        if member is not None:
            return member
        raise PayloadError(f"{describe(value)} is not a value of enum {enum_name}")
    raise expected(f"a {enum_name} name", value)


# -- map keys: Gson writes String.valueOf(key) -------------------------------------
def _int_key_value(kind: str, key: str) -> int:
    try:
        value = int(key)
    except ValueError:
        raise PayloadError(f"map key {describe(key)} is not a {kind}") from None
    if str(value) != key:
        raise PayloadError(f"map key {describe(key)} is not written as Java writes a {kind}")
    return _integer(kind, value)


def byte_key_value(key: str) -> int:
    return _int_key_value("byte", key)


def i16_key_value(key: str) -> int:
    return _int_key_value("i16", key)


def i32_key_value(key: str) -> int:
    return _int_key_value("i32", key)


def i64_key_value(key: str) -> int:
    return _int_key_value("i64", key)


def bool_key_value(key: str) -> bool:
    if key in ("true", "false"):
        return key == "true"
    raise PayloadError(f"map key {describe(key)} is not a bool")


def double_key_value(key: str) -> float:
    try:
        value = float(key)
    except ValueError:
        raise PayloadError(f"map key {describe(key)} is not a double") from None
    if not math.isfinite(value) or gson_double(value) != key:
        raise PayloadError(f"map key {describe(key)} is not written as Java writes a double")
    return value


def unreadable_key(key: str) -> Any:
    raise PayloadError("map keys of this type have no Gson string form that can be read back")


def int_key(value: int) -> str:
    return f'"{value}"'


def bool_key(value: bool) -> str:
    return '"true"' if value else '"false"'


def double_key(value: float) -> str:
    return gson_string(gson_double(value))


def unwritable_key(value: Any) -> str:
    raise PayloadError(f"a map key of type {type(value).__name__} has no Gson string form")


def enc_binary(value: bytes) -> str:
    raise PayloadError("binary fields have no Gson form in Aurora payloads")


enc_bool = gson_bool  # what generated encoders call: the one tested as gson_bool


# -- containers ------------------------------------------------------------------
def decode_list(value: Any, decode: Callable[[Any], Any]) -> tuple[Any, ...]:
    """A JSON array read element by element."""
    if value.__class__ is not list:
        raise expected("an array", value)
    try:
        return tuple(map(decode, value))
    except PayloadError as err:
        raise locate(err, value, decode) from None


def decode_set(value: Any, decode: Callable[[Any], Any]) -> OrderedSet[Any]:
    return unique_set(decode_list(value, decode))


def unique_set(items: tuple[Any, ...]) -> OrderedSet[Any]:
    """The OrderedSet of decoded elements; a set written with two equal elements is an error."""
    made = OrderedSet.from_unique(items)
    if len(made._members) != len(items):
        seen: set[Any] = set()
        for i, item in enumerate(items):
            if item in seen:
                raise PayloadError("duplicate element in a set", f"[{i}]")
            seen.add(item)
    return made


def decode_map(value: Any, decode_key: Callable[[str], Any], decode_value: Callable[[Any], Any]) -> FrozenMap[Any, Any]:
    """A JSON object read as a map: keys from their string form, values element by element."""
    if value.__class__ is not dict:
        raise expected("an object (map)", value)
    try:
        if decode_key is string_value:  # JSON keys are strings already
            out = {key: decode_value(item) for key, item in value.items()}
        else:
            out = {decode_key(key): decode_value(item) for key, item in value.items()}
    except PayloadError:
        for key, item in value.items():
            try:
                decode_key(key)
                decode_value(item)
            except PayloadError as err:
                raise err.within(f"[{gson_string(key)}]") from None
        raise
    if len(out) != len(value):
        raise PayloadError("two keys of this map read as the same key")
    return FrozenMap.wrap(out)


def locate(err: PayloadError, items: list[Any], decode: Callable[[Any], Any]) -> PayloadError:
    """The error of the first element that fails, addressed by its index."""
    for i, item in enumerate(items):
        try:
            decode(item)
        except PayloadError as found:
            return found.within(f"[{i}]")
    return err


def bad_union(set_field: Any, value: Any, setfields: Mapping[str, Any], union: str) -> PayloadError:
    """Why a union could not be read: its setField is null or unknown, or its value is null."""
    if set_field is None:
        return PayloadError(f"setField of union {union} is {NULL}", "setField")
    if set_field.__class__ is not str or set_field not in setfields:
        return PayloadError(f"unknown setField {describe(set_field)} of union {union}", "setField")
    return PayloadError(f"value of union {union} (setField {set_field}) is {NULL}", "value")


# -- encoding ----------------------------------------------------------------------
def encode_error(err: Exception, obj: Any) -> PayloadError:
    """Why ``obj`` cannot be written, addressed to the field (and element) at fault.

    Encoders write a whole object in one expression; only when that fails is
    each field tried on its own, here, to find which one.
    """
    for spec, value in field_values(obj):
        try:
            _try_encode(value, spec.type)
        except PayloadError as found:
            return found.within(gson_member(obj, spec))
    return err if isinstance(err, PayloadError) else PayloadError(str(err))


def _try_encode(value: Any, spec: Any) -> None:
    if value is None:
        return
    kind = spec.kind
    try:
        if kind == "struct":
            type(value)._gson_encode(value)
        elif kind == "double":
            gson_double(value)
        elif kind == "binary":
            enc_binary(value)
    except ValueError as err:
        raise (err if isinstance(err, PayloadError) else PayloadError(str(err))) from None
    if kind in ("list", "set"):
        for i, item in enumerate(value):
            try:
                _try_encode(item, spec.elem)
            except PayloadError as err:
                raise err.within(f"[{i}]") from None
    elif kind == "map":
        for key, item in value.items():
            try:
                if spec.key.kind in ("struct", "binary", "list", "set", "map"):
                    unwritable_key(key)
                _try_encode(key, spec.key)
                _try_encode(item, spec.value)
            except PayloadError as err:
                raise err.within(f"[{key!r}]") from None


def frozen(value: Any) -> bool:
    """True when ``value``'s JSON can never change: no unhashed object inside."""
    if isinstance(value, ThriftStruct):
        return value._json.__class__ is str  # type: ignore[attr-defined,unused-ignore]
    cls = value.__class__
    if cls is tuple or cls is OrderedSet:
        return all(map(frozen, value))
    if cls is FrozenMap:
        return all(map(frozen, value.values()))
    return True  # strings, numbers, enum members: never change


class Interned(Generic[T]):
    """Decoded objects shared between payloads that write them identically.

    A scheduler writes the same TaskConfig in every event of a task; reading
    it once is enough. Only a hashed object (non-zero ``cachedHashCode`` as
    read) whose every part is hashed too is kept: nothing about such an
    object can change any more (its hash is final, so is its JSON), so
    sharing it cannot be seen. The key is the object's JSON value as orjson
    writes it; the table is emptied when it grows past ``size``.

    Only what repeats pays for a key: the first object read with a given
    cachedHashCode is remembered with its parsed value, unkeyed. When that
    hash is read again, both are keyed and the first object is shared if they
    are the same; so payloads that never repeat (most of a random stream)
    cost a dict lookup per hashed object, not a serialisation of its subtree.
    (Only for trees aurorakit parsed itself, see ``own_tree``: a tree passed
    in by a caller could be changed before the hash comes again.)
    """

    __slots__ = ("_first", "_objects", "size")

    def __init__(self, size: int = 512) -> None:
        self._objects: dict[bytes, T] = {}
        self._first: dict[int, _FirstSight] = {}
        self.size = size

    def key(self, d: dict[str, Any]) -> bytes | _FirstSight | None:
        """The lookup key of a parsed object, or None if it cannot be shared."""
        jhash = d.get("cachedHashCode")
        if jhash.__class__ is not int or not jhash:
            return None
        first = self._first.get(jhash)
        if first is None and _OWN_TREE.get():  # a caller's tree may change: keyed at once instead
            if len(self._first) >= self.size:
                self._first.clear()
            first = self._first[jhash] = _FirstSight(d)
            return first
        try:
            key = orjson.dumps(d)
            if first is not None and first.obj is not None:  # this hash read again: was the first the same?
                if orjson.dumps(first.tree) == key:
                    self._keep(key, first.obj)
                first.tree = first.obj = None
        except (TypeError, orjson.JSONEncodeError):  # e.g. a number orjson cannot write back
            return None
        return key

    def get(self, key: bytes | _FirstSight) -> T | None:
        if isinstance(key, _FirstSight):
            return None
        return self._objects.get(key)

    def add(self, key: bytes | _FirstSight, obj: T) -> None:
        self.add_checked(key, obj, fully_hashed(obj))

    def add_checked(self, key: bytes | _FirstSight, obj: T, hashed: bool) -> None:
        """``add`` for a decoder that knows already whether ``obj`` is fully hashed (the compiled one)."""
        # Objects read in any member order are not kept: a strict decode of the
        # same text must not find them already checked.
        shareable = hashed and not _ANY_ORDER.get()
        if isinstance(key, _FirstSight):
            if shareable:
                key.obj = obj
            else:
                key.tree = None
        elif shareable:
            self._keep(key, obj)

    def _keep(self, key: bytes, obj: T) -> None:
        if len(self._objects) >= self.size:
            self._objects.clear()
        self._objects[key] = obj


class _FirstSight:
    """The first object read with a cachedHashCode, kept with its parsed value until the hash comes again.

    The compiled parser (runtime/_decode.c), which makes no tree, keeps the
    object's text instead (``span``, bytes; ``tree`` None): what it shares is
    an object read again from the very same bytes.
    """

    __slots__ = ("obj", "span", "tree")

    def __init__(self, tree: dict[str, Any] | None) -> None:
        self.tree: dict[str, Any] | None = tree
        self.obj: Any = None
        self.span: bytes | None = None


def fully_hashed(obj: Any) -> bool:
    """True when ``obj`` and every struct inside it have a non-zero cachedHashCode."""
    if not obj._jhash:
        return False
    return all(_all_hashed(value) for _, value in field_values(obj))


def _all_hashed(value: Any) -> bool:
    if isinstance(value, ThriftStruct):
        return fully_hashed(value)
    cls = value.__class__
    if cls is tuple or cls is OrderedSet:
        return all(map(_all_hashed, value))
    if cls is FrozenMap:
        return all(map(_all_hashed, value.values()))
    return True


# -- hashing: (value, identity table) functions for unions and containers -----------
def hash_bool(value: bool, ids: Any) -> int:
    return bool_hash(value)


def hash_int(value: int, ids: Any) -> int:
    return int_hash(value)


def hash_i64(value: int, ids: Any) -> int:
    return long_hash(value)


def hash_double(value: float, ids: Any) -> int:
    return double_hash(value)


def hash_string(value: str, ids: Any) -> int:
    return string_hash(value)


def hash_binary(value: bytes, ids: Any) -> int:
    raise PayloadError("binary fields have no documented Java hash in Aurora payloads")
