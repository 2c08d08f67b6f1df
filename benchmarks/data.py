"""Inputs of the benchmarks: the shared vectors and simulated event streams."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


@lru_cache(maxsize=None)
def lifecycle_payloads(release: str = "0.22.0") -> tuple[str, ...]:
    """The 200 realistic payloads of the shared lifecycle vectors."""
    path = SHARED / "vectors" / f"aurora-{release}-lifecycles.json"
    with open(path, encoding="utf-8") as fh:
        return tuple(case["payload"] for case in json.load(fh)["cases"])


@lru_cache(maxsize=None)
def vector_payloads(release: str = "0.22.0") -> tuple[str, ...]:
    """The 150 random-structure payloads of the shared vectors (nothing repeats)."""
    path = SHARED / "vectors" / f"aurora-{release}.json"
    with open(path, encoding="utf-8") as fh:
        return tuple(case["payload"] for case in json.load(fh)["cases"])
