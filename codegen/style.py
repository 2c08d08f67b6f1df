"""The last step of rendering: ruff lays out the generated text.

The templates print correct code; ruff (pinned in pyproject.toml, settings
in ``ruff.toml`` beside this module) gives it its final layout: imports,
``__all__`` and ``__slots__`` in isort's order, then ``ruff format``. The
same ruff version gives the same bytes on every machine, so generated/ stays
reproducible. The files of a package go to ruff in one call.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from .errors import GeneratedCodeError

CONFIG = Path(__file__).with_name("ruff.toml")
# Ordering rules only: what else ruff checks, generated code must pass as written (tests/test_generated_style.py).
_ORDERING = "I001,RUF022,RUF023"


def format_files(files: dict[str, str]) -> dict[str, str]:
    """``files`` ({relative path: Python source}) as ruff lays them out."""
    with tempfile.TemporaryDirectory(prefix="aurorakit-format-") as tmp:
        for rel, text in files.items():
            path = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        common = ["--config", str(CONFIG), "--no-cache", "--quiet"]
        _ruff(["check", "--fix-only", "--select", _ORDERING, *common, tmp])
        _ruff(["format", *common, tmp])
        out = {}
        for rel in files:
            with open(os.path.join(tmp, rel), encoding="utf-8", newline="") as fh:
                out[rel] = fh.read()
        return out


def _ruff(args: list[str]) -> None:
    from ruff import find_ruff_bin  # type: ignore[import-untyped]  # a dependency, imported only when generating

    done = subprocess.run([find_ruff_bin(), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise GeneratedCodeError(f"ruff {args[0]} failed on generated code: {done.stderr.strip() or done.stdout.strip()}")
