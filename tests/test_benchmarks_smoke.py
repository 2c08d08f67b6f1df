"""The benchmark suite still runs: every figure function on its tiniest inputs (no timing asserted).

Speed is the suite's business (python -m benchmarks); these tests catch a
benchmark that no longer runs, measures nothing, or loses its baseline.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import __main__ as suite
from benchmarks import bench_gson
from benchmarks.common import Figure, Timing, table


@pytest.fixture(autouse=True)
def _environment_kept() -> Iterator[None]:
    """The suite's main() sets AURORAKIT_PURE for itself and its children; other tests in this
    worker process must not inherit it."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)

GROUPS = ["stream", "cold", "build", "wire", "decode", "replay", "memory", "hash", "codegen", "delivery",
          "relay", "rss", "files"]


def test_every_group_has_a_smoke_test() -> None:
    assert list(suite.groups()) == GROUPS


@pytest.mark.parametrize("group", GROUPS)
def test_figure_function_runs(group: str) -> None:
    figures = suite.run_group(suite.groups()[group], quick=True, tiny=True)
    assert figures, f"{group} produced no figure"
    for f in figures:
        assert f.ours > 0, f"{f.key}: nothing measured"
        if f.skipped:
            assert f.verdict() == "skipped"
        else:
            assert f.baseline > 0, f"{f.key}: no baseline measured"
            assert f.verdict() in ("MET", "MISSED", "-")
    assert len({f.key for f in figures}) == len(figures)


def test_verdicts_against_targets() -> None:
    faster = Figure("X", "x", "events/s", 300.0, 100.0, "base", ">= 3x", 3.0)
    slower = Figure("X", "x", "events/s", 299.0, 100.0, "base", ">= 3x", 3.0)
    smaller = Figure("M", "m", "B", 90.0, 100.0, "base", "<= 1x", 1.0, higher_is_better=False)
    bigger = Figure("M", "m", "B", 101.0, 100.0, "base", "<= 1x", 1.0, higher_is_better=False)
    untargeted = Figure("Y", "y", "events/s", 1.0, 100.0, "base", "-", None)
    assert [f.verdict() for f in (faster, slower, smaller, bigger, untargeted)] == ["MET", "MISSED", "MET",
                                                                                   "MISSED", "-"]
    notes = suite.notes_of([slower, bigger])
    assert "X MISSED**: 2.99x against >= 3x: 1x too slow" in notes
    assert "M MISSED**: 1.01x against <= 1x: 1x over" in notes


def test_gson_missing_gives_a_skipped_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_gson, "missing", lambda: "no `java` on PATH (install a JDK)")
    f = bench_gson.figure("K", "k", Timing(10, 1.0, 1.0), "write", ["{}"], ">= 3x", 3.0, quick=True)
    assert (f.verdict(), f.skipped) == ("skipped", "no `java` on PATH (install a JDK)")
    row = re.sub(" +", " ", table([f]).splitlines()[-1])
    assert row == "| K | k | 10 payloads/s | skipped (Gson tree write, warm JVM) | - | - | >= 3x | skipped | n/a |"


def test_accelerated_column_says_not_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suite, "accelerator_built", lambda: False)
    f = Figure("STREAM", "s", "events/s", 2.0, 1.0, "base", "-", None)
    other = Figure("HASH", "h", "strings/s", 2.0, 1.0, "base", "-", None)
    suite.fill_accelerated({"stream": [f]}, quick=True)
    assert (f.accelerated, other.accelerated) == ("not built", "n/a")


def test_update_readme_rewrites_only_its_section(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\nbefore\n{suite.START}\nold table\n{suite.END}\nafter\n", encoding="utf-8")
    suite.update_readme("| new | table |", "- a note", 12.0, quick=False, readme=readme)
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# title\n\nbefore\n" + suite.START) and text.endswith(suite.END + "\nafter\n")
    assert "old table" not in text and "| new | table |\n\n- a note\n" in text


def test_update_readme_without_markers_names_the_file(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no section\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="README.md: no <!-- benchmarks:start -->"):
        suite.update_readme("t", "n", 1.0, quick=False, readme=readme)


def test_unknown_group_is_one_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        suite.main(["--only", "stream,nope"])
    assert exit_.value.code == 2
    assert "unknown group(s) nope; known: stream, cold" in capsys.readouterr().err


def test_benchmark_inputs_fall_back_to_the_bundled_vectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clone without ../shared still runs the suite: the bundled tests/data vectors are read."""
    from benchmarks import data
    monkeypatch.setattr(data, "SHARED", tmp_path / "no-shared-here")
    data.lifecycle_payloads.cache_clear()
    data.vector_payloads.cache_clear()
    try:
        assert data.vector_path("aurora-0.22.0.json") == data.BUNDLED / "vectors" / "aurora-0.22.0.json"
        payloads = data.lifecycle_payloads("0.22.0")
        assert payloads and all(p.startswith('{"task":') for p in payloads[:5])
    finally:
        data.lifecycle_payloads.cache_clear()
        data.vector_payloads.cache_clear()
