"""Paths to the read-only shared material at ``../shared`` from the project root."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
VECTORS = SHARED / "vectors"
SEED = SHARED / "seed" / "000_4f46e835b9fd45b2.txt"
VECTOR_FILES = ("aurora-0.14.0.json", "aurora-0.22.0.json",
                "aurora-0.14.0-lifecycles.json", "aurora-0.22.0-lifecycles.json")


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test saying the shared folder is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared material not found at {path} (tests read ../shared from the project root)")
    return path


@lru_cache(maxsize=None)
def vector_file(name: str) -> Any:
    with open(shared_path("vectors", name), encoding="utf-8") as fh:
        return json.load(fh)


def document_payload() -> str:
    """The documented example's payload in compact form: whitespace outside strings removed."""
    import re
    text = shared_path("seed", SEED.name).read_text(encoding="utf-8")
    block = [b for b in re.findall(r"```json[^\n]*\n(.*?)```", text, re.S) if '"task"' in b][0]
    out, in_string, i = [], False, 0
    while i < len(block):
        c = block[i]
        if in_string:
            out.append(c)
            if c == "\\":
                out.append(block[i + 1])
                i += 2
                continue
            if c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif not c.isspace():
            out.append(c)
        i += 1
    return "".join(out)
