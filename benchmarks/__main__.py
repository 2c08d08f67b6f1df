"""Run the benchmark suite: ``python -m benchmarks [--quick] [--only B1,B3] [--update-readme]``.

Each figure is measured against its baseline in the same run and printed as
a table with the ratio and the target; ``--update-readme`` rewrites the
README's results section from this run.
"""

from __future__ import annotations

import argparse
import functools
import platform
import sys
import time
from pathlib import Path

from . import bench_codegen, bench_decode, bench_hash
from .common import Figure, table

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


def suites(file_mb: int | None = None) -> dict[str, object]:
    from . import bench_delivery, bench_encode, bench_files, bench_memory
    return {"B1": bench_encode.run_stream, "B2": bench_encode.run_cold, "B3": bench_decode.run,
            "B4": bench_hash.run, "B5": bench_codegen.run, "B6": bench_delivery.run, "MEM": bench_memory.run,
            "FILES": functools.partial(bench_files.run, file_mb=file_mb)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller inputs: a smoke run, not a measurement")
    parser.add_argument("--only", metavar="KEYS", help="comma-separated figures to run, e.g. B1,B3")
    parser.add_argument("--update-readme", action="store_true", help="rewrite the README's results section")
    parser.add_argument("--file-mb", type=int, metavar="MB",
                        help="FILES: size of the generated payload file (default 40; 1024 for the 1 GB figure)")
    args = parser.parse_args(argv)
    chosen = suites(args.file_mb)
    if args.only:
        wanted = [k.strip().upper() for k in args.only.split(",")]
        unknown = [k for k in wanted if k not in chosen]
        if unknown:
            parser.error(f"unknown figure(s) {', '.join(unknown)}; known: {', '.join(chosen)}")
        chosen = {k: v for k, v in chosen.items() if k in wanted}
    figures: list[Figure] = []
    started = time.time()
    for key, run in chosen.items():
        print(f"running {key} ...", file=sys.stderr, flush=True)
        result = run(quick=args.quick)  # type: ignore[operator]
        figures.extend(result if isinstance(result, list) else [result])
    report = table(figures)
    print(report)
    for f in figures:
        if f.note:
            print(f"{f.key}: {f.note}")
    if args.update_readme:
        update_readme(figures, report, time.time() - started, args.quick)
    return 0


def update_readme(figures: list[Figure], report: str, seconds: float, quick: bool) -> None:
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{README} has no {START} ... {END} section")
    machine = f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, {_cpus()} CPUs"
    notes = "".join(f"\n- {f.key}: {f.note}" for f in figures if f.note)
    body = (f"{START}\nMeasured by `python -m benchmarks{' --quick' if quick else ''} --update-readme` "
            f"({machine}; {seconds:.0f} s). Ratios compare with a baseline measured in the same run.\n\n"
            f"{report}\n{notes}\n{END}")
    head, rest = text.split(START, 1)
    README.write_text(head + body + rest.split(END, 1)[1], encoding="utf-8")


def _cpus() -> int:
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    sys.exit(main())
