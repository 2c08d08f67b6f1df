"""Reference data for the tests: the full shared material at ``../shared`` when it is there,
else the compact copy bundled under ``tests/data`` (see its README).

Tests that need something only the shared folder has (the schema facts tool)
use :func:`shared_path`, which skips with the reason when it is missing.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BUNDLED = ROOT / "tests" / "data"
VECTOR_FILES = ("aurora-0.14.0.json", "aurora-0.22.0.json",
                "aurora-0.14.0-lifecycles.json", "aurora-0.22.0-lifecycles.json")
HAVE_SHARED = (SHARED / "vectors").is_dir()


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test saying the shared folder is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the team's shared material at {path}; this checkout has none beside it")
    return path


def vector_path(name: str) -> Path:
    """A vector file (or the doubles TSV): the shared one, else the bundled subset."""
    shared = SHARED / "vectors" / name
    return shared if shared.exists() else BUNDLED / "vectors" / name


def document_path() -> Path:
    """Aurora's webhook document with the example payload (the shared seed, else the bundled copy)."""
    shared = SHARED / "seed" / "000_4f46e835b9fd45b2.txt"
    return shared if shared.exists() else BUNDLED / "aurora-webhook-example.txt"


SEED = document_path()


@cache
def vector_file(name: str) -> Any:
    with open(vector_path(name), encoding="utf-8") as fh:
        return json.load(fh)


def document_payload() -> str:
    """The documented example's payload in compact form: whitespace outside strings removed."""
    import re
    text = document_path().read_text(encoding="utf-8")
    block = [b for b in re.findall(r"```json[^\n]*\n(.*?)```", text, re.DOTALL) if '"task"' in b][0]
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
