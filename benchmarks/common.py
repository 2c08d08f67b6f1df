"""Shared pieces of the benchmarks: timing, results, the table."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Figure:
    """One benchmark figure: our rate against a baseline measured in the same run."""

    key: str  # B1, B2, ...
    name: str
    unit: str  # what the rates count, e.g. "events/s"
    ours: float
    baseline: float
    baseline_name: str
    target: str  # e.g. ">= 3x"
    target_ratio: float
    higher_is_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("inf")

    @property
    def met(self) -> bool:
        return self.ratio >= self.target_ratio if self.higher_is_better else self.ratio <= self.target_ratio


def best_rate(run: Callable[[], int], repeats: int = 5, min_time: float = 0.0) -> float:
    """Items per second of ``run`` (which returns how many items it handled): best of ``repeats``.

    The garbage collector runs as usual: it is part of what each side costs.
    """
    best = 0.0
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        count = run()
        elapsed = time.perf_counter() - start
        while elapsed < min_time:
            count += run()
            elapsed = time.perf_counter() - start
        best = max(best, count / elapsed)
    return best


def best_time(run: Callable[[], object], repeats: int = 5) -> float:
    """Seconds of the fastest of ``repeats`` runs."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def fmt_rate(value: float, unit: str) -> str:
    if unit.endswith("/s"):
        return f"{value:,.0f} {unit}"
    return f"{value:,.3g} {unit}"


def table(figures: list[Figure]) -> str:
    """A Markdown table of the figures (also readable in a terminal)."""
    rows = [("", "figure", "aurorakit", "baseline (same run)", "ratio", "target", "met")]
    for f in figures:
        rows.append((f.key, f.name, fmt_rate(f.ours, f.unit), f"{fmt_rate(f.baseline, f.unit)} ({f.baseline_name})",
                     f"{f.ratio:.3g}x", f.target, "yes" if f.met else "NO"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
