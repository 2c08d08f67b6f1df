"""Strict, total decoding: what Gson always writes must be there, nothing is null,
members come in Gson's order (unless asked otherwise), and every malformed input is
one PayloadError with its JSON path. Expectations are written by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from aurorakit.generated import aurora_0_22 as api
from aurorakit.runtime.aurora.event import decode_event
from aurorakit.runtime.codec import decode
from aurorakit.runtime.errors import PayloadError
from shared import vector_file

BASE = vector_file("aurora-0.22.0-lifecycles.json")["cases"][5]["payload"]
NULL = "null, which Gson never writes (it leaves unset fields out)"
TASK_EVENT_1 = '{"cachedHashCode":0,"timestamp":1468508907191,"status":"PENDING","scheduler":"aurora"}'


def edited(old: str, new: str) -> str:
    assert BASE.count(old) >= 1, old
    return BASE.replace(old, new, 1)


CASES = [
    # -- a member Gson always writes, missing
    ("missing i64 timestamp", edited('"timestamp":1468508907191,', ""),
     "task.taskEvents[0].timestamp", "missing member of TaskEvent (Gson always writes it)"),
    ("missing i32 instanceId", edited(',"instanceId":6', ""),
     "task.assignedTask.instanceId", "missing member of AssignedTask (Gson always writes it)"),
    ("missing cachedHashCode of a struct", edited('"cachedHashCode":-966304527,', ""),
     "task.assignedTask.task.job.cachedHashCode", "missing member of JobKey (Gson always writes it)"),
    ("missing cachedHashCode of a union", edited('"cachedHashCode":113479320,', ""),
     "task.assignedTask.task.resources[0].cachedHashCode", "missing member of union Resource (Gson always writes it)"),
    ("missing bool", edited('"isService":true,', ""),
     "task.assignedTask.task.isService", "missing member of TaskConfig (Gson always writes it)"),
    ("missing list", edited('"constraints":[],', ""),
     "task.assignedTask.task.constraints", "missing member of TaskConfig (Gson always writes it)"),
    ("missing map", edited('"assignedPorts":{"http":31000},', ""),
     "task.assignedTask.assignedPorts", "missing member of AssignedTask (Gson always writes it)"),
    ("missing oldState", edited(',"oldState":{"value":"PENDING"}', ""),
     "oldState", "missing field of the event (Gson always writes it)"),
    # -- null where Gson writes a value or nothing
    ("null i64", edited('"timestamp":1468508907191', '"timestamp":null'),
     "task.taskEvents[0].timestamp", f"expected i64, got {NULL}"),
    ("null i32", edited('"instanceId":6', '"instanceId":null'),
     "task.assignedTask.instanceId", f"expected i32, got {NULL}"),
    ("null cachedHashCode", edited('"cachedHashCode":-966304527', '"cachedHashCode":null'),
     "task.assignedTask.task.job.cachedHashCode", f"expected an int (cachedHashCode), got {NULL}"),
    ("null bool", edited('"isService":true', '"isService":null'),
     "task.assignedTask.task.isService", f"expected bool, got {NULL}"),
    ("null list", edited('"constraints":[]', '"constraints":null'),
     "task.assignedTask.task.constraints", f"expected an array, got {NULL}"),
    ("null map", edited('"assignedPorts":{"http":31000}', '"assignedPorts":null'),
     "task.assignedTask.assignedPorts", f"expected an object (map), got {NULL}"),
    ("null string", edited('"tier":"preferred"', '"tier":null'),
     "task.assignedTask.task.tier", f"expected string, got {NULL}"),
    ("null struct", edited('"owner":{"cachedHashCode":-1368708545,"user":"www-data"}', '"owner":null'),
     "task.assignedTask.task.owner", f"expected a Identity object, got {NULL}"),
    ("null enum", edited('"status":"ASSIGNED","failureCount"', '"status":null,"failureCount"'),
     "task.status", f"expected a ScheduleStatus name, got {NULL}"),
    ("null list element", edited('"metadata":[{', '"metadata":[null,{'),
     "task.assignedTask.task.metadata[0]", f"expected a Metadata object, got {NULL}"),
    ("null map value", edited('{"http":31000}', '{"http":null}'),
     'task.assignedTask.assignedPorts["http"]', f"expected i32, got {NULL}"),
    ("null union value", edited('"setField":"DISK_MB","value":128', '"setField":"DISK_MB","value":null'),
     "task.assignedTask.task.resources[1].value", f"value of union Resource (setField DISK_MB) is {NULL}"),
    ("null setField", edited('"setField":"DISK_MB"', '"setField":null'),
     "task.assignedTask.task.resources[1].setField", f"setField of union Resource is {NULL}"),
    ("null oldState", edited('"oldState":{"value":"PENDING"}', '"oldState":null'),
     "oldState", "null field of the event (Gson always writes an object)"),
    # -- members out of Gson's order
    ("struct members swapped", edited('"role":"www-data","environment":"prod"', '"environment":"prod","role":"www-data"'),
     "task.assignedTask.task.job.role", "member of JobKey out of Gson's order: it comes after 'environment'"),
    ("cachedHashCode last", edited('{"cachedHashCode":-1368708545,"user":"www-data"}', '{"user":"www-data","cachedHashCode":-1368708545}'),
     "task.assignedTask.task.owner.cachedHashCode", "member of Identity out of Gson's order: it comes after 'user'"),
    ("union members swapped", edited('"setField":"RAM_MB","value":512', '"value":512,"setField":"RAM_MB"'),
     "task.assignedTask.task.resources[0].value",
     "members of union Resource out of Gson's order: cachedHashCode, value, setField"),
    ("event members swapped", '{"oldState":{"value":"PENDING"},' + BASE[1:BASE.index(',"oldState"')] + "}",
     "oldState", "event members out of Gson's order"),
    # -- numbers no Thrift type holds
    ("integer of 5,000 digits", edited('"timestamp":1468508907191', '"timestamp":' + "9" * 5000),
     "task.taskEvents[0].timestamp", "999999999999...(5000 digits) is out of range for i64"),
    ("cachedHashCode of 5,000 digits", edited('"cachedHashCode":-966304527', '"cachedHashCode":-' + "9" * 5000),
     "task.assignedTask.task.job.cachedHashCode", "-99999999999...(5001 digits) is out of range for cachedHashCode"),
    ("double of 5,000 digits", edited('"value":0.25', '"value":' + "7" * 5000),
     "task.assignedTask.task.resources[2].value", "777777777777...(5000 digits) is out of range for double"),
    ("string field holding 5,000 digits", edited('"tier":"preferred"', '"tier":' + "1" * 5000),
     "task.assignedTask.task.tier", "expected string, got 111111111111...(5000 digits)"),
    ("1.8e308 (infinity as a double)", edited('"value":0.25', '"value":1.8e308'),
     "task.assignedTask.task.resources[2].value", "inf is not a finite double"),
    ("-1.8e308", edited('"value":0.25', '"value":-1.8E308'),
     "task.assignedTask.task.resources[2].value", "-inf is not a finite double"),
]


@pytest.mark.parametrize("label, payload, path, message", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_malformed_payload_is_refused_at_its_path(label: str, payload: str, path: str, message: str,
                                                  as_bytes: bool) -> None:
    with pytest.raises(PayloadError) as caught:
        decode_event(payload.encode("utf-8") if as_bytes else payload, "0.22")
    assert (caught.value.path, caught.value.message[: len(message)]) == (path, message), caught.value.message


ORDER_CASES = [c for c in CASES if "order" in c[3]]


@pytest.mark.parametrize("label, payload, path, message", ORDER_CASES, ids=[c[0] for c in ORDER_CASES])
def test_any_member_order_is_read_when_asked(label: str, payload: str, path: str, message: str) -> None:
    event = decode_event(payload, "0.22", strict=False)
    assert event == decode_event(BASE, "0.22")


def test_lenient_mode_still_refuses_what_is_missing_or_null() -> None:
    with pytest.raises(PayloadError) as caught:
        decode_event(edited(',"instanceId":6', ""), "0.22", strict=False)
    assert caught.value.path == "task.assignedTask.instanceId"
    with pytest.raises(PayloadError) as caught:
        decode_event(edited('"tier":"preferred"', '"tier":null'), "0.22", strict=False)
    assert caught.value.path == "task.assignedTask.task.tier"


def test_a_lenient_read_leaves_strict_reads_strict() -> None:
    # The TaskConfig is hashed, so decoders share it between payloads; one read
    # leniently must not let the same text pass a strict read afterwards.
    swapped = edited('"role":"www-data","environment":"prod"', '"environment":"prod","role":"www-data"')
    for _ in range(2):
        decode_event(swapped, "0.22", strict=False)
        with pytest.raises(PayloadError) as caught:
            decode_event(swapped, "0.22")
        assert caught.value.path == "task.assignedTask.task.job.role"


def test_codec_decode_has_the_same_strictness() -> None:
    with pytest.raises(PayloadError) as caught:
        decode(api.TaskEvent, '{"cachedHashCode":0,"status":"PENDING","scheduler":"aurora"}')
    assert (caught.value.path, caught.value.message) == ("timestamp", "missing member of TaskEvent (Gson always writes it)")
    swapped = '{"cachedHashCode":0,"status":"PENDING","timestamp":5}'
    with pytest.raises(PayloadError) as caught:
        decode(api.TaskEvent, swapped)
    assert caught.value.path == "timestamp"
    assert decode(api.TaskEvent, swapped, strict=False) == api.TaskEvent(timestamp=5, status=api.ScheduleStatus.PENDING)
    with pytest.raises(PayloadError) as caught:
        decode(api.TaskEvent, TASK_EVENT_1.replace('"scheduler":"aurora"', '"scheduler":null'), path="x")
    assert caught.value.path == "x.scheduler"


def test_fields_gson_leaves_out_may_be_absent() -> None:
    # string, struct, enum fields: null in Java, so Gson leaves them out.
    event = decode(api.TaskEvent, '{"cachedHashCode":0,"timestamp":7}')
    assert (event.timestamp, event.status, event.message, event.scheduler) == (7, None, None, None)


@pytest.mark.parametrize("data, message", [
    (b'{"task":{"cachedHashCode":0,"assignedTask":{"cachedHashCode":0,"taskId":"\xff"}}}', "malformed JSON: not UTF-8 at byte 73"),
    (b'{"task":"\xc3\x28"}', "malformed JSON: not UTF-8 at byte 9"),
    (b"\xed\xa0\x80", "malformed JSON: not UTF-8 at byte 0"),  # a UTF-8-encoded surrogate
])
def test_invalid_utf8_is_a_payload_error(data: bytes, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        decode_event(data, "0.22", encoding="utf-8")  # bytes said to be UTF-8 (0.22's own rule is ISO-8859-1)
    assert caught.value.message == message


@pytest.mark.parametrize("depth", [200, 1_000, 100_000])
def test_deep_nesting_is_a_payload_error(depth: int) -> None:
    nested = '{"task":' + '{"cachedHashCode":0,"assignedTask":' * depth + "0" + "}" * (depth + 1)
    for data in (nested, nested.encode()):
        with pytest.raises(PayloadError):
            decode_event(data, "0.22")
        with pytest.raises(PayloadError):
            decode(api.ScheduledTask, data)
    deep_list = "[" * depth + "]" * depth
    with pytest.raises(PayloadError):
        decode(api.TaskConfig, '{"cachedHashCode":0,"resources":' + deep_list + "}")


def test_the_largest_double_in_a_form_java_does_not_write_reads_back() -> None:
    # Found by the fuzz test: reading its exact text looked at the next double up,
    # which is infinity, and failed with a ValueError.
    for text in ("1.7976931348623157e+308", "1.7976931348623157E308", "-1.7976931348623157e+308"):
        resource = decode(api.Resource, '{"cachedHashCode":0,"setField":"NUM_CPUS","value":' + text + "}")
        assert resource.numCpus == float(text) and abs(resource.numCpus) == 1.7976931348623157e308


def test_cli_decode_and_verify_refuse_members_out_of_order_unless_any_order(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from aurorakit.runtime.cli.main import main as cli_main
    path = tmp_path / "hand-edited.json"
    path.write_text(edited('"role":"www-data","environment":"prod"', '"environment":"prod","role":"www-data"'),
                    encoding="utf-8")
    for command in ("decode", "verify"):
        assert cli_main([command, str(path), "--aurora", "0.22"]) == 2
        assert capsys.readouterr().err == (
            f"aurorakit: {path}: task.assignedTask.task.job.role: member of JobKey out of Gson's order: it comes "
            "after 'environment', Gson writes it before (strict=False or --any-order accepts any order)\n")
    assert cli_main(["decode", str(path), "--aurora", "0.22", "--any-order"]) == 0
    assert "        job: JobKey #-966304527\n          role: 'www-data'\n" in capsys.readouterr().out
