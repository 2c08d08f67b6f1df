"""Hypothesis strategies for random values of generated aurorakit models.

Everything is derived from the ``_fields`` metadata of the generated classes
(``runtime/typespec.py`` kinds), so the strategies work for any generated
package, not only Aurora's::

    from strategies import instances

    @given(instances(TaskConfig, max_depth=2))
    def test_something(task): ...

    # Values thriftpy2 can carry: it writes strings as UTF-8 (no lone surrogates).
    instances(TaskConfig, lone_surrogates=False)
    # Values Gson can write: it refuses NaN and infinite doubles.
    instances(TaskConfig, allow_nan=False, allow_infinity=False)

The API is two functions: :func:`instances` for a struct, union or exception
class, and :func:`values` for any type spec (a field's ``spec.type``). Both
produce every value the model accepts, unless told otherwise:

- ``max_depth``: how many levels of nested structs to build below the top
  one; deeper down, optional struct fields are None and containers of structs
  are empty (a union whose arms are all structs still gets one).
- ``max_size``: the largest list, set or map.
- ``lone_surrogates``: whether strings may hold unpaired surrogates
  (``"\\ud800"``), which Python strings (and Java's) can but UTF-8 cannot.
- ``allow_nan``, ``allow_infinity``: as for ``hypothesis.strategies.floats``.

Unset fields appear too: nullable fields (strings, binaries, enums, structs)
are sometimes None, containers sometimes empty.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple, TypeVar

from aurorakit.runtime.typespec import TypeSpec
from hypothesis import strategies as st

T = TypeVar("T")

_INT_BITS = {"byte": 8, "i16": 16, "i32": 32, "i64": 64}
_NULLABLE = ("string", "binary", "enum", "struct")

__all__ = ["instances", "values"]


class _Options(NamedTuple):
    max_size: int
    lone_surrogates: bool
    allow_nan: bool
    allow_infinity: bool


def instances(cls: type[T], *, max_depth: int = 3, max_size: int = 3, lone_surrogates: bool = True,
              allow_nan: bool = True, allow_infinity: bool = True) -> st.SearchStrategy[T]:
    """Random valid objects of the generated struct, union or exception class ``cls``."""
    options = _Options(max_size, lone_surrogates, allow_nan, allow_infinity)
    return _instances(cls, max_depth, options)  # type: ignore[no-any-return]


def values(spec: TypeSpec, *, max_depth: int = 3, max_size: int = 3, lone_surrogates: bool = True,
           allow_nan: bool = True, allow_infinity: bool = True) -> st.SearchStrategy[Any]:
    """Random valid values (never None) of one type spec, e.g. ``SomeStruct._fields[0].type``."""
    options = _Options(max_size, lone_surrogates, allow_nan, allow_infinity)
    return _values(spec, max_depth, options)


# Strategies are cached per (type, depth, options): Aurora's types share many
# field types, and building a strategy walks the whole type tree below it.
@functools.cache
def _instances(cls: Any, depth: int, options: _Options) -> st.SearchStrategy[Any]:
    if cls._kind == "union":
        arms = [spec for spec in cls._fields if depth > 0 or spec.type.kind != "struct"] or list(cls._fields)
        return st.sampled_from(arms).flatmap(
            lambda spec: _values(spec.type, depth, options).map(lambda value: cls(**{spec.attr: value})))
    fields = {}
    for spec in cls._fields:
        if spec.type.kind == "struct" and depth <= 0:
            fields[spec.attr] = st.none()
        elif spec.type.kind in _NULLABLE:
            fields[spec.attr] = st.none() | _values(spec.type, depth, options)
        else:
            fields[spec.attr] = _values(spec.type, depth, options)
    return st.fixed_dictionaries(fields).map(lambda kwargs: cls(**kwargs))


@functools.cache
def _values(spec: Any, depth: int, options: _Options) -> st.SearchStrategy[Any]:
    kind = spec.kind
    if kind == "bool":
        return st.booleans()
    if kind in _INT_BITS:
        bits = _INT_BITS[kind]
        return st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    if kind == "double":
        return st.floats(allow_nan=options.allow_nan, allow_infinity=options.allow_infinity)
    if kind == "string":
        if options.lone_surrogates:
            return st.text(st.characters(exclude_categories=()), max_size=8)
        return st.text(max_size=8)
    if kind == "binary":
        return st.binary(max_size=8)
    if kind == "enum":
        return st.sampled_from(list(spec.cls))
    if kind == "struct":
        return _instances(spec.cls, depth - 1, options)
    size = options.max_size if depth > 0 or not _holds_struct(spec) else 0
    if kind == "list":
        return st.lists(_values(spec.elem, depth, options), max_size=size).map(tuple)
    if kind == "set":
        # Duplicates are fine: the constructor drops them, as a Java set would.
        return st.lists(_values(spec.elem, depth, options), max_size=size)
    if kind == "map":
        return st.dictionaries(_values(spec.key, depth, options), _values(spec.value, depth, options),
                               max_size=size)
    raise ValueError(f"no strategy for type spec {spec!r}")


def _holds_struct(spec: Any) -> bool:
    if spec.kind == "struct":
        return True
    return any(_holds_struct(inner) for inner in (getattr(spec, "elem", None), getattr(spec, "key", None),
                                                  getattr(spec, "value", None)) if isinstance(inner, TypeSpec))
