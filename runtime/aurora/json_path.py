"""Where in a JSON text an offset falls, as a JSON path (``task.assignedTask.task.resources[2]``)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["json_path_at"]


def json_path_at(text: str, offset: int) -> str:
    """The JSON path of the value that contains character ``offset`` of ``text``."""
    stack: list[list[Any]] = []  # per open container: [bracket, key or index, expecting a key]
    i, end = 0, min(offset, len(text))
    while i < end:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if stack and stack[-1][2]:
                stack[-1][1] = json.loads(text[i:j + 1])
                stack[-1][2] = False
            i = j + 1
            continue
        if c == "{":
            stack.append(["{", None, True])
        elif c == "[":
            stack.append(["[", 0, False])
        elif c in "}]" and stack:
            stack.pop()
        elif c == "," and stack:
            if stack[-1][0] == "[":
                stack[-1][1] += 1
            else:
                stack[-1][2] = True
        i += 1
    out = ""
    for bracket, part, _ in stack:
        if part is None:
            continue
        out += f"[{part}]" if bracket == "[" else (f".{part}" if out else str(part))
    return out or "$"
