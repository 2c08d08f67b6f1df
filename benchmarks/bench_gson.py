"""Gson measured in the same run: a small Java harness (``gson/GsonBench.java``) compiled
against Debian's Gson (``/usr/share/java/gson.jar``, package libgoogle-gson-java).

Gson parses the same payloads into trees and writes them back (the replay
baseline), and writes them from trees parsed beforehand (the encode
baseline); warm (after a warm-up, best of five passes, timed inside the JVM)
and cold (the first pass in a fresh JVM, its start-up not counted).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .common import Timing

SOURCE = Path(__file__).resolve().parent / "gson" / "GsonBench.java"
GSON_JAR = Path(os.environ.get("AURORAKIT_GSON_JAR", "/usr/share/java/gson.jar"))


def missing() -> str | None:
    """Why Gson cannot be measured here, or None when it can."""
    for tool in ("java", "javac"):
        if shutil.which(tool) is None:
            return f"no `{tool}` on PATH (install a JDK)"
    if not GSON_JAR.is_file():
        return f"no Gson jar at {GSON_JAR} (install libgoogle-gson-java, or set AURORAKIT_GSON_JAR)"
    return None


@functools.lru_cache(maxsize=None)
def _classes() -> Path:
    out = Path(tempfile.mkdtemp(prefix="aurorakit-gson-"))
    subprocess.run(["javac", "-nowarn", "-cp", str(GSON_JAR), "-d", str(out), str(SOURCE)],
                   check=True, capture_output=True, text=True)
    return out


def _run(mode: list[str], payloads: list[str]) -> dict[str, Timing]:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".json", delete=False) as fh:
        json.dump(payloads, fh, ensure_ascii=False)
    try:
        cp = f"{_classes()}{os.pathsep}{GSON_JAR}"
        done = subprocess.run(["java", "-cp", cp, "GsonBench", *mode, fh.name],
                              check=True, capture_output=True, text=True)
    finally:
        os.unlink(fh.name)
    return {name: Timing(t["count"], t["wall"], t["cpu"]) for name, t in json.loads(done.stdout).items()}


def warm(payloads: list[str], seconds: float = 2.0) -> dict[str, Timing]:
    """Gson's ``replay``, ``write`` and ``parse`` timings after a warm-up of ``seconds`` each."""
    return _run(["warm", str(seconds)], payloads)


def cold(payloads: list[str]) -> dict[str, Timing]:
    """Gson's first ``replay`` pass and first ``write`` pass, each in a fresh JVM."""
    return {**_run(["cold-replay"], payloads), **_run(["cold-write"], payloads)}
