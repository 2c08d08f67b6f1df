"""Shared pieces of the benchmarks: timing (wall and CPU), figures, the table."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Self


@dataclass
class Figure:
    """One benchmark figure: our rate against a baseline measured in the same run.

    ``ours``/``baseline`` are wall-clock figures; ``ours_cpu``/``baseline_cpu`` the
    same figures from CPU time (0 where not measured). ``accelerated`` is the
    ratio the same figure reached with the optional C accelerator, or a word
    saying why there is none ("not built", "n/a" where it cannot apply).
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
    accelerated: str = "n/a"
    skipped: str = ""  # why the baseline could not be measured here (e.g. no java)

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("inf")

    @property
    def cpu_ratio(self) -> float | None:
        return self.ours_cpu / self.baseline_cpu if self.ours_cpu and self.baseline_cpu else None

    def verdict(self, ratio: float | None = None) -> str:
        """MET or MISSED for ``ratio`` (default: this figure's wall-clock ratio); "-" without a target."""
        if self.skipped:
            return "skipped"
        if self.target_ratio is None:
            return "-"
        r = self.ratio if ratio is None else ratio
        ok = r >= self.target_ratio if self.higher_is_better else r <= self.target_ratio
        return "MET" if ok else "MISSED"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Timing:
    """Items per second of one timed run, by the wall clock and by CPU time."""

    count: int
    wall: float
    cpu: float

    @property
    def rate(self) -> float:
        return self.count / self.wall if self.wall else float("inf")

    @property
    def cpu_rate(self) -> float:
        return self.count / self.cpu if self.cpu else float("inf")


@dataclass
class Stopwatch:
    """Wall and CPU time summed over several timed stretches (setup between them untimed)."""

    wall: float = 0.0
    cpu: float = 0.0
    _started: tuple[float, float] = field(default=(0.0, 0.0), repr=False)

    def __enter__(self) -> Self:
        self._started = (time.perf_counter(), time.process_time())
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._started[0]
        self.cpu += time.process_time() - self._started[1]

    def timing(self, count: int) -> Timing:
        return Timing(count, self.wall, self.cpu)


def timed(run: Callable[[], int]) -> Timing:
    """One run of ``run`` (which returns how many items it handled), timed once.

    The garbage collector runs as usual: it is part of what each side costs.
    """
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    count = run()
    return Timing(count, time.perf_counter() - wall, time.process_time() - cpu)


def best(run: Callable[[], int], repeats: int = 5) -> Timing:
    """The fastest (by wall clock) of ``repeats`` runs: only for runs with no cache to warm (hashing, baselines)."""
    return max((timed(run) for _ in range(repeats)), key=lambda t: t.rate)


def rate_figure(key: str, name: str, unit: str, ours: Timing, base: Timing, baseline_name: str,
                target: str, target_ratio: float | None, note: str = "") -> Figure:
    """A higher-is-better figure from two timings."""
    return Figure(key, name, unit, ours.rate, base.rate, baseline_name, target, target_ratio, note=note,
                  ours_cpu=ours.cpu_rate, baseline_cpu=base.cpu_rate)


def fmt(value: float, unit: str) -> str:
    if unit.endswith("/s"):
        return f"{value:,.0f} {unit}"
    return f"{value:,.3g} {unit}"


def _ratio(value: float) -> str:
    return f"{value:.3g}x"


def table(figures: list[Figure]) -> str:
    """A Markdown table of the figures (also readable in a terminal)."""
    rows = [("", "figure", "aurorakit", "baseline (same run)", "ratio wall", "ratio CPU", "target", "pure Python",
             "accelerated")]
    for f in figures:
        cpu = f.cpu_ratio
        if f.skipped:
            rows.append((f.key, f.name, fmt(f.ours, f.unit), f"skipped ({f.baseline_name})", "-", "-", f.target,
                         f.verdict(), f.accelerated))
            continue
        rows.append((f.key, f.name, fmt(f.ours, f.unit), f"{fmt(f.baseline, f.unit)} ({f.baseline_name})",
                     _ratio(f.ratio), "-" if cpu is None else _ratio(cpu), f.target, f.verdict(), f.accelerated))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def interleaved(ours: Callable[[int, int], object], base: Callable[[int, int], object], count: int,
                chunk: int) -> tuple[Timing, Timing]:
    """Both sides over items ``[i, j)``, a chunk of ours then the same chunk of the baseline, and so on.

    On a machine shared with other work, a burst of someone else's load then
    lands on both sides alike instead of on whichever ran second. Each item is
    still handled once by each side.
    """
    mine, theirs = Stopwatch(), Stopwatch()
    gc.collect()
    for start in range(0, count, chunk):
        end = min(count, start + chunk)
        with mine:
            ours(start, end)
        with theirs:
            base(start, end)
    return mine.timing(count), theirs.timing(count)
