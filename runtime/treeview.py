"""A readable, indented view of typed objects (``aurorakit decode``)."""

from __future__ import annotations

from typing import Any

from .fields import field_values


def render_event(event: Any) -> str:
    old = "absent" if event.old_state is None else event.old_state.name
    style = f" ({event.optional_style} Optional)" if event.optional_style else ""
    lines = [f"TaskStateChange: oldState {old}{style} -> {event.task.status.name if event.task.status is not None else None}"]
    lines.extend(_struct_lines("task", event.task, 1))
    return "\n".join(lines)


def _struct_lines(name: str, obj: Any, depth: int) -> list[str]:
    pad = "  " * depth
    cls = type(obj)
    lines = [f"{pad}{name}: {cls.__name__} #{obj._jhash}"]
    for spec, value in field_values(obj):
        if value is not None:
            lines.extend(_value_lines(spec.name, value, spec.type, depth + 1))
    return lines


def _value_lines(name: str, value: Any, spec: Any, depth: int) -> list[str]:
    pad = "  " * depth
    kind = spec.kind
    if kind == "struct":
        return _struct_lines(name, value, depth)
    if kind in ("list", "set"):
        if not value:
            return [f"{pad}{name}: {'[]' if kind == 'list' else '{}'}"]
        lines = [f"{pad}{name}: {kind} of {len(value)}"]
        for i, item in enumerate(value):
            lines.extend(_value_lines(f"[{i}]", item, spec.elem, depth + 1))
        return lines
    if kind == "map":
        if not value:
            return [f"{pad}{name}: {{}}"]
        lines = [f"{pad}{name}: map of {len(value)}"]
        for key, item in value.items():
            lines.extend(_value_lines(f"[{key!r}]", item, spec.value, depth + 1))
        return lines
    if kind == "enum":
        return [f"{pad}{name}: {value.name}"]
    return [f"{pad}{name}: {value!r}"]
