"""Codegen: generating Aurora's 0.22 IDL, as it is and ten times over, against thriftpy2.load.

Each generation and each ``thriftpy2.load`` is the first call in a fresh
interpreter (imports untimed), as when a user runs the generator once: jinja2
compiles its templates and thriftpy2 builds its parser inside the timed call.
The figure is the median of several such processes for each side.

The 10x IDL repeats every definition ten times under new names (``Identity_3``...),
each copy referring to its own types, so it is ten times the work of the real one.
Generation that grows linearly keeps the same ratio to thriftpy2 at 1x and 10x.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from pathlib import Path

from .common import Figure
from .fresh import call

IDL = Path(__file__).resolve().parent.parent / "thrift" / "aurora" / "0.22" / "api.thrift"
_DEFINED = re.compile(r"^(?:struct|union|exception|enum|service)\s+(\w+)|^const\s+[^=]*?(\w+)\s*=", re.MULTILINE)


def copies(text: str, count: int) -> str:
    """``text`` with its definitions repeated ``count`` times, copy k's names suffixed ``_k``."""
    names = sorted({a or b for a, b in _DEFINED.findall(text)}, key=len, reverse=True)
    word = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("namespace "))
    head = "\n".join(line for line in text.splitlines() if line.startswith("namespace "))
    return head + "\n" + "\n".join(word.sub(lambda m, k=k: f"{m.group(1)}_{k}", body) for k in range(count)) + "\n"


def generate_once(idl: str, out: str) -> float:
    """(In a fresh process.) Seconds of one generate_package call, every file written."""
    from aurorakit.codegen import generate_package
    start = time.perf_counter()
    generate_package(Path(idl), "bench_package", out)
    return time.perf_counter() - start


def load_once(idl: str) -> float:
    """(In a fresh process.) Seconds of one thriftpy2.load call."""
    import thriftpy2
    start = time.perf_counter()
    thriftpy2.load(idl, module_name="bench_package_thrift")
    return time.perf_counter() - start


def _figure(key: str, name: str, idl: Path, processes: int, target: str, target_ratio: float | None) -> Figure:
    ours, base = [], []
    for n in range(processes):
        with tempfile.TemporaryDirectory(prefix="aurorakit-bench-") as out:
            ours.append(call("benchmarks.bench_codegen:generate_once", str(idl), out))
        base.append(call("benchmarks.bench_codegen:load_once", str(idl)))
    return Figure(key, name, "s", statistics.median(ours), statistics.median(base), "thriftpy2.load", target,
                  target_ratio, higher_is_better=False,
                  note=f"median of {processes} fresh processes each: ours {min(ours):.3f}-{max(ours):.3f} s, "
                       f"thriftpy2.load {min(base):.3f}-{max(base):.3f} s")


def run(quick: bool = False, tiny: bool = False) -> list[Figure]:
    processes = 1 if quick or tiny else 3
    with tempfile.TemporaryDirectory(prefix="aurorakit-bench-") as folder:
        tenfold = Path(folder) / "api10.thrift"
        tenfold.write_text(copies(IDL.read_text(encoding="utf-8"), 2 if tiny else 10), encoding="utf-8")
        one = _figure("CODEGEN", "codegen: Aurora 0.22 IDL, first call in a fresh process", IDL, processes, "-", None)
        ten = _figure("CODEGEN-10", "codegen: Aurora 0.22 IDL x10, first call in a fresh process", tenfold,
                      processes, "<= 2x time", 2.0)
    ten.note += (f"; 10x the IDL took {ten.ours / one.ours:.1f}x the time of 1x, thriftpy2.load "
                 f"{ten.baseline / one.baseline:.1f}x (linear is 10x)")
    return [one, ten]
