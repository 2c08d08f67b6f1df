"""Run the benchmark suite: ``python -m benchmarks [--quick] [--only stream,decode] [--update-readme]``.

Each figure is measured against its baseline in the same run and printed as
a table with wall-clock and CPU ratios, the issue's target and whether it is
met. The figures are measured in pure Python (AURORAKIT_PURE=1); when the
optional accelerator (``aurorakit.runtime._speedups``) is built, the figures
it can change are measured again in a child run with it, for the
"accelerated" column. ``--update-readme`` rewrites the README's results.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import Figure, table

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
ACCELERATOR = "aurorakit.runtime._speedups"
ACCELERABLE = ("stream", "cold", "build", "wire", "decode", "replay", "memory")  # what the accelerator can change


def groups(file_mb: int | None = None) -> dict[str, Callable[..., Any]]:
    """The suite's figure functions by group name, in the order they run."""
    from . import (
        bench_codegen,
        bench_decode,
        bench_delivery,
        bench_encode,
        bench_files,
        bench_hash,
        bench_memory,
        bench_relay,
    )

    def files(quick: bool = False, tiny: bool = False) -> list[Figure]:
        return bench_files.run(quick=quick, file_mb=file_mb, tiny=tiny)
    return {"stream": bench_encode.run_stream, "cold": bench_encode.run_cold, "build": bench_encode.run_build,
            "wire": bench_encode.run_wire, "decode": bench_decode.run_decode, "replay": bench_decode.run_replay,
            "memory": bench_decode.run_memory, "hash": bench_hash.run, "codegen": bench_codegen.run,
            "delivery": bench_delivery.run, "relay": bench_relay.run, "rss": bench_memory.run, "files": files}


def run_group(function: Callable[..., Any], quick: bool, tiny: bool = False) -> list[Figure]:
    """The figures of one group; ``tiny`` (smallest inputs, for the smoke test) where the function has it."""
    kwargs = {"quick": quick or tiny}
    if tiny and "tiny" in inspect.signature(function).parameters:
        kwargs["tiny"] = True
    result = function(**kwargs)
    return result if isinstance(result, list) else [result]


def accelerator_built() -> bool:
    return importlib.util.find_spec(ACCELERATOR) is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller inputs: a smoke run, not a measurement")
    parser.add_argument("--only", metavar="GROUPS", help="comma-separated groups to run, e.g. stream,decode")
    parser.add_argument("--update-readme", action="store_true", help="rewrite the README's results section")
    parser.add_argument("--file-mb", type=int, metavar="MB",
                        help="files: size of the generated payload file (default 40; 1024 for the 1 GB figure)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of the table")
    parser.add_argument("--accelerated", action="store_true",
                        help="measure with the accelerator (the suite's own child run for its column)")
    args = parser.parse_args(argv)
    if not args.accelerated:
        os.environ["AURORAKIT_PURE"] = "1"  # before aurorakit is imported here or in any child process
        # Gson measured once per run: the accelerated child compares with the same figures.
        os.environ.setdefault("AURORAKIT_BENCH_GSON_RESULTS", tempfile.mkdtemp(prefix="aurorakit-bench-gson-"))
    chosen = groups(args.file_mb)
    if args.only:
        wanted = [k.strip().lower() for k in args.only.split(",")]
        unknown = [k for k in wanted if k not in chosen]
        if unknown:
            parser.error(f"unknown group(s) {', '.join(unknown)}; known: {', '.join(chosen)}")
        chosen = {k: v for k, v in chosen.items() if k in wanted}
    by_group: dict[str, list[Figure]] = {}
    started = time.time()
    for name, function in chosen.items():
        print(f"running {name} ...", end="", file=sys.stderr, flush=True)
        began = time.time()
        by_group[name] = run_group(function, args.quick)
        print(f" {time.time() - began:.0f} s", file=sys.stderr, flush=True)
    figures = [f for group in by_group.values() for f in group]
    if args.json:
        print(json.dumps([f.to_json() for f in figures]))
        return 0
    fill_accelerated({g: fs for g, fs in by_group.items() if g in ACCELERABLE}, args.quick)
    report = table(figures)
    print(report)
    notes = notes_of(figures)
    print(notes)
    if args.update_readme:
        update_readme(report, notes, time.time() - started, args.quick)
    return 0


def fill_accelerated(by_group: dict[str, list[Figure]], quick: bool) -> None:
    """The "accelerated" column of these groups' figures: a child run with the accelerator, or "not built"."""
    if not by_group:
        return
    found: dict[str, Figure] | None = None
    if accelerator_built():
        print(f"running {', '.join(by_group)} again with {ACCELERATOR} ...", file=sys.stderr, flush=True)
        env = {k: v for k, v in os.environ.items() if k != "AURORAKIT_PURE"}
        argv = [sys.executable, "-m", "benchmarks", "--json", "--accelerated", "--only", ",".join(by_group)]
        done = subprocess.run(argv + (["--quick"] if quick else []), cwd=ROOT, env=env, capture_output=True,
                              text=True, check=True)
        found = {d["key"]: Figure(**d) for d in json.loads(done.stdout.strip().splitlines()[-1])}
    for f in (f for group in by_group.values() for f in group):
        if found is None:
            f.accelerated = "not built"
        elif f.key not in found:
            f.accelerated = "not measured"
        else:
            other = found[f.key]
            verdict = other.verdict()
            f.accelerated = f"{other.ratio:.3g}x" + ("" if verdict == "-" else f" {verdict}")


def notes_of(figures: list[Figure]) -> str:
    """One line per figure with a note, and what each missed target lacks."""
    lines = [f"- {f.key}: {f.note}" for f in figures if f.note]
    for f in figures:
        if f.verdict() == "MISSED" and f.target_ratio:
            if f.higher_is_better:
                gap = f"{f.target_ratio / f.ratio:.2g}x too slow"
            else:
                gap = f"{f.ratio / f.target_ratio:.2g}x over"
            lines.append(f"- **{f.key} MISSED**: {f.ratio:.3g}x against {f.target}: {gap}")
        elif f.verdict() == "skipped":
            lines.append(f"- {f.key} skipped: {f.skipped}")
    return "\n".join(lines)


def update_readme(report: str, notes: str, seconds: float, quick: bool, readme: Path = README) -> None:
    """Replace what stands between the README's markers with this run's results."""
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: no {START} ... {END} section to rewrite")
    machine = (f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
               f"{_cpus()} CPUs, {time.strftime('%Y-%m-%d', time.gmtime())}")
    accel = "built" if accelerator_built() else "not built"
    body = (f"{START}\nMeasured by `python -m benchmarks{' --quick' if quick else ''} --update-readme` "
            f"({machine}; {seconds:.0f} s; accelerator {accel}). Ratios compare with a baseline measured in "
            f"the same run; \"pure Python\" judges the wall-clock ratio against the target.\n\n"
            f"{report}\n\n{notes}\n{END}")
    head, rest = text.split(START, 1)
    readme.write_text(head + body + rest.split(END, 1)[1], encoding="utf-8")


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    sys.exit(main())
