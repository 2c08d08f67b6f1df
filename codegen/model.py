"""The intermediate model: one Thrift IDL file as plain dataclasses.

Built from the thriftpy2 module by ``build.py``, read by ``render.py``.
Nothing here knows about thriftpy2 or about Python code; it only says what
the IDL declares, in declaration order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from aurorakit.runtime.scalars import SCALARS

PRIMITIVES = tuple(SCALARS)  # the scalar types, as aurorakit.runtime.scalars lists them
CONTAINERS = ("list", "set", "map")


@dataclass(frozen=True)
class TypeRef:
    """A field, constant or method type.

    ``kind`` is a primitive name, a container (``list``, ``set``, ``map``), or
    ``enum`` / ``struct`` (struct covers unions and exceptions) naming a
    definition, which lives in ``module`` (an included file's module name)
    or in the current file when ``module`` is None.
    """

    kind: str
    name: str | None = None
    module: str | None = None
    elem: TypeRef | None = None  # list/set element, map value
    key: TypeRef | None = None  # map key

    def __str__(self) -> str:
        if self.kind in ("list", "set"):
            return f"{self.kind}<{self.elem}>"
        if self.kind == "map":
            return f"map<{self.key},{self.elem}>"
        if self.kind in ("enum", "struct"):
            return f"{self.module}.{self.name}" if self.module else str(self.name)
        return self.kind


@dataclass(frozen=True)
class StructValue:
    """A constant (or default) value of a struct or union type."""

    type: TypeRef
    fields: tuple[tuple[str, Value], ...]


@dataclass(frozen=True)
class EnumValueRef:
    """A constant naming one value of an enum."""

    type: TypeRef
    name: str
    value: int


# Constant values: Python scalars, lists (list and set constants, in a stable
# order), tuples of (key, value) pairs for maps, and the two classes above.
Value = Union[None, bool, int, float, str, bytes, list["Value"], tuple[tuple["Value", "Value"], ...],
              StructValue, EnumValueRef]


@dataclass
class EnumValue:
    name: str
    value: int
    doc: str | None = None
    line: int | None = None  # where the IDL declares it, for errors


@dataclass
class Enum:
    name: str
    values: list[EnumValue]
    doc: str | None = None
    line: int | None = None  # where the IDL declares it, for errors


@dataclass
class Field:
    id: int
    name: str
    type: TypeRef
    requiredness: str  # "required", "optional" or "default"
    default: Value = None
    doc: str | None = None
    line: int | None = None  # where the IDL declares it, for errors


@dataclass
class Struct:
    kind: str  # "struct", "union" or "exception"
    name: str
    fields: list[Field]
    doc: str | None = None
    line: int | None = None  # where the IDL declares it, for errors


@dataclass
class Const:
    name: str
    type: TypeRef
    value: Value
    doc: str | None = None
    line: int | None = None  # where the IDL declares it, for errors


@dataclass
class Method:
    name: str
    oneway: bool
    returns: TypeRef | None  # None for void
    args: list[Field]
    throws: list[Field]
    doc: str | None = None
    line: int | None = None  # where the IDL declares it, for errors


@dataclass
class Service:
    name: str
    extends: TypeRef | None
    methods: list[Method]
    doc: str | None = None
    line: int | None = None  # where the IDL declares it, for errors


@dataclass
class Module:
    """One IDL file and, through ``includes``, the files it includes."""

    name: str  # the Thrift module name: the file name without .thrift
    path: str
    sha256: str
    namespaces: dict[str, str]
    includes: list[Module] = field(default_factory=list)
    enums: list[Enum] = field(default_factory=list)
    structs: list[Struct] = field(default_factory=list)
    consts: list[Const] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    doc: str | None = None

    def all_modules(self) -> list[Module]:
        """This module and every module it includes, directly or not, each once."""
        seen: dict[str, Module] = {}

        def visit(module: Module) -> None:
            for inc in module.includes:
                visit(inc)
            seen.setdefault(module.name, module)

        visit(self)
        return list(seen.values())
