"""B5: generating Aurora's 0.22 IDL, once as it is and once ten times over, against
thriftpy2.load of the same IDL in the same run.

The 10x IDL repeats every definition ten times under new names (``Identity_3``...),
each copy referring to its own types, so it is ten times the work of the real one.
Generation that grows linearly keeps the same ratio to thriftpy2 at 1x and 10x,
and takes about ten times as long; the note says how much longer it took.
"""

from __future__ import annotations

import itertools
import re
import tempfile
from pathlib import Path

import thriftpy2

from aurorakit.codegen import generate_package
from aurorakit.codegen.build import build_module
from aurorakit.codegen.idl import load_idl
from aurorakit.codegen.render import render_package

from .common import Figure, best_time

IDL = Path(__file__).resolve().parent.parent / "thrift" / "aurora" / "0.22" / "api.thrift"
_names = itertools.count()
_DEFINED = re.compile(r"^(?:struct|union|exception|enum|service)\s+(\w+)|^const\s+[^=]*?(\w+)\s*=", re.M)


def copies(text: str, count: int) -> str:
    """``text`` with its definitions repeated ``count`` times, copy k's names suffixed ``_k``."""
    names = sorted({a or b for a, b in _DEFINED.findall(text)}, key=len, reverse=True)
    word = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("namespace "))
    head = "\n".join(line for line in text.splitlines() if line.startswith("namespace "))
    return head + "\n" + "\n".join(word.sub(lambda m, k=k: f"{m.group(1)}_{k}", body) for k in range(count)) + "\n"


def _figure(key: str, name: str, idl: Path, repeats: int, out: str) -> Figure:
    package_names = (f"bench_{n}" for n in _names)

    def ours() -> None:  # a new package each time: every file written
        generate_package(idl, next(package_names), out)

    def baseline() -> None:
        thriftpy2.load(str(idl), module_name=f"bench_{next(_names)}_thrift")

    ours()  # jinja2 compiles its templates once per process
    return Figure(key, name, "s", best_time(ours, repeats), best_time(baseline, repeats),
                  "thriftpy2.load", "<= 3x time", 3.0, higher_is_better=False)


def run(quick: bool = False) -> list[Figure]:
    repeats = 3 if quick else 7
    out = tempfile.mkdtemp(prefix="aurorakit-bench-")
    tenfold = Path(out) / "api10.thrift"
    tenfold.write_text(copies(IDL.read_text(encoding="utf-8"), 10), encoding="utf-8")
    one = _figure("B5", "codegen: full Aurora 0.22 IDL", IDL, repeats, out)
    ten = _figure("B5x10", "codegen: Aurora 0.22 IDL, 10 copies", tenfold, max(2, repeats // 2), out)
    stages = [best_time(lambda loaded=load_idl(idl): render_package(build_module(loaded), "bench"), repeats)
              for idl in (IDL, tenfold)]
    ten.note = (f"10x the IDL took {ten.ours / one.ours:.1f}x the time of 1x, thriftpy2.load "
                f"{ten.baseline / one.baseline:.1f}x; aurorakit's own stages after parsing (model and render) "
                f"{stages[1] / stages[0]:.1f}x ({stages[0]:.3f} s -> {stages[1]:.3f} s); linear is 10x")
    return [one, ten]
