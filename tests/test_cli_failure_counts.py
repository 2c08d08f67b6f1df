"""The counts of failures the payload commands report: per file for conformance, per payload for
verify, and ``diff --rules`` as a command that succeeds. Inputs are the shared vectors with one
case spoiled by hand, and the webhook documentation's example (no identity table recorded)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aurorakit.runtime.cli.main import main
from shared import vector_file

DOC = Path(__file__).resolve().parent / "data" / "aurora-webhook-example.txt"


def test_conformance_counts_the_failed_case_in_its_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vectors = vector_file("aurora-0.22.0-lifecycles.json")
    cases = vectors["cases"][:3]
    spoiled = dict(cases[1])
    hashed = re.search(r'"cachedHashCode":(-?[1-9][0-9]*)', spoiled["payload"])
    assert hashed is not None
    spoiled["payload"] = spoiled["payload"].replace(hashed.group(0), f'"cachedHashCode":{int(hashed.group(1)) + 1}', 1)
    path = tmp_path / "spoiled.json"
    path.write_text(json.dumps({**vectors, "cases": [cases[0], spoiled, cases[2]]}), encoding="utf-8")
    assert main(["conformance", "--json", str(path)]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(f["passed"], f["failed"]) for f in lines if f["type"] == "file"] == [(2, 1)]
    assert len([line for line in lines if line["type"] == "failure"]) == 1


def test_verify_names_each_union_it_cannot_check_without_identities(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--aurora", "0.14", str(DOC)]) == 1  # the document's executorConfig mismatch
    out = capsys.readouterr().out.splitlines()
    # The document's task: resources numCpus, ramMb, diskMb and two named ports, a Mesos container.
    needs = [re.search(r"not verifiable (\S+) \(needs (\S+)\)", line) for line in out]
    assert [(m.group(1), m.group(2)) for m in needs if m] == [
        ("task.assignedTask.task.resources[0]", "Resource._Fields.NUM_CPUS"),
        ("task.assignedTask.task.resources[1]", "Resource._Fields.RAM_MB"),
        ("task.assignedTask.task.resources[2]", "Resource._Fields.DISK_MB"),
        ("task.assignedTask.task.resources[3]", "Resource._Fields.NAMED_PORT"),
        ("task.assignedTask.task.resources[4]", "Resource._Fields.NAMED_PORT"),
        ("task.assignedTask.task.container", "Container._Fields.MESOS")]
    assert out[-1] == "1 payload(s): 5 checked, 1 mismatch(es), 6 not verifiable"


def test_diff_rules_prints_the_rule_table_and_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--rules"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert {"TYPE_ADDED", "TYPE_REMOVED", "TYPE_RENAMED"} <= set(names)
