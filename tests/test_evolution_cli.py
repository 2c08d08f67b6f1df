"""aurorakit diff and convert as a user runs them: exit codes, formats, allow-lists, release notes.

The first test runs the command as its own process; the rest run ``main(argv)`` in this
process (the ``cli`` fixture), which gives the same exit status and output without an
interpreter start each.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aurorakit.codegen.evolution.notes import release_notes
from aurorakit.runtime.aurora.release_schemas import adjacent_releases
from shared import ROOT, SHARED, vector_path

RunCli = Callable[..., Any]

OLD = "struct A {\n  1: i32 x\n  2: string y\n}\n"
NEW = "struct A {\n  1: i32 x\n  2: string z\n  3: optional A next\n}\n"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The command as its own process."""
    return subprocess.run([sys.executable, "-m", "aurorakit.runtime.cli.main", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old, new = tmp_path / "old" / "api.thrift", tmp_path / "new" / "api.thrift"
    old.write_text(OLD)
    new.write_text(NEW)
    return old, new


def test_a_break_exits_1_and_names_rule_place_and_categories(pair: tuple[Path, Path]) -> None:
    got = run("diff", str(pair[0]), str(pair[1]))
    assert got.returncode == 1, got.stderr
    assert f"{pair[1]}:3" in got.stdout and "FIELD_RENAMED" in got.stdout and "GSON_JSON,PY_API" in got.stdout
    assert got.stderr.strip() == "2 changes: 1 breaking (GSON_JSON 1, PY_API 1), 0 accepted, 1 not breaking"


def test_fail_on_wire_only_passes_a_rename(pair: tuple[Path, Path], cli: RunCli) -> None:
    assert cli(["diff", str(pair[0]), str(pair[1]), "--fail-on", "WIRE"]).returncode == 0


def test_json_report(pair: tuple[Path, Path], cli: RunCli) -> None:
    got = cli(["diff", str(pair[0]), str(pair[1]), "--json"])
    data = json.loads(got.stdout)
    assert [(c["rule"], c["symbol"], c["status"], c["breaks"]) for c in data["changes"]] == [
        ("FIELD_RENAMED", "A.z", "breaking", ["GSON_JSON", "PY_API"]),
        ("FIELD_ADDED", "A.next", "not_breaking", [])]
    assert data["fails"] is True


def test_allow_list_accepts_a_known_break_and_reports_stale_entries(pair: tuple[Path, Path], tmp_path: Path,
                                                                   cli: RunCli) -> None:
    allow = tmp_path / "allow.json"
    allow.write_text(json.dumps({"accept": [
        {"rule": "FIELD_RENAMED", "at": "A.z", "reason": "consumers moved to z"},
        {"rule": "FIELD_REMOVED", "at": "A.gone", "reason": "left over"}]}))
    got = cli(["diff", str(pair[0]), str(pair[1]), "--allow", str(allow)])
    assert got.returncode == 0, got.stdout
    assert "stale allow-list entry: FIELD_REMOVED at A.gone (left over)" in got.stdout
    assert "accepted" in got.stdout


@pytest.mark.parametrize("args, place", [
    (["diff", "0.13", "0.22"], "unknown Aurora release '0.13'"),
    (["diff", "missing.thrift", "0.22"], "missing.thrift"),
    (["diff", "0.19"], "diff needs OLD and NEW"),
    (["diff", "0.19", "0.20", "--fail-on", "WIRES"], "--fail-on"),
    (["convert", "x.jsonl", "--to", "0.99"], "--to 0.99: unknown Aurora release '0.99'"),
    (["convert", "x.jsonl", "--from", "0.99", "--to", "0.22"], "--from 0.99: unknown Aurora release '0.99'"),
])
def test_bad_input_is_one_line_exit_2(args: list[str], place: str, cli: RunCli) -> None:
    got = cli(args)
    assert got.returncode == 2, got
    assert "Traceback" not in got.stderr and place in got.stderr and len(got.stderr.strip().splitlines()) == 1


def test_bad_allow_list_names_the_entry(pair: tuple[Path, Path], tmp_path: Path, cli: RunCli) -> None:
    allow = tmp_path / "allow.json"
    allow.write_text(json.dumps({"accept": [{"rule": "NOPE", "at": "A.z", "reason": "x"}]}))
    got = cli(["diff", str(pair[0]), str(pair[1]), "--allow", str(allow)])
    assert got.returncode == 2 and "accept[0].rule: unknown rule 'NOPE'" in got.stderr


def test_releases_by_name_0_19_to_0_20(tmp_path: Path, cli: RunCli) -> None:
    """From the schema facts: 0.20 drops TaskConfig's legacy resource fields and adds PARTITIONED.

    Run from an unrelated folder: the IDLs come from the installed package (aurorakit.thrift).
    """
    got = json.loads(cli(["diff", "0.19.1", "0.20", "--json"], cwd=tmp_path).stdout)
    rules = {(c["rule"], c["symbol"]) for c in got["changes"]}
    assert {("FIELD_REMOVED", "TaskConfig.numCpus"), ("FIELD_REMOVED", "TaskConfig.ramMb"),
            ("FIELD_REMOVED", "TaskConfig.diskMb"), ("FIELD_REMOVED", "TaskConfig.requestedPorts"),
            ("FIELD_ADDED", "ScheduledTask.timesPartitioned"),
            ("ENUM_VALUE_ADDED", "ScheduleStatus.PARTITIONED")} <= rules


def test_release_notes_are_current() -> None:
    path = ROOT / "thrift" / "aurora" / "CHANGES.md"
    assert path.read_text(encoding="utf-8") == release_notes(adjacent_releases()), \
        "stale: regenerate with aurorakit diff --release-notes"


def _facts(schema: str) -> dict[str, object]:
    path = SHARED / "aurora-schema" / f"api-{schema}.0.json"
    if not path.exists():
        pytest.skip(f"schema facts not found at {path} (../shared is not beside the project)")
    return json.loads(path.read_text())


def test_adjacent_reports_agree_with_the_schema_facts() -> None:
    """Fields, arms and enum values added or removed, computed from the facts files alone."""
    from aurorakit.codegen.evolution import diff
    from aurorakit.codegen.evolution.schema import load_schema
    sides = adjacent_releases()
    for old_side, new_side in zip(sides, sides[1:]):
        old_f, new_f = _facts(old_side.idl.parent.name), _facts(new_side.idl.parent.name)
        expected = set()
        old_e = {e["name"]: dict(e["values"]) for e in old_f["enums"]}
        new_e = {e["name"]: dict(e["values"]) for e in new_f["enums"]}
        for name in old_e.keys() & new_e.keys():
            gone = {v: n for v, n in old_e[name].items() if v not in new_e[name]}
            fresh = {v: n for v, n in new_e[name].items() if v not in old_e[name]}
            renamed = {v for v, n in gone.items() if n in fresh.values()}  # same number, new name
            expected |= {("ENUM_VALUE_RENAMED", f"{name}.{fresh_v}") for fresh_v, n in fresh.items()
                         if n in {gone[v] for v in renamed}}
            expected |= {("ENUM_VALUE_ADDED", f"{name}.{v}") for v, n in fresh.items() if n not in gone.values()}
            expected |= {("ENUM_VALUE_REMOVED", f"{name}.{v}") for v, n in gone.items() if n not in fresh.values()}
        old_t = {t["name"]: t for t in old_f["types"]}
        new_t = {t["name"]: t for t in new_f["types"]}
        expected |= {("TYPE_ADDED", n) for n in new_t.keys() - old_t.keys()}
        expected |= {("TYPE_REMOVED", n) for n in old_t.keys() - new_t.keys()}
        for name in old_t.keys() & new_t.keys():
            prefix = "ARM" if new_t[name]["kind"] == "union" else "FIELD"
            old_ids = {f["id"]: f["name"] for f in old_t[name]["fields"]}
            new_ids = {f["id"]: f["name"] for f in new_t[name]["fields"]}
            expected |= {(f"{prefix}_ADDED", f"{name}.{new_ids[i]}") for i in new_ids.keys() - old_ids.keys()}
            expected |= {(f"{prefix}_REMOVED", f"{name}.{old_ids[i]}") for i in old_ids.keys() - new_ids.keys()}
            expected |= {(f"{prefix}_RENAMED", f"{name}.{new_ids[i]}") for i in old_ids.keys() & new_ids.keys()
                         if old_ids[i] != new_ids[i]}
        watched = {"ENUM_VALUE_ADDED", "ENUM_VALUE_REMOVED", "ENUM_VALUE_RENAMED", "TYPE_ADDED", "FIELD_RENAMED",
                   "ARM_RENAMED",
                   "TYPE_REMOVED", "FIELD_ADDED", "FIELD_REMOVED", "ARM_ADDED", "ARM_REMOVED"}
        changes = diff(load_schema(old_side.idl), load_schema(new_side.idl))
        got = {(c.rule, c.symbol) for c in changes if c.rule in watched}
        assert got == expected, f"{old_side.label} -> {new_side.label}"


def test_convert_there_and_back_through_the_command_line(tmp_path: Path, cli: RunCli) -> None:
    source = vector_path("aurora-0.22.0-lifecycles.json")
    as_014, again = tmp_path / "as-0.14.jsonl", tmp_path / "again.jsonl"
    first = cli(["convert", str(source), "--to", "0.14", "-o", str(as_014)])
    assert first.returncode == 0, first.stderr
    assert as_014.read_text().splitlines()[0] == '{"aurora": "0.14.0"}'
    assert "defaulted" in first.stderr and "task.assignedTask.task.numCpus" in first.stderr
    second = cli(["convert", str(as_014), "--to", "0.22", "-o", str(again), "--strict"])
    assert second.returncode == 0, second.stderr
    payloads = [case["payload"] for case in json.loads(source.read_text())["cases"]]
    assert again.read_text().splitlines()[1:] == payloads
    check = cli(["conformance", str(as_014)])
    assert check.returncode == 0 and check.stdout.strip().endswith(f"{len(payloads)} passed, 0 failed"), check.stdout


def test_convert_strict_names_the_dropped_field(tmp_path: Path, cli: RunCli) -> None:
    source = vector_path("aurora-0.14.0.json")
    got = cli(["convert", str(source), "--to", "0.22", "--strict", "-o", str(tmp_path / "x.jsonl")])
    assert got.returncode == 2 and "Traceback" not in got.stderr
    assert "task.assignedTask.task." in got.stderr and "(--strict)" in got.stderr
