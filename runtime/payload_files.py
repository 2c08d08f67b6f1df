"""Reading captured payloads from the files people have them in.

A file may hold: a vector file (``{"aurora":.., "identity":.., "cases":[..]}``),
one event as JSON (compact or pretty-printed), JSON lines (one event per
line), or a document with fenced ```json blocks (the first form Aurora's
webhook docs give their example in; blocks that are not events are skipped).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import PayloadError

_FENCE = re.compile(r"```json[^\n]*\n(.*?)```", re.DOTALL)


@dataclass
class Payload:
    """One captured body and what its file says about it."""

    label: str  # file name, plus case name or line or block number
    text: str
    hashed: str | None = None  # a vector case's "hashed"
    old_state: str | None = None


@dataclass
class PayloadFile:
    path: str
    payloads: list[Payload]
    aurora: str | None = None  # a vector file's release
    optional: str | None = None
    identity: dict[str, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def read_payload_file(path: str) -> PayloadFile:
    """Every payload in ``path``; PayloadError if there is none or the file cannot be read."""
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as err:
        raise PayloadError(f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise PayloadError(f"{path} is not UTF-8 text") from None
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            whole = json.loads(stripped)
        except json.JSONDecodeError:
            whole = None
        if isinstance(whole, dict) and isinstance(whole.get("cases"), list):
            return _vector_file(path, whole)
        if isinstance(whole, dict):
            return PayloadFile(path, [Payload(name, stripped)])
        # Only "\n" ends a line: Gson leaves U+0085, U+2028 and friends unescaped,
        # and str.splitlines() would cut a payload at them.
        lines = [ln for ln in text.split("\n") if ln.strip()]
        if all(ln.lstrip().startswith("{") for ln in lines):
            return PayloadFile(path, [Payload(f"{name}:{i}", ln.strip()) for i, ln in enumerate(lines, 1)
                                      if ln.strip()])
    blocks = [b for b in _FENCE.findall(text) if '"task"' in b]
    if blocks:
        return PayloadFile(path, [Payload(f"{name}#block{i}", b.strip()) for i, b in enumerate(blocks, 1)])
    if stripped.startswith("{"):
        return PayloadFile(path, [Payload(name, stripped)])
    raise PayloadError(f"{path}: found no payload (expected JSON, JSON lines, a vector file or ```json blocks)")


def _vector_file(path: str, data: dict[str, Any]) -> PayloadFile:
    payloads = []
    for i, case in enumerate(data["cases"]):
        if not isinstance(case, dict) or not isinstance(case.get("payload"), str):
            raise PayloadError(f"{path}: case {i} has no payload string")
        payloads.append(Payload(str(case.get("name", i)), case["payload"], case.get("hashed"), case.get("oldState")))
    identity = data.get("identity")
    return PayloadFile(path, payloads, aurora=data.get("aurora"), optional=data.get("optional"),
                       identity=identity if isinstance(identity, dict) else None)


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
