"""Per-file and per-payload report lines of conformance and verify, and the help's placeholders."""

from __future__ import annotations

import json

import pytest
from aurorakit.runtime.cli.main import main
from shared import vector_file, vector_path

VECTORS = "aurora-0.22.0-lifecycles.json"
CASES = vector_file(VECTORS)["cases"]


def test_conformance_counts_each_file_passed(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(vector_path(VECTORS))
    assert main(["conformance", "--json", path]) == 0
    files = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    files = [line for line in files if line["type"] == "file"]
    assert [(f["passed"], f["failed"]) for f in files] == [(len(CASES), 0)]


def test_verify_says_per_payload_unless_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(vector_path(VECTORS))
    assert main(["verify", path]) == 0
    said = [line for line in capsys.readouterr().out.splitlines() if line.startswith(f"{path}: case ")]
    assert len(said) == len(CASES)
    assert all(line.endswith("0 mismatch(es), 0 not verifiable") for line in said)
    assert main(["verify", "-q", path]) == 0
    assert f"{path}: case " not in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "shown"), [
    (["convert", "--help"], "-o FILE, --out FILE"),
    (["relay", "--help"], "--nats URL"),
])
def test_help_names_what_an_option_takes(argv: list[str], shown: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(argv)
    assert ended.value.code == 0
    assert shown in capsys.readouterr().out


def test_check_config_json_keeps_a_non_ascii_file_name(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "hooks-köln.json"  # unreadable: the report still names it
    status = main(["check-config", str(missing), "--aurora", "0.22", "--json"])
    out = capsys.readouterr().out
    assert status != 0
    assert json.loads(out)["file"] == str(missing)
    assert "köln" in out  # written as is, not as \u00f6
