"""The field descriptions of generated classes, and the one walk over an object's fields.

Every generated struct, union and exception class has ``_fields``, a tuple of
:class:`FieldSpec` in declaration order, and ``_kind`` (``struct``, ``union``
or ``exception``). Generic code (repr, hashing copies, verify, the thriftpy2
bridge, the tree view, the codec's slow paths) visits an object's fields
with :func:`field_values`, which knows that a union holds only its set arm.
This module stands below ``struct.py``, so that modules ``struct`` reaches
lazily (the thriftpy2 bridge) can walk objects without importing it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .typespec import TypeSpec


class FieldSpec(NamedTuple):
    """One field as the IDL declares it, and the attribute that holds it."""

    id: int
    name: str  # the IDL name, as written in JSON
    attr: str  # the Python attribute and keyword (the IDL name, escaped if it must be)
    type: TypeSpec
    requiredness: str  # "required", "optional" or "default"


# The fields of each class by IDL name (filled on first use): how a union finds its set arm.
_BY_NAME: dict[type, dict[str, FieldSpec]] = {}


def arm_spec(cls: Any, arm: str) -> FieldSpec:
    """The description of a union's arm, by its IDL name (``set_field``)."""
    by_name = _BY_NAME.get(cls)
    if by_name is None:
        by_name = _BY_NAME[cls] = {spec.name: spec for spec in cls._fields}
    return by_name[arm]


def arm_by_id(cls: Any, field_id: int) -> FieldSpec | None:
    """A union's (or struct's) field with IDL id ``field_id``, or None: how convert matches arms across releases."""
    return next((spec for spec in cls._fields if spec.id == field_id), None)


def spec_by_attr(cls: Any, attr: str) -> FieldSpec:
    """The field whose Python attribute (constructor keyword) is ``attr``."""
    found: FieldSpec = next(spec for spec in cls._fields if spec.attr == attr)
    return found


def arm_names(cls: Any) -> tuple[str, ...]:
    """The IDL names of every arm a union class declares, in declaration order."""
    return tuple(spec.name for spec in cls._fields)


def field_values(obj: Any) -> tuple[tuple[FieldSpec, Any], ...]:
    """Each field of ``obj`` with its value (None when unset); a union yields its set arm only.

    Every generic walk over objects (hashing, verify, the thrift bridge, the
    tree view, the codec's slow paths) goes through this.
    """
    cls = type(obj)
    if cls._kind == "union":
        return ((arm_spec(cls, obj.set_field), obj.field_value),)
    return tuple(zip(cls._fields, cls._values(obj)))


def gson_member(obj: Any, spec: FieldSpec) -> str:
    """The JSON member that holds a field as Gson writes ``obj``: a union's arm is under ``value``."""
    return "value" if type(obj)._kind == "union" else spec.name
