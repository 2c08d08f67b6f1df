"""Payloads of one Aurora release re-expressed as another release would have written them.

``Converter(source_models, target_models)`` turns typed objects of the source
release's models into the target's: fields match by Thrift id (the field's
identity in the IDL), union arms by id, enum constants by name. What the
target lacks is dropped and what only the target has takes its Java default;
each such loss is recorded with its JSON path (:class:`Loss`).

cachedHashCode: an object the source had not hashed stays unhashed. For one
it had, Java's hash is a linear form in the identity hashes of the enum
constants and union arms it holds (see :mod:`verify`): a part fixed by the
data, recomputed for the target, and a part fixed by the JVM's identities,
which is carried over. When the target's form is the source's identity part
times one factor (same constants, positions shifted alike), the target hash
is exact and converting back gives the source hash again; otherwise the
identities come from the target's identity table (given, or the default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ..errors import AurorakitError
from ..fields import arm_by_id, field_values
from ..identity import IdentityTable, current_identity
from ..java import INT_MASK, to_int32
from .verify import Form, Opaque, struct_form


class ConversionError(AurorakitError):
    """A value the target release cannot hold at all (``task.status: PARTITIONED ...``)."""


KINDS = {
    "dropped": "a value the target release cannot hold is lost",
    "omitted": "a field the target lacks is left out; it held its default, so nothing is lost",
    "defaulted": "a field only the target has takes its default (Gson writes it)",
}
"""What each :class:`Loss` kind means; only ``dropped`` loses information (``convert --strict``)."""


@dataclass(frozen=True)
class Loss:
    """Something of the source the target could not keep, or had to invent."""

    kind: str  # see KINDS

    path: str  # JSON path in the payload: task.assignedTask.task.resources[2]
    detail: str

    @property
    def pattern(self) -> str:
        """The path with list positions folded, for counting the same loss across cases."""
        out, depth = [], 0
        for ch in self.path:
            if ch == "[":
                depth += 1
                if depth == 1:
                    out.append("[*]")
            elif ch == "]":
                depth -= 1
            elif depth == 0:
                out.append(ch)
        return "".join(out)


@dataclass
class Converted:
    value: Any
    losses: list[Loss] = field(default_factory=list)
    rehashed: list[str] = field(default_factory=list)  # paths whose hash came from the identity table


class Converter:
    """Converts model objects from ``source`` models to ``target`` models (generated packages)."""

    def __init__(self, source: ModuleType, target: ModuleType, identity: IdentityTable | None = None) -> None:
        self.source, self.target = source, target
        self.identity = identity

    def convert(self, obj: Any, path: str = "task") -> Converted:
        """The target release's form of the struct or union ``obj``."""
        result = Converted(None)
        table = self.identity if self.identity is not None else current_identity()
        result.value = _Walk(self, table, result).struct(obj, path)
        return result

    def enum(self, member: Any, path: str) -> Any:
        """The target's constant of the same name; ConversionError when it has none."""
        cls = getattr(self.target, type(member).__name__, None)
        found = getattr(cls, member.name, None) if cls is not None else None
        if found is None:
            raise ConversionError(f"{path}: {type(member).__name__}.{member.name} does not exist in the target release")
        return found

    def target_class(self, source_cls: type) -> Any:
        cls = getattr(self.target, source_cls.__name__, None)
        if cls is None:
            raise ConversionError(f"{source_cls.__name__} does not exist in the target release")
        return cls


class _Walk:
    def __init__(self, converter: Converter, table: IdentityTable, result: Converted) -> None:
        self.converter = converter
        self.table = table
        self.result = result

    def lose(self, kind: str, path: str, detail: str) -> None:
        self.result.losses.append(Loss(kind, path, detail))

    # -- structs and unions ------------------------------------------------------
    def struct(self, obj: Any, path: str) -> Any:
        source_cls = type(obj)
        cls = self.converter.target_class(source_cls)
        if source_cls._kind == "union":
            made = self._union(obj, cls, path)
        else:
            made = self._struct(obj, cls, path)
        if obj._jhash:
            object.__setattr__(made, "_jhash", self._hash(obj, made, path))
        return made

    def _struct(self, obj: Any, cls: Any, path: str) -> Any:
        source = {src.id: (src, value) for src, value in field_values(obj)}
        target_ids = {spec.id for spec in cls._fields}
        kwargs = {}
        for spec in cls._fields:
            where = f"{path}.{spec.name}"
            src, value = source.get(spec.id, (None, None))
            if src is not None and _compatible(src.type, spec.type):
                # An explicit None keeps an unset field unset (no IDL default fills it in).
                kwargs[spec.attr] = None if value is None else self.value(value, src.type, spec.type, where)
                continue
            if src is not None and value is not None:
                self.lose(_drop_kind(obj, src), f"{path}.{src.name}", f"{src.type} cannot become {spec.type}")
            if spec.attr in _written_unset(cls):
                self.lose("defaulted", where, "not in the source release: takes its Java default")
        for src, value in source.values():
            if src.id not in target_ids and value is not None:
                self.lose(_drop_kind(obj, src), f"{path}.{src.name}", "not in the target release")
        return cls(**kwargs)

    def _union(self, obj: Any, cls: Any, path: str) -> Any:
        ((src, value),) = field_values(obj)
        spec = arm_by_id(cls, src.id)
        if spec is None or not _compatible(src.type, spec.type):
            raise ConversionError(f"{path}: {type(obj).__name__} arm {src.name} does not exist in the target release")
        return cls(**{spec.attr: self.value(value, src.type, spec.type, f"{path}.value")})

    # -- values ------------------------------------------------------------------
    def value(self, value: Any, src: Any, dst: Any, path: str) -> Any:
        kind = dst.kind
        if kind == "struct":
            return self.struct(value, path)
        if kind == "enum":
            return self.converter.enum(value, path)
        if kind == "list" or kind == "set":
            return [self.value(v, src.elem, dst.elem, f"{path}[{i}]") for i, v in enumerate(value)]
        if kind == "map":
            return {self.value(k, src.key, dst.key, f"{path}[{k!r}]"): self.value(v, src.value, dst.value, f"{path}[{k!r}]")
                    for k, v in value.items()}
        return value

    # -- cachedHashCode ------------------------------------------------------------
    def _hash(self, source: Any, made: Any, path: str) -> int:
        try:
            before, after = struct_form(source), struct_form(made)
        except Opaque:
            return self._from_table(made, path)
        carried = (source._jhash - before.const) & INT_MASK  # the identity part, as the source JVM had it
        factor = _factor(before, after)
        if factor is None:
            return self._from_table(made, path)
        return to_int32((after.const + factor * carried) & INT_MASK)

    def _from_table(self, made: Any, path: str) -> int:
        self.result.rehashed.append(path)
        return type(made)._java_hash(made, self.table)  # type: ignore[no-any-return]


def _factor(before: Form, after: Form) -> int | None:
    """k with after.coeffs == k * before.coeffs (mod 2^32), or None."""
    if set(before.coeffs) != set(after.coeffs):
        return None
    if not before.coeffs:
        return 0
    key = next((k for k, c in before.coeffs.items() if c & 1), None)
    if key is None:
        return None
    k = (after.coeffs[key] * pow(before.coeffs[key], -1, 1 << 32)) & INT_MASK
    if any((k * c) & INT_MASK != after.coeffs[name] for name, c in before.coeffs.items()):
        return None
    return k


def _compatible(src: Any, dst: Any) -> bool:
    if src.kind != dst.kind:
        return False
    if src.kind in ("list", "set"):
        return _compatible(src.elem, dst.elem)
    if src.kind == "map":
        return _compatible(src.key, dst.key) and _compatible(src.value, dst.value)
    if src.kind in ("struct", "enum"):
        return bool(src.cls.__name__ == dst.cls.__name__)
    return True


_BLANK: dict[type, Any] = {}


def _blank(cls: type) -> Any:
    """An object of a struct class built with no arguments: every field at its default."""
    found = _BLANK.get(cls)
    if found is None:
        found = _BLANK[cls] = cls()
    return found


def _written_unset(cls: type) -> frozenset[str]:
    """Attributes Gson writes even when nobody sets them: primitives, collections, IDL defaults."""
    blank = _blank(cls)
    return frozenset(spec.attr for spec in cls._fields if getattr(blank, spec.attr) is not None)  # type: ignore[attr-defined]


def _drop_kind(obj: Any, spec: Any) -> str:
    return "omitted" if getattr(obj, spec.attr) == getattr(_blank(type(obj)), spec.attr) else "dropped"


