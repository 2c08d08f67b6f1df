"""Run one measurement in a fresh interpreter: nothing seen before, every intern table empty.

``call("benchmarks.bench_decode:decode_pass", path)`` starts
``python -m benchmarks.fresh``, which imports the module (and with it
aurorakit), calls the function once and prints its JSON result. Imports are
not timed; what the function times is the first pass a new process makes.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def call(function: str, *args: Any) -> Any:
    """``module:function(*args)`` in a fresh interpreter; its JSON result."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.fresh", function, json.dumps(args)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"{function} failed in its fresh process (exit {done.returncode}):\n{tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _main(argv: list[str]) -> int:
    module, name = argv[0].split(":")
    result = getattr(importlib.import_module(module), name)(*json.loads(argv[1]))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
