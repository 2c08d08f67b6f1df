"""Gson JSON in and out for any generated struct or union.

``encode(obj)`` gives the Java string Gson would produce for the object;
``decode(cls, data)`` reads Gson JSON (compact or pretty-printed) back into
typed objects, keeping set and map order and each object's cachedHashCode
as found, so that decoding then encoding gives back Gson's bytes.

Parsing uses orjson (fast, keeps key order); anything orjson refuses is
parsed again with the standard library, which accepts what orjson does not
(lone surrogates, NaN tokens, huge numbers) so the typed decoder can report
it with its JSON path, or says exactly where the JSON is malformed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from .errors import FieldError, PayloadError
from .interning import own_tree
from .member_shapes import member_order
from .read_values import ExactDouble, NeedsExactText, java_double, json_int

T = TypeVar("T")


class _NonFinite(float):
    """What a ``NaN``/``Infinity`` token parses to, so the decoder can name its path."""

    token: str

    def __repr__(self) -> str:
        return self.token


def _non_finite(token: str) -> float:
    value = _NonFinite(token)  # float() reads NaN, Infinity and -Infinity
    value.token = token
    return value


def parse_json(data: bytes | bytearray | memoryview | str, *, exact: bool = False) -> Any:
    """The JSON value of ``data`` (UTF-8 bytes or str), or PayloadError for malformed JSON.

    ``exact`` reads every large double from its text with Java's meaning
    (the slow path :func:`decode` takes when a decoder asks for it).
    """
    if not exact:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    if not isinstance(data, str):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as err:
            raise PayloadError(f"malformed JSON: not UTF-8 at byte {err.start}") from None
    try:
        return json.loads(data, parse_constant=_non_finite, parse_float=java_double, parse_int=json_int)
    except json.JSONDecodeError as err:
        raise PayloadError(f"malformed JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    except RecursionError:
        raise PayloadError("malformed JSON: nested too deeply") from None


def encode(obj: Any) -> str:
    """The Gson JSON of a struct or union, as a Java string (a Python str)."""
    try:
        encoder = type(obj)._gson_encode
    except AttributeError:
        raise FieldError("encode", f"cannot encode {type(obj).__name__}: not a generated struct or union") from None
    return encoder(obj)  # type: ignore[no-any-return]


def decode(cls: type[T], data: bytes | bytearray | memoryview | str | Any, *, path: str = "",
           strict: bool = True) -> T:
    """An object of ``cls`` read from Gson JSON text, or from an already parsed JSON value.

    Raises :class:`PayloadError` naming the JSON path (prefixed by ``path``).
    ``strict=False`` accepts an object's members in any order (hand-edited
    input); members Gson always writes must be there either way.
    """
    decoder: Callable[[Any], T] = cls._gson_decode  # type: ignore[attr-defined]
    return read_json(lambda tree: _decode_tree(decoder, tree, path), data, strict=strict)


def read_json(read: Callable[[Any], T], data: bytes | bytearray | memoryview | str | Any, *, strict: bool) -> T:
    """``read`` of the JSON value of ``data`` (JSON text or an already parsed value).

    ``strict`` as for :func:`decode`. When ``read`` meets a double above 2^63
    whose text the fast parser dropped (NeedsExactText), ``data`` is read
    again with every large double taken from its text, and ``read`` retried.
    """
    text = isinstance(data, (bytes, bytearray, memoryview, str))
    with member_order(strict), own_tree(text):
        try:
            return read(parse_json(data) if text else data)
        except NeedsExactText:
            return read(parse_json(data, exact=True) if text else exact_doubles(data))


def decode_tree(cls: type[T], tree: Any, path: str = "") -> T:
    """An object of ``cls`` from a parsed JSON value; NeedsExactText when a large double needs its text."""
    return _decode_tree(cls._gson_decode, tree, path)  # type: ignore[attr-defined,no-any-return]


def _decode_tree(decoder: Callable[[Any], T], tree: Any, path: str) -> T:
    try:
        return decoder(tree)
    except PayloadError as err:
        raise (err.within(path) if path else err) from None
    except RecursionError:
        raise PayloadError("nested too deeply", path) from None


def exact_doubles(tree: Any) -> Any:
    """A parsed tree whose large doubles are taken as they are (their text is gone)."""
    try:
        return _exact_doubles(tree)
    except RecursionError:
        raise PayloadError("nested too deeply") from None


def _exact_doubles(tree: Any) -> Any:
    if tree.__class__ is float:
        return ExactDouble(tree)
    if tree.__class__ is dict:
        return {key: _exact_doubles(value) for key, value in tree.items()}
    if tree.__class__ is list:
        return [_exact_doubles(value) for value in tree]
    return tree
