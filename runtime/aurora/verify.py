"""Checking recorded cachedHashCodes, and recovering identity hashes from them.

Both rest on one observation: Java's hash of an object is a linear form in
the identity hashes of the enum constants and union arms it holds, modulo
2^32, once the recorded hashes of the objects under it are taken as given
(Java's hashCode() returns a child's cached value). :class:`Form` is that
linear form.

- :func:`verify` compares each object's recorded hash with its form,
  wherever the form needs no unknown identity.
- :func:`calibrate` solves forms with one unknown identity (its
  coefficient, a power of 31, is odd and so invertible mod 2^32), adds the
  answer to the table, and repeats until nothing new is found.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import java
from ..fields import field_values, gson_member
from ..identity import IdentityTable, arm_constant, arm_key, enum_key
from ..java import INT_MASK, to_int32
from ..scalars import SCALARS


class Opaque(Exception):
    """A hash that is not linear in the unknowns (a map XOR mixing unknowns)."""


@dataclass
class Form:
    """``const + sum(coeff[key] * identity[key])`` modulo 2^32."""

    const: int = 0
    coeffs: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def of(value: int) -> Form:
        return Form(value & INT_MASK)

    @staticmethod
    def identity(key: str) -> Form:
        return Form(0, {key: 1})

    def times(self, k: int) -> Form:
        return Form((self.const * k) & INT_MASK, {key: (c * k) & INT_MASK for key, c in self.coeffs.items() if (c * k) & INT_MASK})

    def plus(self, other: Form) -> Form:
        coeffs = dict(self.coeffs)
        for key, c in other.coeffs.items():
            total = (coeffs.get(key, 0) + c) & INT_MASK
            if total:
                coeffs[key] = total
            else:
                coeffs.pop(key, None)
        return Form((self.const + other.const) & INT_MASK, coeffs)

    def xor(self, other: Form) -> Form:
        if self.coeffs or other.coeffs:
            raise Opaque()
        return Form(self.const ^ other.const)

    def resolve(self, table: IdentityTable) -> Form:
        """The form with every identity the table knows substituted."""
        const, coeffs = self.const, {}
        for key, c in self.coeffs.items():
            if key in table and key not in table.defaulted:
                const = (const + c * table[key]) & INT_MASK
            else:
                coeffs[key] = c
        return Form(const, coeffs)


def struct_form(obj: Any) -> Form:
    """The hash form of ``obj`` from its fields, children counted by their recorded hash."""
    cls = type(obj)
    form = Form.of(1)
    for spec, value in field_values(obj):
        if cls._kind == "union":  # TUnion.hashCode: Objects.hash(the arm's _Fields constant, the value)
            form = form.times(31).plus(Form.identity(arm_key(cls.__name__, arm_constant(spec.name))))
        form = form.times(31).plus(_value_form(value, spec.type))
    return form


def _child_form(obj: Any) -> Form:
    return Form.of(obj._jhash) if obj._jhash else struct_form(obj)


def _value_form(value: Any, spec: Any) -> Form:
    if value is None:
        return Form()
    kind = spec.kind
    if kind == "struct":
        return _child_form(value)
    if kind == "enum":
        return Form.identity(enum_key(spec.cls.__name__, value.name))
    if kind == "list":
        form = Form.of(1)
        for item in value:
            form = form.times(31).plus(_value_form(item, spec.elem))
        return form
    if kind == "set":
        form = Form()
        for item in value:
            form = form.plus(_value_form(item, spec.elem))
        return form
    if kind == "map":
        form = Form()
        for k, v in value.items():
            form = form.plus(_value_form(k, spec.key).xor(_value_form(v, spec.value)))
        return form
    return Form.of(_primitive_hash(kind, value))


# Java's hashCode of each scalar kind, by the rule the scalar table names.
_SCALAR_HASHES = {kind: getattr(java, s.java_hash) for kind, s in SCALARS.items() if s.java_hash is not None}


def _primitive_hash(kind: str, value: Any) -> int:
    rule = _SCALAR_HASHES.get(kind)
    if rule is None:  # binary: no documented hash
        raise Opaque()
    return rule(value)  # type: ignore[no-any-return]


def walk(obj: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every struct and union under (and including) ``obj``, with its JSON path."""
    yield path, obj
    for spec, value in field_values(obj):
        yield from _walk_value(value, spec.type, f"{path}.{gson_member(obj, spec)}")


def _walk_value(value: Any, spec: Any, path: str) -> Iterator[tuple[str, Any]]:
    if value is None:
        return
    if spec.kind == "struct":
        yield from walk(value, path)
    elif spec.kind in ("list", "set"):
        for i, item in enumerate(value):
            yield from _walk_value(item, spec.elem, f"{path}[{i}]")
    elif spec.kind == "map":
        for k, v in value.items():
            yield from _walk_value(v, spec.value, f"{path}[{k!r}]")


@dataclass
class Mismatch:
    path: str
    type_name: str
    recorded: int
    computed: int

    def __str__(self) -> str:
        return f"{self.path}: {self.type_name} records cachedHashCode {self.recorded}, its fields give {self.computed}"


@dataclass
class VerifyReport:
    checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    unverifiable: list[tuple[str, list[str]]] = field(default_factory=list)  # path, identities needed


def verify(root: Any, table: IdentityTable | None = None, path: str = "task") -> VerifyReport:
    """Check every recorded (non-zero) cachedHashCode under ``root`` against its own fields."""
    table = table if table is not None else IdentityTable(strict=True)
    report = VerifyReport()
    for where, obj in walk(root, path):
        if not obj._jhash:
            continue
        try:
            form = struct_form(obj).resolve(table)
        except Opaque:
            report.unverifiable.append((where, ["(not linear)"]))
            continue
        if form.coeffs:
            report.unverifiable.append((where, sorted(form.coeffs)))
            continue
        report.checked += 1
        if to_int32(form.const) != obj._jhash:
            report.mismatches.append(Mismatch(where, type(obj).__name__, obj._jhash, to_int32(form.const)))
    return report


@dataclass
class Calibration:
    table: IdentityTable
    found: dict[str, int] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)
    conflicts: list[str] = field(default_factory=list)


def calibrate(roots: Iterable[Any], table: IdentityTable | None = None) -> Calibration:
    """Recover identity hashes from the recorded hashes of objects under ``roots``."""
    result = Calibration(table.copy() if table is not None else IdentityTable(strict=True))
    # Each distinct (recorded hash, form) once, where it was first seen: captures
    # repeat the same TaskConfig in event after event, and memory stays bounded
    # by what differs, not by how many payloads are read.
    distinct: dict[tuple[int, int, tuple[tuple[str, int], ...]], str] = {}
    for number, root in enumerate(roots):
        for where, obj in walk(root, f"payload {number}: task"):
            if obj._jhash:
                try:
                    form = struct_form(obj)
                except Opaque:
                    continue
                if not form.coeffs and to_int32(form.const) == obj._jhash:
                    continue  # needs no identity and agrees: nothing to learn or report
                distinct.setdefault((obj._jhash, form.const, tuple(sorted(form.coeffs.items()))), where)
    forms = [(where, recorded, Form(const, dict(coeffs))) for (recorded, const, coeffs), where in distinct.items()]
    progress = True
    while progress:
        progress = False
        for where, recorded, form in forms:
            resolved = form.resolve(result.table)
            if len(resolved.coeffs) != 1:
                continue
            (key, coeff), = resolved.coeffs.items()
            if not coeff & 1:
                continue
            value = to_int32(((recorded - resolved.const) * pow(coeff, -1, 1 << 32)) & INT_MASK)
            if value <= 0:
                result.conflicts.append(f"{where}: solving for {key} gives {value}, not a positive identity hash")
                continue
            result.table.set(key, value)
            result.found[key] = value
            progress = True
    for where, recorded, form in forms:
        resolved = form.resolve(result.table)
        result.unknown.update(resolved.coeffs)
        if not resolved.coeffs and to_int32(resolved.const) != recorded:
            result.conflicts.append(f"{where}: recorded {recorded}, identities found give {to_int32(resolved.const)}")
    return result
