"""JSON arrays and objects read as Thrift lists, sets and maps, errors addressed by index or key.

The generated container decoders read the common case inline; these are
the rest: the value is not an array (or object), or an element fails and
its index (or key) must be found for the error's path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .containers import FrozenMap, OrderedSet
from .errors import PayloadError
from .gson import gson_string
from .read_values import expected, string_value


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
