"""Reading payloads from the files they come in, and pointing into them."""

from __future__ import annotations

import json

import pytest
from aurorakit.runtime.aurora.json_path import json_path_at
from aurorakit.runtime.aurora.payload_files import read_payload_file
from aurorakit.runtime.errors import FileError, PayloadError
from shared import vector_file, vector_path

PAYLOADS = [c["payload"] for c in vector_file("aurora-0.22.0-lifecycles.json")["cases"][:3]]


def test_json_lines_split_only_at_newlines(tmp_path) -> None:
    # Gson writes U+0085 (NEL) as is; str.splitlines() would cut the payload there.
    odd = PAYLOADS[0].replace('"scheduler":"aurora"', '"scheduler":"a\u0085b"', 1)
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join([odd, *PAYLOADS[1:]]) + "\n", encoding="utf-8")
    found = read_payload_file(str(path)).payloads
    assert [p.text for p in found] == [odd, *PAYLOADS[1:]]


def test_single_event_pretty_or_compact(tmp_path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(json.loads(PAYLOADS[0]), indent=2))
    assert len(read_payload_file(str(path)).payloads) == 1


def test_vector_file_keeps_its_metadata() -> None:
    source = read_payload_file(str(vector_path("aurora-0.14.0.json")))
    assert source.aurora == "0.14.0" and source.optional == "guava" and source.identity
    assert source.payloads[0].hashed in ("none", "taskconfig", "assigned", "all")


def test_files_without_payloads_are_errors(tmp_path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("no payload here")
    with pytest.raises(PayloadError, match="found no payload"):
        read_payload_file(str(path))
    with pytest.raises(FileError, match="missing.json: cannot read"):
        read_payload_file(str(tmp_path / "missing.json"))


@pytest.mark.parametrize("marker, path", [
    ('"taskId"', "task.assignedTask.taskId"),
    ('"RAM_MB"', "task.assignedTask.task.resources[0].setField"),
    ('"status":"ASSIGNED"', "task.status"),
])
def test_json_path_at(marker: str, path: str) -> None:
    text = PAYLOADS[1]
    assert json_path_at(text, text.index(marker) + 1) == path
