"""Codegen replaces a package whole: a failed or interrupted run leaves the old one importable."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aurorakit.codegen import check_package, generate, generate_package, render_idl
from aurorakit.codegen.render import HEADER_START
from aurorakit.runtime.errors import AurorakitError, FileError

REPO = Path(__file__).resolve().parent.parent
OLD_IDL = REPO / "thrift" / "aurora" / "0.14" / "api.thrift"
NEW_IDL = REPO / "thrift" / "aurora" / "0.22" / "api.thrift"


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def expected(idl: Path) -> dict[str, bytes]:
    return {rel: text.encode("utf-8") for rel, text in render_idl(idl, "api").items()}


def imports_cleanly(out: Path) -> str:
    code = "import api; print(api.ScheduledTask.__name__)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=out, capture_output=True, text=True, timeout=120)
    return proc.stdout.strip() if proc.returncode == 0 else proc.stderr


def test_regenerating_removes_what_it_no_longer_makes_and_keeps_the_rest(tmp_path: Path) -> None:
    generate_package(OLD_IDL, "api", tmp_path)
    root = tmp_path / "api"
    (root / "retired.py").write_text(HEADER_START + "0.0.1 from api.thrift\n")  # made by an older generator
    (root / "NOTES.md").write_text("mine\n")  # not generated: stays
    assert check_package(NEW_IDL, "api", tmp_path).extra == [str(root / "retired.py")]
    changed = generate_package(NEW_IDL, "api", tmp_path)
    assert str(root / "retired.py") in changed
    assert snapshot(root) == {**expected(NEW_IDL), "NOTES.md": b"mine\n"}
    assert check_package(NEW_IDL, "api", tmp_path).ok  # --check and regenerate agree
    assert generate_package(NEW_IDL, "api", tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == ["api"]  # no staging folder left behind


def test_a_run_failing_while_writing_leaves_the_old_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate_package(OLD_IDL, "api", tmp_path)
    before = snapshot(tmp_path / "api")
    real_write, calls = generate._write, []

    def disk_full_on_the_third_file(path: str, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(generate, "_write", disk_full_on_the_third_file)
    with pytest.raises(FileError, match="api: cannot write the generated package: No space left on device"):
        generate_package(NEW_IDL, "api", tmp_path)
    assert snapshot(tmp_path / "api") == before
    assert sorted(os.listdir(tmp_path)) == ["api"]
    assert imports_cleanly(tmp_path) == "ScheduledTask"


def test_an_unwritable_out_is_one_error_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(AurorakitError, match=f"{blocker / 'sub'}: cannot write the generated package here: Not a directory"):
        generate_package(OLD_IDL, "api", blocker / "sub")


def test_ctrl_c_at_any_moment_leaves_a_whole_package(tmp_path: Path) -> None:
    """SIGINT at spread-out moments of a run: the package is all old or all new, and imports."""
    generate_package(OLD_IDL, "api", tmp_path)
    old, new = expected(OLD_IDL), expected(NEW_IDL)
    seen = set()
    for delay in (0.05, 0.3, 0.6, 0.9, 1.2, 1.6, 2.5):
        generate_package(OLD_IDL, "api", tmp_path)
        proc = subprocess.Popen([sys.executable, "-m", "aurorakit.runtime.cli.main", "codegen", str(NEW_IDL),
                                 "--package", "api", "--out", str(tmp_path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
        now = snapshot(tmp_path / "api")
        assert now in (old, new), f"after SIGINT at {delay}s the package is a mix of old and new files"
        seen.add("new" if now == new else "old")
    assert imports_cleanly(tmp_path) == "ScheduledTask"
    assert "old" in seen  # at least one run was interrupted before the swap
