"""Conformance against the shared vectors: Aurora's own payloads, byte for byte."""

from __future__ import annotations

import pytest
from aurorakit.runtime.aurora.conformance import check_file
from aurorakit.runtime.aurora.payload_files import read_payload_file
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.cli.main import main
from shared import HAVE_SHARED, VECTOR_FILES, vector_file, vector_path


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_every_vector_case_passes_both_checks(name: str) -> None:
    source = read_payload_file(str(vector_path(name)))
    models = profile_for(source.aurora or "").models()
    results = check_file(source, models)
    failures = [f"{r.label}: {p}" for r in results for p in r.problems]
    assert not failures, "\n".join(failures[:5])
    assert len(results) == len(source.payloads) > 0


def test_cli_reports_every_case_passed(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(vector_path(name)) for name in VECTOR_FILES]
    cases = sum(len(vector_file(name)["cases"]) for name in VECTOR_FILES)
    assert cases == (700 if HAVE_SHARED else 76)
    assert main(["conformance", "--quiet", *files]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"{cases} passed, 0 failed"


def test_cli_with_models_generated_from_the_idl(capsys: pytest.CaptureFixture[str]) -> None:
    from shared import ROOT
    vectors = str(vector_path("aurora-0.22.0.json"))
    idl = str(ROOT / "thrift" / "aurora" / "0.22" / "api.thrift")
    assert main(["conformance", "--quiet", "--idl", idl, vectors]) == 0
    cases = len(vector_file("aurora-0.22.0.json")["cases"])
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"{cases} passed, 0 failed"


def _one_case_file(tmp_path, name: str, index: int, edit) -> str:
    import json
    data = json.loads(vector_path(name).read_text())
    case = data["cases"][index]
    case["payload"] = edit(case["payload"])
    data["cases"] = [case]
    path = tmp_path / "one.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_a_payload_gson_would_not_write_fails_decode_encode(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    # Gson writes '<' as \u003c; a payload holding a bare '<' cannot come back byte for byte.
    path = _one_case_file(tmp_path, "aurora-0.22.0-lifecycles.json", 5,
                          lambda p: p.replace("\\u003cadmin\\u003e", "<admin>", 1))
    assert main(["conformance", path]) == 1
    out = capsys.readouterr().out
    assert "(a) decode -> encode: first difference at offset" in out
    assert "(task.taskEvents[1].message)" in out
    assert out.strip().splitlines()[-1] == "0 passed, 1 failed"


def test_an_edited_hashed_value_fails_the_rehash_check(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    # The TaskConfig was hashed: editing its job's role leaves the recorded hashes stale.
    path = _one_case_file(tmp_path, "aurora-0.22.0-lifecycles.json", 0,
                          lambda p: p.replace('"role":"', '"role":"x', 1))
    assert main(["conformance", path]) == 1
    out = capsys.readouterr().out
    assert "(a)" not in out
    assert "(b) clear hashes, rehash (taskconfig) -> encode: first difference" in out
    assert "(task.assignedTask.task.cachedHashCode)" in out


def test_a_wrong_identity_fails_the_rehash_check(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    import json
    data = json.loads(vector_path("aurora-0.14.0-lifecycles.json").read_text())
    data["cases"] = data["cases"][:5]
    data["identity"]["Resource._Fields.RAM_MB"] += 1
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(data))
    assert main(["conformance", str(path)]) == 1
    out = capsys.readouterr().out
    assert "(b) clear hashes, rehash" in out and "(a)" not in out
