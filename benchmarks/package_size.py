"""What shipping every release's models costs: ``python -m benchmarks.package_size [--release 0.19]``.

Builds the wheel from a copy of the working tree (pip, with build isolation),
installs it into a temporary folder without dependencies, and prints: the
wheel's size, the installed size without and with bytecode (all of it, and
the generated models alone), and the time a fresh process takes to import
one release's package after the runtime it stands on (median of five runs,
bytecode compiled). Not part of the benchmark table: these are sizes, not
ratios against a baseline.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SKIP = shutil.ignore_patterns(".git", ".venv", "__pycache__", "build", "*.egg-info", ".mypy_cache",
                               ".pytest_cache", ".hypothesis")
_IMPORT = """\
import sys, time
t0 = time.perf_counter()
import aurorakit.runtime.codec
t1 = time.perf_counter()
module = __import__(sys.argv[1], fromlist=["*"])
t2 = time.perf_counter()
assert module.__file__.startswith(sys.path[1]), module.__file__  # the wheel's copy, not the working tree
print(f"{(t1 - t0) * 1000:.2f} {(t2 - t1) * 1000:.2f}")
"""


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.package_size", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--release", default="0.19", help="the release whose package is imported (default 0.19)")
    args = parser.parse_args(argv)
    from aurorakit.runtime.aurora.releases import release
    package = release(args.release).models_package
    with tempfile.TemporaryDirectory(prefix="aurorakit-size-") as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT, work / "src", ignore=_SKIP)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(work / "src"),
                        "-w", str(work / "wheel")], check=True)
        wheel = next((work / "wheel").glob("aurorakit-*.whl"))
        wheel_bytes = wheel.stat().st_size
        target = work / "site"
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile",
                        "--target", str(target), str(wheel)], check=True)
        installed, generated = size_of(target / "aurorakit"), size_of(target / "aurorakit" / "generated")
        compileall.compile_dir(str(target / "aurorakit"), quiet=1)
        with_pyc, generated_pyc = size_of(target / "aurorakit"), size_of(target / "aurorakit" / "generated")
        runs = []
        for _ in range(5):
            # The dependencies come from this environment; aurorakit from the installed wheel, first on the path.
            out = subprocess.run([sys.executable, "-c", _IMPORT, package], capture_output=True, text=True,
                                 check=True, cwd=tmp, env=dict(os.environ, PYTHONPATH=str(target)))
            runs.append(tuple(float(x) for x in out.stdout.split()))
    print(f"wheel                      {wheel_bytes / 1e3:8.0f} KB")
    print(f"installed, no bytecode     {installed / 1e6:8.2f} MB (generated models {generated / 1e6:.2f} MB)")
    print(f"installed, with bytecode   {with_pyc / 1e6:8.2f} MB (generated models {generated_pyc / 1e6:.2f} MB)")
    print(f"import runtime             {statistics.median(r[0] for r in runs):8.1f} ms (fresh process, median of 5)")
    print(f"import {package.rsplit('.', 1)[-1]:<19} {statistics.median(r[1] for r in runs):8.1f} ms (after the runtime)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
