"""Comparing two schemas: every change, the rule it falls under and whom it breaks.

Definitions are matched by name, fields, union arms and arguments by id,
enum values by name (then by number, to tell a rename from a removal). A
definition that disappears while another with the same members appears is a
rename, and types naming the old one are compared as if they named the new
one, so a renamed struct does not also show as a changed type everywhere it
is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from aurorakit.runtime.scalars import SCALARS

from .. import model as m
from ..python import JAVA_DEFAULTS, Names
from .rules import RULES, Category
from .schema import Place, Schema

W, G, P = Category.WIRE, Category.GSON_JSON, Category.PY_API


@dataclass(frozen=True)
class Change:
    """One difference between two schemas."""

    rule: str
    symbol: str  # what changed: ``TaskConfig.tier``, ``ScheduleStatus.PARTITIONED``
    location: str  # ``file:line`` in NEW, or in OLD for a removal
    message: str
    breaks: frozenset[Category]
    place: Place = field(compare=False, repr=False, default=Place("", None, False))

    @property
    def breaking(self) -> bool:
        return bool(self.breaks)


Definition = m.Struct | m.Enum


def diff(old: Schema, new: Schema) -> list[Change]:
    """Every change from ``old`` to ``new``, in the order of NEW's file (removals after)."""
    return _Differ(old, new).changes()


class _Differ:
    def __init__(self, old: Schema, new: Schema) -> None:
        self.old, self.new = old.as_old(), new
        self.old_defs, self.new_defs = old.definitions(), new.definitions()
        self.renamed = _renames(self.old_defs, self.new_defs)  # old name -> new name
        self.old_names, self.new_names = Names(old.module), Names(new.module)
        self.found: list[Change] = []

    def changes(self) -> list[Change]:
        self._definitions()
        self._typedefs()
        self._constants()
        self._services()
        return sorted(self.found, key=lambda c: (c.place.old, c.place.file, c.place.line or 0))

    # -- recording ---------------------------------------------------------
    def _add(self, rule: str, symbol: str, where: Place, message: str,
             breaks: frozenset[Category] | None = None) -> None:
        can_break = RULES[rule].can_break
        breaks = can_break if breaks is None else breaks & can_break
        self.found.append(Change(rule, symbol, str(where), message, frozenset(breaks), where))

    # -- structs, unions, exceptions, enums ---------------------------------------
    def _definitions(self) -> None:
        for name, old_def in self.old_defs.items():
            new_name = self.renamed.get(name, name)
            new_def = self.new_defs.get(new_name)
            if new_def is None:
                self._add("TYPE_REMOVED", name, self.old.where(name),
                          f"{_kind(old_def)} {name} is removed")
                continue
            if new_name != name:
                self._add("TYPE_RENAMED", new_name, self.new.where(new_name),
                          f"{_kind(old_def)} {name} is renamed to {new_name}")
            if _kind(old_def) != _kind(new_def):
                self._add("TYPE_KIND_CHANGED", new_name, self.new.where(new_name),
                          f"{name} was a {_kind(old_def)}, is now a {_kind(new_def)}")
            elif isinstance(old_def, m.Enum) and isinstance(new_def, m.Enum):
                self._enum(new_name, name, old_def, new_def)
            elif isinstance(old_def, m.Struct) and isinstance(new_def, m.Struct):
                self._members(new_name, name, old_def, new_def)
        added = set(self.new_defs) - set(self.old_defs) - set(self.renamed.values())
        for name in added:
            self._add("TYPE_ADDED", name, self.new.where(name), f"{_kind(self.new_defs[name])} {name} is new")

    def _enum(self, name: str, old_name: str, old: m.Enum, new: m.Enum) -> None:
        old_by_name = {v.name: v.value for v in old.values}
        new_by_name = {v.name: v.value for v in new.values}
        new_by_number = {v.value: v.name for v in new.values}
        claimed: set[str] = set()
        for value in old.values:
            if value.name in new_by_name:
                number = new_by_name[value.name]
                if number != value.value:
                    self._add("ENUM_VALUE_RENUMBERED", f"{name}.{value.name}", self.new.where(f"{name}.{value.name}"),
                              f"{name}.{value.name} was {value.value}, is now {number}")
                continue
            other = new_by_number.get(value.value)
            if other is not None and other not in old_by_name:
                claimed.add(other)
                self._add("ENUM_VALUE_RENAMED", f"{name}.{other}", self.new.where(f"{name}.{other}"),
                          f"{name}.{value.name} ({value.value}) is renamed to {other}")
            else:
                self._add("ENUM_VALUE_REMOVED", f"{name}.{value.name}", self.old.where(f"{old_name}.{value.name}"),
                          f"{name}.{value.name} ({value.value}) is removed")
        for value in new.values:
            if value.name not in old_by_name and value.name not in claimed:
                self._add("ENUM_VALUE_ADDED", f"{name}.{value.name}", self.new.where(f"{name}.{value.name}"),
                          f"{name}.{value.name} = {value.value} is new")

    def _members(self, name: str, old_name: str, old: m.Struct, new: m.Struct) -> None:
        union = new.kind == "union"
        for kind, (old_f, new_f) in _match_by_id(old.fields, new.fields):
            where_new = self.new.where(f"{name}.{new_f.id}" if new_f else name)
            if kind == "removed":
                assert old_f is not None
                self._add("ARM_REMOVED" if union else "FIELD_REMOVED", f"{name}.{old_f.name}",
                          self.old.where(f"{old_name}.{old_f.id}"), f"{name}.{old_f.name} (id {old_f.id}) is removed")
            elif kind == "added":
                assert new_f is not None
                if union:
                    self._add("ARM_ADDED", f"{name}.{new_f.name}", where_new,
                              f"{name} has a new arm {new_f.name} (id {new_f.id})")
                else:
                    self._field_added(name, new_f, where_new)
            else:
                assert old_f is not None and new_f is not None
                self._field_changed(name, union, old_f, new_f, where_new)
        if not union:
            self._order_of(name, old, new)

    def _field_added(self, name: str, added: m.Field, where: Place) -> None:
        breaks = set()
        if added.requiredness == "required":
            breaks.add(W)
        if _always_written(added):
            breaks.add(G)
        self._add("FIELD_ADDED", f"{name}.{added.name}", where,
                  f"{name}.{added.name} (id {added.id}, {added.requiredness} {added.type}) is new", frozenset(breaks))

    def _field_changed(self, name: str, union: bool, old: m.Field, new: m.Field, where: Place) -> None:
        symbol = f"{name}.{new.name}"
        prefix = "ARM" if union else "FIELD"
        if old.id != new.id:
            self._add(f"{prefix}_ID_CHANGED", symbol, where, f"{symbol} was id {old.id}, is now id {new.id}")
        if old.name != new.name:
            self._add(f"{prefix}_RENAMED", symbol, where, f"{name}.{old.name} (id {new.id}) is renamed to {new.name}")
        breaks = self._type_breaks(old.type, new.type)
        if breaks is not None:
            self._add(f"{prefix}_TYPE_CHANGED", symbol, where, f"{symbol} was {old.type}, is now {new.type}", breaks)
        if union:
            return
        if old.requiredness != "required" and new.requiredness == "required":
            self._add("FIELD_REQUIREDNESS_TIGHTENED", symbol, where, f"{symbol} is now required")
        elif old.requiredness == "required" and new.requiredness != "required":
            self._add("FIELD_REQUIREDNESS_LOOSENED", symbol, where, f"{symbol} is no longer required")
        if breaks is None and not _same_value(_java_default(old), _java_default(new)):
            self._add("FIELD_DEFAULT_CHANGED", symbol, where,
                      f"{symbol} defaulted to {_show(_java_default(old))}, now to {_show(_java_default(new))}")

    def _order_of(self, name: str, old: m.Struct, new: m.Struct) -> None:
        new_ids = {f.id for f in new.fields}
        old_ids = {f.id for f in old.fields}
        before = [f.name for f in old.fields if f.id in new_ids]
        after = [next(o.name for o in old.fields if o.id == f.id) for f in new.fields if f.id in old_ids]
        if before != after:
            self._add("FIELD_ORDER_CHANGED", name, self.new.where(name),
                      f"{name}'s fields were written as {', '.join(before)}; now as {', '.join(after)}")

    # -- types ---------------------------------------------------------------
    def _type_breaks(self, old: m.TypeRef, new: m.TypeRef) -> frozenset[Category] | None:
        """What changing a value's type from ``old`` to ``new`` breaks; None when it breaks nothing.

        Two different types always differ in wire form, JSON form or annotation
        (only an enum map key hides from the first two, and its name shows in the
        annotation), so "nothing breaks" is "the same type, up to renames"."""
        renamed = self._renamed_type(old)
        if renamed == new and old == new:
            return None
        breaks = set()
        if _wire_form(renamed) != _wire_form(new):
            breaks.add(W)
        if self._json_form(renamed, self.new_defs) != self._json_form(new, self.new_defs):
            breaks.add(G)
        if self.old_names.attr_annotation(old) != self.new_names.attr_annotation(new):
            breaks.add(P)
        return frozenset(breaks) if breaks else None

    def _renamed_type(self, t: m.TypeRef) -> m.TypeRef:
        elem = self._renamed_type(t.elem) if t.elem else None
        key = self._renamed_type(t.key) if t.key else None
        name = self.renamed.get(str(t.name), t.name) if t.kind in ("enum", "struct") and not t.module else t.name
        return m.TypeRef(t.kind, name, t.module, elem, key)

    def _json_form(self, t: m.TypeRef, defs: dict[str, Definition]) -> str:
        """How Gson writes a value of ``t``: lists and sets alike, every integer width alike."""
        if t.kind in ("byte", "i16", "i32", "i64"):
            return "number"
        if t.kind in ("list", "set"):
            assert t.elem is not None
            return f"[{self._json_form(t.elem, defs)}]"
        if t.kind == "map":
            assert t.elem is not None
            return f"{{{self._json_form(t.elem, defs)}}}"
        return str(t) if t.kind in ("enum", "struct") else t.kind

    # -- typedefs and constants ------------------------------------------------
    def _typedefs(self) -> None:
        old, new = self.old.typedefs(), self.new.typedefs()
        for name, (text, _) in old.items():
            if name in new and new[name][0] != text:
                self._add("TYPEDEF_CHANGED", name, self.new.where(name),
                          f"typedef {name} was {text}, is now {new[name][0]}")

    def _constants(self) -> None:
        old = {c.name: c for c in self.old.module.consts}
        new = {c.name: c for c in self.new.module.consts}
        for name, const in old.items():
            if name not in new:
                self._add("CONST_REMOVED", name, self.old.where(name), f"constant {name} is removed")
            elif new[name].type != const.type:
                self._add("CONST_VALUE_CHANGED", name, self.new.where(name),
                          f"constant {name} was a {const.type}, is now a {new[name].type}")
            elif not _same_value(new[name].value, const.value):
                self._add("CONST_VALUE_CHANGED", name, self.new.where(name),
                          f"constant {name} {_value_change(const.value, new[name].value)}")
        for name in new.keys() - old.keys():
            self._add("CONST_ADDED", name, self.new.where(name), f"constant {name} is new")

    # -- services --------------------------------------------------------------
    def _services(self) -> None:
        old = {s.name: s for s in self.old.module.services}
        new = {s.name: s for s in self.new.module.services}
        for name, service in old.items():
            if name not in new:
                self._add("SERVICE_REMOVED", name, self.old.where(name), f"service {name} is removed")
                continue
            if str(service.extends) != str(new[name].extends):
                self._add("SERVICE_EXTENDS_CHANGED", name, self.new.where(name),
                          f"service {name} extended {service.extends}, now {new[name].extends}")
            self._methods(name, service, new[name])
        for name in new.keys() - old.keys():
            self._add("SERVICE_ADDED", name, self.new.where(name), f"service {name} is new")

    def _methods(self, service: str, old: m.Service, new: m.Service) -> None:
        old_methods = {x.name: x for x in old.methods}
        new_methods = {x.name: x for x in new.methods}
        for name, method in old_methods.items():
            symbol = f"{service}.{name}"
            if name not in new_methods:
                self._add("METHOD_REMOVED", symbol, self.old.where(symbol), f"{symbol} is removed")
                continue
            other = new_methods[name]
            where = self.new.where(symbol)
            if method.oneway != other.oneway:
                self._add("METHOD_ONEWAY_CHANGED", symbol, where,
                          f"{symbol} is {'now' if other.oneway else 'no longer'} oneway")
            if (method.returns is None) != (other.returns is None) or (
                    method.returns and other.returns and self._type_breaks(method.returns, other.returns)):
                self._add("METHOD_RETURN_CHANGED", symbol, where,
                          f"{symbol} returned {method.returns or 'void'}, now {other.returns or 'void'}")
            self._arguments(symbol, method, other)
            if _signature(method.throws) != _signature(other.throws):
                self._add("METHOD_THROWS_CHANGED", symbol, where,
                          f"{symbol} throws {_show_fields(method.throws)}, now {_show_fields(other.throws)}")
        for name in new_methods.keys() - old_methods.keys():
            symbol = f"{service}.{name}"
            self._add("METHOD_ADDED", symbol, self.new.where(symbol), f"{symbol} is new")

    def _arguments(self, method: str, old: m.Method, new: m.Method) -> None:
        for kind, (old_a, new_a) in _match_by_id(old.args, new.args):
            if kind == "removed":
                assert old_a is not None
                self._add("METHOD_ARG_REMOVED", f"{method}({old_a.name})",
                          self.old.where(f"{method}.args.{old_a.id}", fallback=method),
                          f"{method} no longer takes {old_a.name}")
                continue
            assert new_a is not None
            symbol = f"{method}({new_a.name})"
            where = self.new.where(f"{method}.args.{new_a.id}", fallback=method)
            if kind == "added":
                self._add("METHOD_ARG_ADDED", symbol, where, f"{method} takes a new argument {new_a.name}",
                          frozenset({W}) if new_a.requiredness == "required" else frozenset())
                continue
            assert old_a is not None
            if old_a.id != new_a.id:
                self._add("METHOD_ARG_ID_CHANGED", symbol, where, f"{symbol} was id {old_a.id}, is now {new_a.id}")
            if old_a.name != new_a.name:
                self._add("METHOD_ARG_RENAMED", symbol, where, f"{method}({old_a.name}) is renamed to {new_a.name}")
            breaks = self._type_breaks(old_a.type, new_a.type)
            if breaks is not None:
                self._add("METHOD_ARG_TYPE_CHANGED", symbol, where, f"{symbol} was {old_a.type}, is now {new_a.type}",
                          breaks)


def _match_by_id(old: list[m.Field], new: list[m.Field]) -> Iterator[tuple[str, tuple[m.Field | None, m.Field | None]]]:
    """Pairs of (old, new) members: by id, else by name (an id change), else removed or added."""
    new_by_id = {f.id: f for f in new}
    old_ids = {f.id for f in old}
    spare_by_name = {f.name: f for f in new if f.id not in old_ids}
    for f in old:
        if f.id in new_by_id:
            yield "same", (f, new_by_id[f.id])
        elif f.name in spare_by_name:
            yield "same", (f, spare_by_name.pop(f.name))
        else:
            yield "removed", (f, None)
    for f in spare_by_name.values():
        yield "added", (None, f)


def _renames(old: dict[str, Definition], new: dict[str, Definition]) -> dict[str, str]:
    """Definitions gone from OLD whose members reappear, unchanged, under a new name in NEW."""
    gone = [n for n in old if n not in new]
    fresh = {n: d for n, d in new.items() if n not in old}
    found: dict[str, str] = {}
    for name in gone:
        shape = _shape(old[name])
        matches = [n for n, d in fresh.items() if _shape(d) == shape and n not in found.values()]
        if len(matches) == 1:
            found[name] = matches[0]
    return found


def _shape(d: Definition) -> tuple[object, ...]:
    if isinstance(d, m.Enum):
        return ("enum", tuple((v.name, v.value) for v in d.values))
    return (d.kind, tuple((f.id, f.name, str(f.type), f.requiredness) for f in d.fields))


def _kind(d: Definition) -> str:
    return "enum" if isinstance(d, m.Enum) else d.kind


def _wire_form(t: m.TypeRef) -> str:
    """The type as Thrift's protocols see it: an enum travels as an i32."""
    if t.kind == "enum":
        return "i32"
    if t.kind in ("list", "set", "map"):
        parts = [_wire_form(x) for x in (t.key, t.elem) if x is not None]
        return f"{t.kind}<{','.join(parts)}>"
    return str(t)


def _always_written(field: m.Field) -> bool:
    """Gson writes primitives and collections whatever their value, and any field with a default."""
    return field.type.kind in JAVA_DEFAULTS or field.type.kind in m.CONTAINERS or field.default is not None


def _java_default(field: m.Field) -> m.Value:
    if field.default is not None:
        return field.default
    scalar = SCALARS.get(field.type.kind)
    return None if scalar is None else scalar.java_default


def _same_value(a: m.Value, b: m.Value) -> bool:
    return type(a) is type(b) and a == b


def _show(value: m.Value) -> str:
    if isinstance(value, m.EnumValueRef):
        return value.name
    if isinstance(value, m.StructValue):
        return f"{value.type}{{...}}"
    return "unset" if value is None else repr(value)


def _signature(fields: list[m.Field]) -> list[tuple[int, str, str]]:
    return [(f.id, f.name, str(f.type)) for f in fields]


def _show_fields(fields: list[m.Field]) -> str:
    return "(" + ", ".join(f"{f.id}: {f.type} {f.name}" for f in fields) + ")" if fields else "nothing"


def _value_change(old: m.Value, new: m.Value) -> str:
    """``gains X; loses Y`` for collections, ``was A, is now B`` otherwise."""
    if isinstance(old, list) and isinstance(new, list):
        gained = [_show(v) for v in new if v not in old]
        lost = [_show(v) for v in old if v not in new]
        parts = ([f"gains {', '.join(gained)}"] if gained else []) + ([f"loses {', '.join(lost)}"] if lost else [])
        return "; ".join(parts) or "is reordered"
    return f"was {_show(old)}, is now {_show(new)}"
