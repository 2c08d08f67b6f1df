"""The live JDK as a test oracle.

Java oracle programs live in ``tests/java/``: each reads requests from
stdin, one per line, and writes exactly one answer line per request to
stdout.  This module finds ``java``/``javac``, compiles the oracles with one
javac run per test run into a temporary folder its workers share, and runs a
whole batch of requests through one JVM::

    from jdk import oracle, GSON_JAR, utf16_hex, from_utf16_hex

    to_string = oracle("DoubleToString")               # tests/java/DoubleToString.java
    answers = to_string.ask(["3ff0000000000000"])       # -> ["1.0"]

    escape = oracle("GsonEscape", jars=[GSON_JAR])      # skips if Gson is missing

``oracle`` calls ``pytest.skip`` (with the reason) when the JDK or a jar is
missing, so call it inside a test or fixture.  Requests and answers are
ASCII lines; strings cross the pipe as hex UTF-16 code units
(``utf16_hex``/``from_utf16_hex``) so that lone surrogates and characters
outside the BMP survive.  An oracle must answer every request with exactly
one line, in order, and exit 0.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

JAVA_SOURCES = Path(__file__).resolve().parent / "java"
GSON_JAR = Path("/usr/share/java/gson.jar")  # Debian's libgoogle-gson-java

_compiled: dict[tuple[str, tuple[Path, ...]], Oracle] = {}
_build_root: Path | None = None


class Oracle:
    """A compiled Java oracle program; ``ask`` runs one batch through one JVM."""

    def __init__(self, java: str, main_class: str, classpath: Sequence[Path]) -> None:
        self.java = java
        self.main_class = main_class
        self.classpath = os.pathsep.join(str(p) for p in classpath)

    def ask(self, requests: Iterable[str], timeout: float = 300) -> list[str]:
        """Send one request per line; return the answers, one per request."""
        lines = list(requests)
        if not lines:
            return []
        if any("\n" in line or "\r" in line for line in lines):
            raise ValueError("a request must be a single line")
        done = subprocess.run(
            [self.java, "-cp", self.classpath, self.main_class],
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            encoding="ascii",
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{self.main_class} failed ({done.returncode}):\n{done.stderr}")
        answers = done.stdout.split("\n")[:-1]
        if len(answers) != len(lines):
            raise RuntimeError(
                f"{self.main_class} gave {len(answers)} answers to {len(lines)} requests:\n{done.stderr}"
            )
        return answers


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None and os.environ.get("JAVA_HOME"):
        candidate = Path(os.environ["JAVA_HOME"]) / "bin" / name
        found = str(candidate) if candidate.exists() else None
    if found is None:
        pytest.skip(f"`{name}` not found (install a JDK, e.g. openjdk-17-jdk-headless) so no JDK oracle")
    return found


BUILD_ENV = "JDK_ORACLE_CLASSES"  # a folder the test run's workers share (conftest.py makes and removes it)


def _build_dir() -> Path:
    global _build_root
    if _build_root is None:
        if os.environ.get(BUILD_ENV):
            _build_root = Path(os.environ[BUILD_ENV])
        else:
            _build_root = Path(tempfile.mkdtemp(prefix="aurorakit-jdk-"))
            atexit.register(shutil.rmtree, _build_root, True)
    return _build_root


def _all_compiled(javac: str) -> Path | None:
    """Every oracle in tests/java compiled by one javac run (each javac start costs a second or more of CPU),
    once per test run for all its workers; None when that fails (Gson missing): then each is compiled alone."""
    root = _build_dir()
    done, failed = root / "all", root / "all.failed"
    with open(root / "all.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker compiles, the others wait for its classes
        if not done.is_dir() and not failed.exists():
            work = Path(tempfile.mkdtemp(dir=root))
            classpath = os.pathsep.join(map(str, [work, *([GSON_JAR] if GSON_JAR.exists() else [])]))
            compiled = subprocess.run([javac, "-encoding", "UTF-8", "-d", str(work), "-cp", classpath,
                                       *map(str, sorted(JAVA_SOURCES.glob("*.java")))],
                                      capture_output=True, text=True, check=False)
            if compiled.returncode == 0:
                work.rename(done)
            else:
                failed.write_text(compiled.stdout + compiled.stderr)
    return done if done.is_dir() else None


def oracle(name: str, jars: Sequence[Path] = ()) -> Oracle:
    """Compile ``tests/java/<name>.java`` (once per session) and return it.

    ``jars`` are added to the class path for compiling and running; a missing
    jar skips the calling test.
    """
    key = (name, tuple(jars))
    if key in _compiled:
        return _compiled[key]
    for jar in jars:
        if not jar.exists():
            pytest.skip(f"{jar} is missing (Debian: apt-get install libgoogle-gson-java)")
    javac, java = _tool("javac"), _tool("java")
    every = _all_compiled(javac)
    if every is not None and (every / f"{name}.class").exists():
        _compiled[key] = Oracle(java, name, [every, *jars])
        return _compiled[key]
    source = JAVA_SOURCES / f"{name}.java"
    out = _build_dir() / f"{name}-{os.getpid()}-{len(_compiled)}"
    out.mkdir()
    classpath = [out, *jars]
    done = subprocess.run(
        [javac, "-encoding", "UTF-8", "-d", str(out), "-cp", os.pathsep.join(map(str, classpath)), str(source)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"javac {source.name} failed:\n{done.stdout}{done.stderr}")
    _compiled[key] = Oracle(java, name, classpath)
    return _compiled[key]


def utf16_hex(s: str) -> str:
    """``s`` as hex UTF-16 code units, 4 digits each (lone surrogates kept)."""
    return s.encode("utf-16-be", "surrogatepass").hex()


def from_utf16_hex(h: str) -> str:
    """Inverse of ``utf16_hex``; surrogate pairs become one character."""
    return bytes.fromhex(h).decode("utf-16-be", "surrogatepass")
