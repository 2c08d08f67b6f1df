"""B5: generating the full Aurora 0.22 IDL, against thriftpy2.load of the same IDL."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import thriftpy2

from aurorakit.codegen import generate_package

from .common import Figure, best_time

IDL = Path(__file__).resolve().parent.parent / "thrift" / "aurora" / "0.22" / "api.thrift"
_names = itertools.count()


def run(quick: bool = False) -> Figure:
    repeats = 3 if quick else 7
    out = tempfile.mkdtemp(prefix="aurorakit-bench-")
    package_names = (f"bench_{n}" for n in _names)

    def ours() -> None:  # a new package each time: every file written
        generate_package(IDL, next(package_names), out)

    def baseline() -> None:
        thriftpy2.load(str(IDL), module_name=f"bench_{next(_names)}_thrift")

    ours()  # jinja2 compiles its templates once per process
    return Figure("B5", "codegen: full Aurora 0.22 IDL", "s", best_time(ours, repeats), best_time(baseline, repeats),
                  "thriftpy2.load", "<= 3x time", 3.0, higher_is_better=False)
