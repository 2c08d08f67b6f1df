"""Inputs of the benchmarks: the Java-made vectors (../shared, else tests/data), and files handing them
to fresh processes."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BUNDLED = ROOT / "tests" / "data"  # the same vector files, bundled for a clone without ../shared
RELEASES = ("0.22", "0.14")  # the releases with shared vectors, each read with its own models


@cache
def lifecycle_payloads(release: str = "0.22.0") -> tuple[str, ...]:
    """The 200 realistic payloads of the shared lifecycle vectors (a task's TaskConfig repeats)."""
    return _payloads(vector_path(f"aurora-{release}-lifecycles.json"))


@cache
def vector_payloads(release: str = "0.22.0") -> tuple[str, ...]:
    """The 150 random-structure payloads of the shared vectors (nothing repeats)."""
    return _payloads(vector_path(f"aurora-{release}.json"))


def vector_path(name: str) -> Path:
    """A vector file: the shared one when ../shared is there, else the bundled copy (as tests/shared.py)."""
    shared = SHARED / "vectors" / name
    return shared if shared.exists() else BUNDLED / "vectors" / name


def _payloads(path: Path) -> tuple[str, ...]:
    with open(path, encoding="utf-8") as fh:
        return tuple(case["payload"] for case in json.load(fh)["cases"])


def payload_sets(kind: str, limit: int | None = None) -> list[tuple[str, list[str]]]:
    """``(release, payloads)`` for every release with vectors; ``kind`` is ``random`` or ``lifecycle``."""
    read = vector_payloads if kind == "random" else lifecycle_payloads
    return [(r, list(read(f"{r}.0"))[:limit]) for r in RELEASES]


def write_sets(sets: list[tuple[str, list[str]]]) -> str:
    """The sets in a temporary JSON file (for a fresh process to read); its path."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".json", prefix="aurorakit-bench-",
                                     delete=False) as fh:
        json.dump(sets, fh, ensure_ascii=False)
    return fh.name


def all_payloads(sets: list[tuple[str, list[str]]]) -> list[str]:
    return [p for _, payloads in sets for p in payloads]
