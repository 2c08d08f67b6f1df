"""The bundled test data (tests/data) is a faithful subset of the team's shared vectors."""

from __future__ import annotations

import json

import pytest
from shared import BUNDLED, VECTOR_FILES, shared_path


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_bundled_vector_cases_are_copies_of_shared_cases(name: str) -> None:
    full = json.loads(shared_path("vectors", name).read_text(encoding="utf-8"))
    small = json.loads((BUNDLED / "vectors" / name).read_text(encoding="utf-8"))
    assert {k: v for k, v in small.items() if k != "cases"} == {k: v for k, v in full.items() if k != "cases"}
    by_name = {case["name"]: case for case in full["cases"]}
    assert small["cases"] and all(by_name[case["name"]] == case for case in small["cases"])
    if "lifecycles" not in name:  # every kind of hashing is represented
        assert {case["hashed"] for case in small["cases"]} == {"none", "taskconfig", "assigned", "all"}


def test_bundled_doubles_are_lines_of_the_shared_file() -> None:
    full = set(shared_path("vectors", "java-double-tostring.tsv").read_text(encoding="ascii").splitlines())
    small = (BUNDLED / "vectors" / "java-double-tostring.tsv").read_text(encoding="ascii").splitlines()
    assert len(small) == 3_001 and set(small) <= full


def test_bundled_document_is_the_shared_one() -> None:
    full = shared_path("seed", "000_4f46e835b9fd45b2.txt").read_bytes()
    assert (BUNDLED / "aurora-webhook-example.txt").read_bytes() == full
