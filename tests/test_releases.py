"""The release registry: release strings, each release's models and profile, and nothing borrowed.

Expected values are written by hand from the behaviour note's table of
groups, the schema facts (``../shared/aurora-schema``, when present) and the
payload format note; byte-exactness for the releases without Java vectors
comes from the 0.14 and 0.22 Java vectors edited by the format note's rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aurorakit.runtime.aurora.event import TaskStateChange, decode_event
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.aurora.releases import (
    ReleaseError,
    header_line,
    models_for,
    parse_release,
    recorded_release,
    release,
    release_of_models,
)
from aurorakit.runtime.errors import AurorakitError, PayloadError
from shared import SHARED, shared_path, vector_file

# The behaviour note's table, and the api.thrift each release has (the fork's five share one).
GROUPS = {"0.14": "A", "0.15": "A", "0.16": "B", "0.17": "C", "0.18": "C", "0.19": "D", "0.20": "E",
          "0.21": "E", "0.22": "E", "0.23": "fork", "0.24": "fork", "0.25": "fork", "0.26": "fork",
          "0.27": "fork"}
SCHEMAS = ("0.14", "0.15", "0.16", "0.17", "0.18", "0.19", "0.20", "0.21", "0.22", "0.27")


def package_of(version: str) -> str:
    schema = "0.27" if GROUPS[version] == "fork" else version
    return "aurorakit.generated.aurora_" + schema.replace(".", "_")


@pytest.mark.parametrize("text,line", [
    ("0.19", "0.19"), ("0.19.1", "0.19"), ("0.18.1", "0.18"), ("0.24.2", "0.24"), ("0.27.0", "0.27"),
    ("0.14.0", "0.14"), ("0.22.10", "0.22"), ("0.23.0", "0.23"),
])
def test_a_release_string_names_its_line(text: str, line: str) -> None:
    assert parse_release(text) == line
    assert release(text).version == line


@pytest.mark.parametrize("version", sorted(GROUPS))
def test_each_release_has_its_group_models_and_optional_form(version: str) -> None:
    found = release(version)
    assert found.group == GROUPS[version]
    assert found.models_package == package_of(version)
    assert models_for(version).__name__ == package_of(version)
    assert found.optional_style == ("guava" if version <= "0.19" else "java")
    profile = profile_for(version)
    assert profile.models().__name__ == package_of(version) and profile.group == GROUPS[version]


@pytest.mark.parametrize("text", ["0.13", "0.28", "1.0", "0.19.x", "", "v0.19", "0.19.1.2", "nineteen",
                                  " 0.019 ", "0.019", " 0.22 ", "0.22\n", "00.22", "0.22.01", "0.22."])
def test_an_unknown_release_lists_the_known_ones(text: str) -> None:
    with pytest.raises(ReleaseError) as caught:
        release(text)
    message = str(caught.value)
    assert isinstance(caught.value, AurorakitError)
    assert repr(text) in message
    assert "0.14, 0.15, 0.16, 0.17, 0.18, 0.19, 0.20, 0.21, 0.22, 0.23-0.27" in message


def test_the_fork_releases_share_the_fork_models() -> None:
    assert {models_for(v) for v in ("0.23.0", "0.24.2", "0.25", "0.26.1", "0.27.0")} == {models_for("0.27")}
    fork = release_of_models(models_for("0.24"))
    assert fork is not None and fork.version == "0.27"
    assert release_of_models("some_users_models") is None


# -- the models hold their release's facts ------------------------------------------------
def fields(models: Any, name: str) -> list[str]:
    return [spec.name for spec in getattr(models, name)._fields]


# Written by hand from the facts diffs between releases: what a payload can show.
PAYLOAD_FIELDS = [
    ("TaskConfig", "numCpus", ("0.14", "0.15", "0.16", "0.17", "0.18", "0.19")),
    ("TaskConfig", "requestedPorts", ("0.14", "0.15", "0.16", "0.17", "0.18", "0.19")),
    ("TaskConfig", "mesosFetcherUris", ("0.15", "0.16", "0.17", "0.18", "0.19", "0.20", "0.21", "0.22", "0.27")),
    ("TaskConfig", "partitionPolicy", ("0.20", "0.21", "0.22", "0.27")),
    ("TaskConfig", "slaPolicy", ("0.21", "0.22", "0.27")),
    ("MesosContainer", "volumes", ("0.17", "0.18", "0.19", "0.20", "0.21", "0.22", "0.27")),
    ("ScheduledTask", "timesPartitioned", ("0.20", "0.21", "0.22", "0.27")),
    ("Resource", "ipAddr", ("0.27",)),
]


@pytest.mark.parametrize("type_name,field,present", PAYLOAD_FIELDS, ids=[f"{t}.{f}" for t, f, _ in PAYLOAD_FIELDS])
def test_payload_fields_come_and_go_with_their_release(type_name: str, field: str, present: tuple[str, ...]) -> None:
    having = tuple(schema for schema in SCHEMAS if field in fields(models_for(schema), type_name))
    assert having == present


def test_partitioned_exists_from_020() -> None:
    having = tuple(s for s in SCHEMAS if "PARTITIONED" in models_for(s).ScheduleStatus.__members__)
    assert having == ("0.20", "0.21", "0.22", "0.27")


@pytest.mark.parametrize("schema", SCHEMAS)
def test_models_have_every_type_and_field_of_the_facts(schema: str) -> None:
    facts = json.loads(shared_path("aurora-schema", f"api-{schema}.0.json").read_text(encoding="utf-8"))
    models = models_for(schema)
    for kind in facts["types"]:
        cls = getattr(models, kind["name"])
        want = [(f["id"], f["name"], f["req"]) for f in kind["fields"]]
        assert [(s.id, s.name, s.requiredness) for s in cls._fields] == want, kind["name"]
    for enum in facts["enums"]:
        members = {m.name: m.value for m in getattr(models, enum["name"])}
        assert members == {name: value for name, value in enum["values"]}, enum["name"]


# -- a payload read with another release's models names what that release lacks ----------
def small_task(models: Any, text: str = "hello") -> Any:
    return models.ScheduledTask(
        assignedTask=models.AssignedTask(taskId="www-prod-hello-0-1", instanceId=0, task=models.TaskConfig(
            job=models.JobKey(role="www", environment="prod", name="hello"))),
        status=models.ScheduleStatus.RUNNING,
        taskEvents=[models.TaskEvent(timestamp=1, status=models.ScheduleStatus.RUNNING, message=text)])


def test_a_022_payload_decoded_as_019_names_times_partitioned() -> None:
    body = TaskStateChange(small_task(models_for("0.22")), "STARTING").encode()
    assert '"failureCount":0,"timesPartitioned":0,' in body  # written by hand from the 0.20+ ScheduledTask
    assert decode_event(body, "0.22").task.timesPartitioned == 0
    with pytest.raises(PayloadError) as caught:
        decode_event(body, "0.19")
    assert caught.value.path == "task.timesPartitioned"


def test_a_019_payload_decoded_as_020_names_what_differs() -> None:
    body = TaskStateChange(small_task(models_for("0.19")), "STARTING").encode()
    assert '"isService":false,"numCpus":0.0,' in body
    assert decode_event(body, "0.19").task.assignedTask.task.numCpus == 0.0
    with pytest.raises(PayloadError) as caught:
        decode_event(body, "0.20")  # 0.20 always writes timesPartitioned, which 0.19 never had
    assert caught.value.path == "task.timesPartitioned" and "missing" in caught.value.message
    with_it = body.replace('"failureCount":0,', '"failureCount":0,"timesPartitioned":0,', 1)
    with pytest.raises(PayloadError) as caught:
        decode_event(with_it, "0.20")
    assert caught.value.path == "task.assignedTask.task.numCpus"


def test_a_fork_resource_decoded_as_022_is_refused_by_name() -> None:
    fork = models_for("0.27")
    task = small_task(fork)
    task = task.replace(assignedTask=task.assignedTask.replace(task=task.assignedTask.task.replace(
        resources=[fork.Resource(ipAddr=167772161)])))
    body = TaskStateChange(task, "STARTING", hashed="none").encode()
    assert '{"cachedHashCode":0,"setField":"IP_ADDR","value":167772161}' in body
    assert decode_event(body, "0.24.2").task.assignedTask.task.resources[0].ipAddr == 167772161
    with pytest.raises(PayloadError) as caught:
        decode_event(body, "0.22")
    assert "IP_ADDR" in str(caught.value) and caught.value.path.startswith("task.assignedTask.task.resources[0]")


def test_the_vectors_of_022_are_not_019_payloads() -> None:
    case = vector_file("aurora-0.22.0.json")["cases"][0]
    with pytest.raises(PayloadError, match=r"^task\.timesPartitioned: "):
        decode_event(case["payload"], "0.19")


def test_an_event_of_one_release_refuses_another_releases_models() -> None:
    task = small_task(models_for("0.22"))
    assert TaskStateChange(task, "STARTING").release == "0.22"
    with pytest.raises(ReleaseError, match="aurora_0_22, not with Aurora 0.19's models"):
        TaskStateChange(task, "STARTING", release="0.19")
    with pytest.raises(ReleaseError, match="not with Aurora 0.21's models"):
        TaskStateChange(task, "STARTING").wire("0.21")
    fork = TaskStateChange(small_task(models_for("0.27")), "STARTING", release="0.24.2")
    assert fork.release == "0.24" and fork.encode().endswith(',"oldState":{"value":"STARTING"}}')


def test_the_optional_form_follows_the_release() -> None:
    for version, key in (("0.16", "reference"), ("0.19", "reference"), ("0.20", "value"), ("0.27", "value")):
        event = TaskStateChange(small_task(models_for(version)), "STARTING", hashed="none")
        assert event.encode().endswith(',"oldState":{"' + key + '":"STARTING"}}'), version


# -- bytes back with the release's own wire rule (issue 8, item 7) ---------------------------
UTF8 = "application/json; charset=utf-8"
TEXT = "héllo 東京"
# What each group's wire keeps of TEXT (payload format note, section 5): group A the low 8 bits
# of each UTF-16 unit (U+6771 -> 0x71 "q", U+4EAC -> 0xAC "¬"), B and C ISO-8859-1 with "?",
# D, E and the fork the Content-Type's charset (else ISO-8859-1).
ON_THE_WIRE = {"A": ("héllo q¬", "héllo q¬"), "B": ("héllo ??", "héllo ??"), "C": ("héllo ??", "héllo ??"),
               "D": ("héllo ??", TEXT), "E": ("héllo ??", TEXT), "fork": ("héllo ??", TEXT)}


@pytest.mark.parametrize("version", sorted(GROUPS))
def test_wire_bytes_decode_back_with_the_same_release(version: str) -> None:
    models = models_for(version)
    event = TaskStateChange(small_task(models, TEXT), models.ScheduleStatus.STARTING, release=version)
    plain, with_charset = ON_THE_WIRE[GROUPS[version]]
    for content_type, expected in ((None, plain), (UTF8, with_charset)):
        again = decode_event(event.wire(version, content_type), version, content_type=content_type)
        assert again.task.taskEvents[0].message == expected
        assert again.release == version and again.old_state == models.ScheduleStatus.STARTING
        if expected == TEXT:
            assert again == event and again.encode() == event.encode()
    assert decode_event(event.wire(version, encoding="utf-8"), version, encoding="utf-8") == event


def test_a_body_not_in_its_charset_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="not UTF-8 at byte 2"):
        decode_event(b'{"\xff', "0.22", content_type=UTF8)


# -- byte for byte through the Java vectors --------------------------------------------------
def end_of_value(text: str, start: int) -> int:
    """The index after the JSON array or object that opens at ``start``."""
    depth, i, in_string = 0, start, False
    while True:
        c = text[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1


def insert_after(text: str, key: str, addition: str) -> str:
    """``addition`` after the value of every ``key`` (an array)."""
    out, at = [], 0
    while (found := text.find(f'"{key}":[', at)) >= 0:
        end = end_of_value(text, found + len(key) + 3)
        out.append(text[at:end] + addition)
        at = end
    return "".join(out) + text[at:]


def add_mesos_volumes(text: str) -> str:
    """``"volumes":[]`` at the end of every MesosContainer (the Container union's MESOS arm)."""
    marker = '"setField":"MESOS","value":{'
    out, at = [], 0
    while (found := text.find(marker, at)) >= 0:
        end = end_of_value(text, found + len(marker) - 1) - 1
        out.append(text[at:end] + ',"volumes":[]')
        at = end
    return "".join(out) + text[at:]


def as_of_014(payload: str, schema: str) -> str:
    """A 0.14 Java payload as release ``schema`` (0.15 to 0.19) writes the same task.

    An unset collection is written empty (format note, section 2): 0.15 adds
    TaskConfig.mesosFetcherUris (declared after requestedPorts), 0.17
    MesosContainer.volumes (declared last). Nothing else of a payload changes
    before 0.20; recorded hashes are kept as found.
    """
    text = insert_after(payload, "requestedPorts", ',"mesosFetcherUris":[]')
    return add_mesos_volumes(text) if schema >= "0.17" else text


@pytest.mark.parametrize("schema", ["0.15", "0.16", "0.17", "0.18", "0.19"])
@pytest.mark.parametrize("name", ["aurora-0.14.0.json", "aurora-0.14.0-lifecycles.json"])
def test_014_payloads_as_a_later_release_writes_them(schema: str, name: str) -> None:
    cases = vector_file(name)["cases"]
    for case in cases:
        later = as_of_014(case["payload"], schema)
        assert decode_event(later, schema).encode() == later, case["name"]
    with pytest.raises(PayloadError, match="mesosFetcherUris: missing member"):  # Java 0.15 on always wrote it
        decode_event(cases[0]["payload"], schema)
    assert add_mesos_volumes('{"setField":"MESOS","value":{"cachedHashCode":31}}') == \
        '{"setField":"MESOS","value":{"cachedHashCode":31,"volumes":[]}}'


@pytest.mark.parametrize("schema,lacks", [("0.27", ()), ("0.21", ("outputFile",)),
                                          ("0.20", ("outputFile", "slaPolicy"))])
@pytest.mark.parametrize("name", ["aurora-0.22.0.json", "aurora-0.22.0-lifecycles.json"])
def test_022_payloads_read_by_the_releases_around_it(schema: str, lacks: tuple[str, ...], name: str) -> None:
    # 0.20 and 0.21 lack what 0.21 and 0.22 added; everything else a payload holds is the same.
    same = refused = 0
    for case in vector_file(name)["cases"]:
        missing = [field for field in lacks if f'"{field}":' in case["payload"]]
        if missing:
            with pytest.raises(PayloadError, match=missing[-1] if len(missing) == 1 else "|".join(missing)):
                decode_event(case["payload"], schema)
            refused += 1
        else:
            assert decode_event(case["payload"], schema).encode() == case["payload"], case["name"]
            same += 1
    assert same > 0 and (refused > 0) == (bool(lacks) and name == "aurora-0.22.0.json")


def test_conformance_of_the_022_vectors_as_the_fork(capsys: pytest.CaptureFixture[str]) -> None:
    # The fork's api.thrift only adds a Resource arm: both checks, rehashing included, pass.
    from aurorakit.runtime.cli.main import main
    files = [str(shared_path("vectors", name)) for name in ("aurora-0.22.0.json", "aurora-0.22.0-lifecycles.json")]
    assert main(["conformance", "--quiet", "--aurora", "0.24.2", *files]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "350 passed, 0 failed"


def test_conformance_as_019_names_the_field(capsys: pytest.CaptureFixture[str]) -> None:
    from aurorakit.runtime.cli.main import main
    path = str(shared_path("vectors", "aurora-0.22.0.json"))
    status = main(["conformance", "--quiet", "--aurora", "0.19", path])
    captured = capsys.readouterr()
    assert status != 0
    assert "task.timesPartitioned" in captured.out + captured.err


# -- files record their release ------------------------------------------------------------
def test_header_lines_and_their_reading() -> None:
    assert header_line("0.19.1") == '{"aurora": "0.19.0"}'
    assert recorded_release({"aurora": "0.24.2"}) == "0.24.2"
    assert recorded_release({"task": {}, "aurora": "0.19"}) is None  # a payload, not a header
    assert recorded_release({"other": 1}) is None
    with pytest.raises(ReleaseError):
        recorded_release({"aurora": "0.30"})


def test_json_lines_keep_their_release_for_later_commands(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from aurorakit.runtime.aurora.payload_files import read_payload_file
    from aurorakit.runtime.cli.main import main
    out = tmp_path / "events.jsonl"
    assert main(["simulate", "--jobs", "1", "--instances", "2", "--dry-run", str(out), "--aurora", "0.19.1",
                 "--events", "5"]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"aurora": "0.19.0"}' and len(lines) == 6
    source = read_payload_file(str(out))
    assert source.aurora == "0.19.0" and len(source.payloads) == 5
    capsys.readouterr()
    # 0.19's TaskConfig has numCpus, which the default release (0.22) would refuse.
    assert '"numCpus":' in lines[1]
    assert main(["decode", str(out)]) == 0
    assert main(["verify", str(out)]) == 0
    assert main(["decode", "--aurora", "0.22", str(out)]) == 2
    assert "task.timesPartitioned: missing" in capsys.readouterr().err  # 0.22 always wrote it, 0.19 never


def test_a_bad_recorded_release_names_the_file(tmp_path: Path) -> None:
    from aurorakit.runtime.aurora.payload_files import read_payload_file
    path = tmp_path / "x.jsonl"
    path.write_text('{"aurora": "0.31.0"}\n{"task":{},"oldState":{}}\n', encoding="utf-8")
    with pytest.raises(PayloadError, match=r"x\.jsonl:1: unknown Aurora release '0\.31\.0'"):
        read_payload_file(str(path))


def test_a_vector_file_with_an_unknown_release_names_the_file(tmp_path: Path) -> None:
    from aurorakit.runtime.aurora.payload_files import read_payload_file
    path = tmp_path / "v.json"
    path.write_text(json.dumps({"aurora": "0.13.0", "cases": [{"name": "a", "payload": "{}"}]}), encoding="utf-8")
    with pytest.raises(PayloadError, match=r"v\.json: \"aurora\": unknown Aurora release '0\.13\.0'"):
        read_payload_file(str(path))


def test_an_unknown_release_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    from aurorakit.runtime.cli.main import main
    assert main(["example", "--aurora", "0.13"]) == 2
    err = capsys.readouterr().err
    assert "unknown Aurora release '0.13'" in err and "0.23-0.27" in err and "Traceback" not in err


@pytest.mark.parametrize("version,absent,present", [
    ("0.14", "timesPartitioned", '"numCpus":0.1'), ("0.19", "timesPartitioned", '"mesosFetcherUris":[]'),
    ("0.20", '"numCpus":0.1,', '"timesPartitioned":0'), ("0.27", '"numCpus":0.1,', '"timesPartitioned":0'),
])
def test_example_as_each_release(version: str, absent: str, present: str, capsys: pytest.CaptureFixture[str]) -> None:
    from aurorakit.runtime.cli.main import main
    assert main(["example", "--aurora", version]) == 0
    text = capsys.readouterr().out.strip()
    assert absent not in text and present in text
    assert decode_event(text, version).encode() == text


# -- send: only payloads the release wrote ---------------------------------------------------
def test_send_refuses_a_payload_its_release_never_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from aurorakit.runtime.cli.main import main
    config = tmp_path / "webhook.json"
    config.write_text(json.dumps({"headers": {}, "targetURL": "http://127.0.0.1:9/", "timeoutMsec": 50}))
    payload = tmp_path / "p.json"
    payload.write_text(TaskStateChange(small_task(models_for("0.22")), "STARTING").encode(), encoding="utf-8")
    assert main(["send", "--config", str(config), "--aurora", "0.19", str(payload)]) == 2
    assert "p.json: task.timesPartitioned: " in capsys.readouterr().err
    payload.write_text(TaskStateChange(small_task(models_for("0.19")), "STARTING").encode()
                       .replace('"reference"', '"value"'), encoding="utf-8")
    assert main(["send", "--config", str(config), "--aurora", "0.19", str(payload)]) == 2
    assert 'oldState.value: Aurora 0.19 wrote oldState as {"reference":..}' in capsys.readouterr().err


def test_files_recording_different_releases_need_aurora(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from aurorakit.runtime.cli.main import main
    config = tmp_path / "webhook.json"
    config.write_text(json.dumps({"headers": {}, "targetURL": "http://127.0.0.1:9/", "timeoutMsec": 50}))
    for version in ("0.14", "0.22"):
        (tmp_path / f"{version}.jsonl").write_text(header_line(version) + "\n" + TaskStateChange(
            small_task(models_for(version)), "STARTING").encode() + "\n", encoding="utf-8")
    assert main(["send", "--config", str(config), str(tmp_path / "0.14.jsonl"), str(tmp_path / "0.22.jsonl")]) == 2
    assert "the files record different Aurora releases" in capsys.readouterr().err


def test_shared_facts_folder_is_where_the_tests_look() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"shared material not found at {SHARED}")
    assert sorted(p.name for p in (SHARED / "aurora-schema").glob("api-*.json")) == \
        [f"api-{schema}.0.json" for schema in SCHEMAS]


def test_a_receiver_of_one_release_reads_its_bytes_and_refuses_another_releases() -> None:
    from aurorakit.runtime.webhook.payloads import request_decoder
    decode = request_decoder(profile_for("0.19.1"), models_for("0.19.1"))
    event = TaskStateChange(small_task(models_for("0.19"), TEXT), "STARTING")
    summary = decode(event.wire("0.19", UTF8), {"content-type": UTF8})
    assert (summary["oldState"], summary["status"], summary["taskId"]) == ("STARTING", "RUNNING", "www-prod-hello-0-1")
    newer = TaskStateChange(small_task(models_for("0.22")), "STARTING")
    with pytest.raises(PayloadError, match=r"^task\.timesPartitioned: "):
        decode(newer.wire("0.22"), {})


def test_aurora_on_the_command_line_wins_over_the_settings(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from aurorakit.runtime.cli.main import main
    monkeypatch.setenv("AURORAKIT_AURORA", "0.22")
    config = tmp_path / "webhook.json"
    config.write_text(json.dumps({"headers": {}, "targetURL": "http://127.0.0.1:9/", "timeoutMsec": 50}))
    out = tmp_path / "events.json"
    assert main(["simulate", "--jobs", "1", "--instances", "1", "--config", str(config), "--aurora", "0.16",
                 "--dry-run", str(out), "--events", "3"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["aurora"] == "0.16.0" and data["models"] == "aurorakit.generated.aurora_0_16"
    assert all('"oldState":{"reference":' in case["payload"] for case in data["cases"])
