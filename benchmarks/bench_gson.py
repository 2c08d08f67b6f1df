"""Gson measured in the same run: a small Java harness (``gson/GsonBench.java``) compiled
against Debian's Gson (``/usr/share/java/gson.jar``, package libgoogle-gson-java).

Each measurement is one fresh JVM given the very payloads aurorakit handled:
``write`` (trees parsed beforehand, untimed, then written: the encode
baselines) or ``replay`` (parse to a tree and write back). The JVM reports
its first pass ("cold": nothing compiled yet) and, after a warm-up, the best
of five passes ("warm"). The figures compare with the warm JVM: a scheduler
is a long-running JVM, and it is the harder baseline; the cold-JVM ratio is
in the figure's note.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .common import Figure, Timing

SOURCE = Path(__file__).resolve().parent / "gson" / "GsonBench.java"
GSON_JAR = Path(os.environ.get("AURORAKIT_GSON_JAR", "/usr/share/java/gson.jar"))
BASELINE = "Gson tree {mode}, warm JVM"
RESULTS = "AURORAKIT_BENCH_GSON_RESULTS"  # a folder where one suite run keeps its Gson measurements


def missing() -> str | None:
    """Why Gson cannot be measured here, or None when it can."""
    for tool in ("java", "javac"):
        if shutil.which(tool) is None:
            return f"no `{tool}` on PATH (install a JDK)"
    if not GSON_JAR.is_file():
        return f"no Gson jar at {GSON_JAR} (install libgoogle-gson-java, or set AURORAKIT_GSON_JAR)"
    return None


@dataclass
class GsonTimings:
    cold: Timing  # the first pass in a fresh JVM
    warm: Timing  # the best of five passes after the warm-up
    warmup_seconds: float


@functools.cache
def _classes() -> Path:
    out = Path(tempfile.mkdtemp(prefix="aurorakit-gson-"))
    subprocess.run(["javac", "-nowarn", "-cp", str(GSON_JAR), "-d", str(out), str(SOURCE)],
                   check=True, capture_output=True, text=True)
    return out


def measure(mode: str, payloads: list[str], max_warmup: float) -> GsonTimings:
    """Gson's ``mode`` (``write``, ``replay`` or ``parse``) over ``payloads`` in a fresh JVM.

    The JVM warms up until its passes stop getting faster, for at most ``max_warmup`` seconds.
    Within one suite run (``RESULTS`` names a folder), the same payloads are measured once:
    the accelerated child run compares with the very Gson figures the pure run did.
    """
    text = json.dumps(payloads, ensure_ascii=False)
    folder = os.environ.get(RESULTS)
    kept = None
    if folder:
        digest = hashlib.sha256(f"{mode} {max_warmup} {text}".encode()).hexdigest()[:32]
        kept = Path(folder) / f"gson-{digest}.json"
        if kept.is_file():
            return _timings(json.loads(kept.read_text(encoding="utf-8")))
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".json", delete=False) as fh:
        fh.write(text)
    try:
        cp = f"{_classes()}{os.pathsep}{GSON_JAR}"
        done = subprocess.run(["java", "-cp", cp, "GsonBench", mode, str(max_warmup), fh.name],
                              check=True, capture_output=True, text=True)
    finally:
        os.unlink(fh.name)
    found = json.loads(done.stdout)
    if kept is not None:
        kept.write_text(json.dumps(found), encoding="utf-8")
    return _timings(found)


def _timings(found: dict[str, Any]) -> GsonTimings:
    return GsonTimings(*(Timing(found[k]["count"], found[k]["wall"], found[k]["cpu"]) for k in ("cold", "warm")),
                       found["warmup_seconds"])


def figure(key: str, name: str, ours: Timing, mode: str, payloads: list[str], target: str,
           target_ratio: float | None, quick: bool, tiny: bool = False) -> Figure:
    """Our ``ours`` (payloads/s) against Gson's ``mode`` of the same ``payloads``, or a skipped figure."""
    baseline = BASELINE.format(mode=mode)
    reason = missing()
    if reason is not None:
        return Figure(key, name, "payloads/s", ours.rate, 0.0, baseline, target, target_ratio,
                      note=f"Gson not measured: {reason}", ours_cpu=ours.cpu_rate, skipped=reason)
    gson = measure(mode, payloads, 0.05 if tiny else 3.0 if quick else 20.0)
    note = (f"Gson on {len(payloads):,} of the same payloads, warm after {gson.warmup_seconds:.1f} s of warm-up; "
            f"against Gson's first pass in a cold JVM ({gson.cold.rate:,.0f}/s): {ours.rate / gson.cold.rate:.2f}x")
    return Figure(key, name, "payloads/s", ours.rate, gson.warm.rate, baseline, target, target_ratio, note=note,
                  ours_cpu=ours.cpu_rate, baseline_cpu=gson.warm.cpu_rate)
