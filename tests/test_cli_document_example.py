"""``example --doc`` and ``calibrate --json`` on the webhook documentation's own example file
(tests/data/aurora-webhook-example.txt, copied from the documentation)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import RunCli

DOC = Path(__file__).resolve().parent / "data" / "aurora-webhook-example.txt"


def test_example_calibrated_from_the_document_is_the_documented_example(cli: RunCli) -> None:
    plain, from_doc = cli(["example"]), cli(["example", "--doc", str(DOC)])
    assert (plain.returncode, from_doc.returncode) == (0, 0), from_doc.stderr
    # The document's payloads give the identities its recorded hashes do: the same example.
    assert from_doc.stdout == plain.stdout and json.loads(from_doc.stdout)["task"]["assignedTask"]["taskId"]


def test_calibrate_json_ends_with_its_totals(cli: RunCli, tmp_path: Path) -> None:
    out = tmp_path / "identity.json"
    done = cli(["calibrate", str(DOC), "--aurora", "0.14", "-o", str(out), "--json"])
    last = json.loads(done.stdout.splitlines()[-1])
    assert done.returncode == (1 if last["conflicts"] else 0), done.stderr  # a conflict is a failure
    assert last["type"] == "totals" and last["written"] is True and last["interrupted"] is False
    assert last["output"] == str(out) and out.exists() and last["payloads"] >= 1
    assert set(last["found"]) >= {"Resource._Fields.NUM_CPUS", "Resource._Fields.RAM_MB", "Container._Fields.MESOS"}
