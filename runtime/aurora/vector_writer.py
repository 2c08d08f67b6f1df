"""Writing a vector file a case at a time: ``{HEADER..., "cases": [CASE, ...]}``.

The file is what ``payload_files`` and ``aurorakit conformance`` read. Cases
are streamed, one a line, so a run of any length takes bounded memory; the
header's members are written first, each encoded on its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TextIO


def _member(key: str, value: Any) -> str:
    return f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}"


class VectorWriter:
    """``with VectorWriter(out, header) as vectors: vectors.add(case)``; closes the array and object at the end."""

    def __init__(self, out: TextIO, header: Mapping[str, Any]) -> None:
        if "cases" in header:
            raise ValueError("the header of a vector file cannot hold the cases")
        self.out = out
        self.header = dict(header)
        self.count = 0

    def __enter__(self) -> VectorWriter:
        members = [_member(key, value) for key, value in self.header.items()]
        self.out.write("{" + "".join(f"{member}, " for member in members) + '"cases": [\n')
        return self

    def add(self, case: Mapping[str, Any]) -> None:
        self.out.write((",\n" if self.count else "") + json.dumps(case, ensure_ascii=False))
        self.count += 1

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.out.write("\n]}\n")
