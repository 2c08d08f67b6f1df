"""Shared pieces of the benchmarks: timing (wall and CPU), results, the table."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Figure:
    """One benchmark figure: our rate against a baseline measured in the same run.

    ``ours``/``baseline`` are wall-clock figures; ``ours_cpu``/``baseline_cpu`` the
    same figures from this process's CPU time (0 where not measured, e.g. a
    baseline timed inside the JVM, whose CPU time is the JVM thread's).
    """

    key: str
    name: str
    unit: str  # what the rates count, e.g. "events/s", or "s" / "B" for lower-is-better
    ours: float
    baseline: float
    baseline_name: str
    target: str  # e.g. ">= 3x", or "-" where the issue sets none
    target_ratio: float | None
    higher_is_better: bool = True
    note: str = ""
    ours_cpu: float = 0.0
    baseline_cpu: float = 0.0

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("inf")

    @property
    def cpu_ratio(self) -> float | None:
        return self.ours_cpu / self.baseline_cpu if self.ours_cpu and self.baseline_cpu else None

    @property
    def met(self) -> str:
        if self.target_ratio is None:
            return "-"
        ok = self.ratio >= self.target_ratio if self.higher_is_better else self.ratio <= self.target_ratio
        return "yes" if ok else "NO"


@dataclass
class Timing:
    """Items per second of one timed run, by the wall clock and by this process's CPU time."""

    count: int
    wall: float
    cpu: float

    @property
    def rate(self) -> float:
        return self.count / self.wall if self.wall else float("inf")

    @property
    def cpu_rate(self) -> float:
        return self.count / self.cpu if self.cpu else float("inf")


def timed(run: Callable[[], int]) -> Timing:
    """One run of ``run`` (which returns how many items it handled), timed once.

    The garbage collector runs as usual: it is part of what each side costs.
    """
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    count = run()
    return Timing(count, time.perf_counter() - wall, time.process_time() - cpu)


def best(run: Callable[[], int], repeats: int = 5) -> Timing:
    """The fastest (by wall clock) of ``repeats`` runs: only for runs that may repeat honestly."""
    return max((timed(run) for _ in range(repeats)), key=lambda t: t.rate)


def fmt(value: float, unit: str) -> str:
    if unit.endswith("/s"):
        return f"{value:,.0f} {unit}"
    return f"{value:,.3g} {unit}"


def table(figures: list[Figure]) -> str:
    """A Markdown table of the figures (also readable in a terminal)."""
    rows = [("", "figure", "aurorakit", "baseline (same run)", "ratio wall", "ratio CPU", "target", "met")]
    for f in figures:
        cpu = f.cpu_ratio
        rows.append((f.key, f.name, fmt(f.ours, f.unit), f"{fmt(f.baseline, f.unit)} ({f.baseline_name})",
                     f"{f.ratio:.3g}x", "-" if cpu is None else f"{cpu:.3g}x", f.target, f.met))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def rate_figure(key: str, name: str, unit: str, ours: Timing, base: Timing, baseline_name: str,
                target: str, target_ratio: float | None, note: str = "") -> Figure:
    """A higher-is-better figure from two timings."""
    return Figure(key, name, unit, ours.rate, base.rate, baseline_name, target, target_ratio, note=note,
                  ours_cpu=ours.cpu_rate, baseline_cpu=base.cpu_rate)


def best_rate(run: Callable[[], int], repeats: int = 5) -> float:
    """Items per second (wall clock) of the fastest of ``repeats`` runs."""
    return best(run, repeats).rate


def best_time(run: Callable[[], object], repeats: int = 5) -> float:
    """Seconds of the fastest of ``repeats`` runs."""
    return min(timed(lambda: (run(), 1)[1]).wall for _ in range(repeats))
