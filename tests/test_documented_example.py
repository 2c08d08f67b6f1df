"""The example of Aurora's webhook documentation: decode, rebuild, verify."""

from __future__ import annotations

import pytest
from aurorakit.runtime.aurora.event import decode_event
from aurorakit.runtime.aurora.example import documented_example, documented_identity
from aurorakit.runtime.aurora.verify import verify
from aurorakit.runtime.cli.main import main
from shared import document_path, document_payload


def test_compact_form_decodes_and_reencodes_to_the_same_bytes() -> None:
    payload = document_payload()
    assert decode_event(payload, "0.14").encode() == payload


def test_pretty_form_decodes_to_the_compact_bytes() -> None:
    import re
    text = document_path().read_text()
    pretty = [b for b in re.findall(r"```json[^\n]*\n(.*?)```", text, re.DOTALL) if '"task"' in b][0]
    assert decode_event(pretty, "0.14").encode() == document_payload()


def _differing_spans(a: str, b: str) -> list[tuple[int, int]]:
    spans, start = [], None
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and start is None:
            start = i
        elif x == y and start is not None:
            spans.append((start, i))
            start = None
    assert start is None and len(a) == len(b)
    return spans


def test_example_differs_only_in_executor_config_and_task_config_hashes() -> None:
    expected = document_payload()
    built = documented_example().encode()
    spans = _differing_spans(expected, built)
    from aurorakit.runtime.aurora.json_path import json_path_at
    paths = {json_path_at(expected, start) for start, _ in spans}
    assert paths == {"task.assignedTask.task.cachedHashCode",
                     "task.assignedTask.task.executorConfig.cachedHashCode"}


def test_example_command_prints_the_compact_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == documented_example().encode()
    assert len(printed) == len(document_payload())


def test_identities_solved_from_the_document_reproduce_its_union_hashes() -> None:
    table = documented_identity()
    assert set(table.known()) == {"Resource._Fields.NUM_CPUS", "Resource._Fields.RAM_MB", "Resource._Fields.DISK_MB",
                                  "Resource._Fields.NAMED_PORT", "Container._Fields.MESOS"}
    assert all(0 < v < 2**31 for v in table.known().values())
    # The task config built with them hashes as the document recorded, but for the edited data string:
    event = decode_event(document_payload(), "0.14")
    report = verify(event.task, table)
    assert [m.path for m in report.mismatches] == ["task.assignedTask.task.executorConfig"]


def test_verify_reports_exactly_the_executor_config(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "doc.json"
    path.write_text(document_payload())
    assert main(["verify", "--aurora", "0.14", str(path)]) == 1
    out = capsys.readouterr().out
    mismatches = [line for line in out.splitlines() if "MISMATCH" in line]
    assert len(mismatches) == 1
    assert "task.assignedTask.task.executorConfig: ExecutorConfig records cachedHashCode -1194797325" in mismatches[0]


def test_verify_reads_the_document_itself(capsys: pytest.CaptureFixture[str]) -> None:
    doc = str(document_path())
    assert main(["verify", "--aurora", "0.14", doc]) == 1
    assert sum("MISMATCH" in line for line in capsys.readouterr().out.splitlines()) == 1
