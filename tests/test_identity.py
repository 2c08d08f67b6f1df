"""Identity tables: defaults, files, and calibration from captured payloads."""

from __future__ import annotations

import json

import pytest
from aurorakit.runtime.aurora.event import decode_event
from aurorakit.runtime.aurora.verify import calibrate
from aurorakit.runtime.cli.main import main
from aurorakit.runtime.identity import IdentityTable, UnknownIdentity, default_identity
from shared import vector_file, vector_path


def test_default_is_deterministic_positive_31_bit() -> None:
    import hashlib
    key = "ScheduleStatus.RUNNING"
    expected = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") & 0x7FFFFFFF
    assert default_identity(key) == expected and 0 < expected < 2**31
    assert IdentityTable()[key] == expected
    with pytest.raises(UnknownIdentity):
        IdentityTable(strict=True)[key]


def test_load_save_round_trip_in_the_vectors_format(tmp_path) -> None:
    table = IdentityTable.load(vector_path("aurora-0.22.0.json"))
    assert table.known() == vector_file("aurora-0.22.0.json")["identity"]
    table["Unlisted.KEY"]  # defaulted: not saved
    path = tmp_path / "identity.json"
    table.save(path)
    saved = json.loads(path.read_text())
    assert saved == {"identity": vector_file("aurora-0.22.0.json")["identity"]}
    assert IdentityTable.load(path).known() == table.known()


def test_bad_tables_are_refused(tmp_path) -> None:
    for data in ({"identity": {"X.Y": "1"}}, {"identity": {"noDot": 1}}, [1, 2], {"X.Y": 2**31}):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(data))
        with pytest.raises(ValueError):
            IdentityTable.load(path)


@pytest.mark.parametrize("name", ["aurora-0.14.0.json", "aurora-0.22.0.json"])
def test_calibration_recovers_the_vectors_identities(name: str) -> None:
    data = vector_file(name)
    tasks = [decode_event(c["payload"], data["aurora"]).task for c in data["cases"]]
    result = calibrate(tasks)
    assert not result.conflicts
    truth = data["identity"]
    assert all(truth[k] == v for k, v in result.found.items())
    # The tables list every constant of the IDL; payloads of random ScheduledTasks
    # use those reachable from it: every union arm and status, among others.
    reachable = {k for k in truth if k.split(".")[0] in ("Resource", "Container", "Image", "TaskConstraint",
                                                          "ScheduleStatus", "SlaPolicy")}
    assert reachable <= set(result.found) | result.unknown
    assert len(result.found) >= 0.9 * len(reachable), sorted(reachable - set(result.found))


def test_calibrate_command(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "identity.json"
    assert main(["calibrate", str(vector_path("aurora-0.22.0-lifecycles.json")), "-o", str(out)]) == 0
    found = json.loads(out.read_text())["identity"]
    truth = vector_file("aurora-0.22.0-lifecycles.json")["identity"]
    assert found and all(truth[k] == v for k, v in found.items())
    assert "identity hash(es) found" in capsys.readouterr().out


def test_calibration_reports_a_conflict() -> None:
    data = vector_file("aurora-0.22.0-lifecycles.json")
    tasks = [decode_event(c["payload"], "0.22").task for c in data["cases"][:20]]
    wrong = IdentityTable({"Resource._Fields.RAM_MB": data["identity"]["Resource._Fields.RAM_MB"] + 1}, strict=True)
    result = calibrate(tasks, wrong)
    assert result.conflicts and all("recorded" in c for c in result.conflicts)
    assert any(".task.resources[0]: recorded 113479832" in c for c in result.conflicts), result.conflicts[:3]


def test_calibration_refuses_an_identity_that_would_not_be_positive() -> None:
    from aurorakit.generated import aurora_0_22 as api
    from aurorakit.runtime.java import double_hash
    for identity in (-5, 0):
        # A union hashes as 31 * (31 + identity of its arm) + hash of its value (AbstractUnion.hashCode).
        recorded = (31 * (31 + identity) + double_hash(1.0)) & 0xFFFFFFFF
        recorded -= (recorded >> 31) << 32  # Java's int
        resource = api.Resource.from_gson(f'{{"cachedHashCode":{recorded},"setField":"NUM_CPUS","value":1.0}}')
        result = calibrate([resource])
        assert result.conflicts == [f"payload 0: task: solving for Resource._Fields.NUM_CPUS gives {identity}, "
                                    f"not a positive identity hash"]
        assert "Resource._Fields.NUM_CPUS" not in result.found
