"""Bad payloads: one PayloadError naming the JSON path, never a stray exception."""

from __future__ import annotations

import pytest
from aurorakit.runtime.aurora.event import decode_event
from aurorakit.runtime.errors import PayloadError
from shared import vector_file

BASE = vector_file("aurora-0.22.0-lifecycles.json")["cases"][5]["payload"]
# resources of case 5 are RAM_MB, DISK_MB, NUM_CPUS, NAMED_PORT.


def edited(old: str, new: str, count: int = 1) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, count)


CASES = [
    ("malformed JSON", BASE[:200], "", "malformed JSON: "),
    ("not an object", "[1,2]", "", "expected the event object, got an array"),
    ("wrong type in a union arm", edited('"setField":"DISK_MB","value":128', '"setField":"DISK_MB","value":"x"'),
     "task.assignedTask.task.resources[1].value", 'expected i64, got "x"'),
    ("wrong type of a field", edited('"instanceId":6', '"instanceId":"6"'),
     "task.assignedTask.instanceId", 'expected i32, got "6"'),
    ("unknown field", edited('"tier":"preferred"', '"tier":"preferred","tierx":1'),
     "task.assignedTask.task.tierx", "unknown field of TaskConfig"),
    ("unknown setField", edited('"setField":"NUM_CPUS"', '"setField":"NUM_CPU"'),
     "task.assignedTask.task.resources[2].setField", 'unknown setField "NUM_CPU" of union Resource'),
    ("missing union value", edited('"setField":"NAMED_PORT","value":"http"', '"setField":"NAMED_PORT"'),
     "task.assignedTask.task.resources[3].value", "missing value of union Resource (setField NAMED_PORT)"),
    ("i32 out of range", edited('"instanceId":6', '"instanceId":2147483648'),
     "task.assignedTask.instanceId", "2147483648 is out of range for i32"),
    ("i64 out of range", edited('"value":512}', '"value":9223372036854775808}'),
     "task.assignedTask.task.resources[0].value", "9223372036854775808 is out of range for i64"),
    ("cachedHashCode out of range", edited('"cachedHashCode":-966304527', '"cachedHashCode":4294967295'),
     "task.assignedTask.task.job.cachedHashCode", "4294967295 is out of range for cachedHashCode (an int)"),
    ("NaN", edited('"value":0.25', '"value":NaN'),
     "task.assignedTask.task.resources[2].value", "expected double, got NaN"),
    ("Infinity", edited('"value":0.25', '"value":-Infinity'),
     "task.assignedTask.task.resources[2].value", "expected double, got -Infinity"),
    ("double too large", edited('"value":0.25', '"value":1e999'),
     "task.assignedTask.task.resources[2].value", "inf is not a finite double"),
    ("unknown enum value", edited('"status":"ASSIGNED"', '"status":"ASSIGNEDX"'),
     "task.status", '"ASSIGNEDX" is not a value of enum ScheduleStatus'),
    ("duplicate set element", edited('"metadata":[{"cachedHashCode":662513575,"key":"sha","value":"de4c8e2287fee8ecbc2bf626160b7d41"}',
                                     '"metadata":[{"cachedHashCode":662513575,"key":"sha","value":"de4c8e2287fee8ecbc2bf626160b7d41"},'
                                     '{"cachedHashCode":662513575,"key":"sha","value":"de4c8e2287fee8ecbc2bf626160b7d41"}'),
     "task.assignedTask.task.metadata[1]", "duplicate element in a set"),
    ("map value of the wrong type", edited('"assignedPorts":{"http":31000}', '"assignedPorts":{"http":true}'),
     'task.assignedTask.assignedPorts["http"]', "expected i32, got true"),
    ("list where an object belongs", edited('"job":{', '"job":[{', 1).replace('"name":"ñandú-cache"}', '"name":"ñandú-cache"}]', 1),
     "task.assignedTask.task.job", "expected a JobKey object, got an array"),
    ("oldState not a status", edited('"oldState":{"value":"PENDING"}', '"oldState":{"value":"WAITING"}'),
     "oldState.value", '"WAITING" is not a ScheduleStatus'),
    ("unknown event field", edited('"oldState":', '"newState":{},"oldState":'), "newState", "unknown field of the event"),
]


@pytest.mark.parametrize("label, payload, path, message", CASES, ids=[c[0] for c in CASES])
def test_bad_payload_names_its_path(label: str, payload: str, path: str, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        decode_event(payload, "0.22")
    assert caught.value.path == path
    assert caught.value.message.startswith(message), caught.value.message
    assert str(caught.value) == (f"{path}: {caught.value.message}" if path else caught.value.message)


def test_the_base_payload_itself_is_fine() -> None:
    assert decode_event(BASE, "0.22").encode() == BASE






def test_json_of_other_values_is_rejected_not_crashed() -> None:
    for text in ["null", "1", '"s"', "{}", '{"task":null,"oldState":{}}', '{"task":{},"oldState":[]}', b"\xff\xfe"]:
        with pytest.raises(PayloadError):
            decode_event(text, "0.22")


def test_parse_json_reads_the_nearest_double_and_exact_reads_the_one_java_meant() -> None:
    from aurorakit.runtime.codec import parse_json
    text = "[9.87748236263424E25]"  # Java's text of 9.877482362634239e25, midway to the next double
    assert parse_json(text) == [float("9.87748236263424E25")] != [9.877482362634239e25]
    assert parse_json(text, exact=True) == [9.877482362634239e25]
    assert parse_json(text.encode(), exact=True) == [9.877482362634239e25]


def test_a_double_written_midway_between_two_doubles_reads_back_as_java_wrote_it() -> None:
    # Java writes 9.877482362634239e25 as the decimal midway to the next double;
    # float() of that text is the neighbour. Decoding must give Java's double back.
    from aurorakit.generated import aurora_0_22 as api
    from aurorakit.runtime.codec import decode, encode
    value = 9.877482362634239e25
    text = encode(api.Resource(numCpus=value))
    assert '"value":9.87748236263424E25' in text and float("9.87748236263424E25") != value
    assert decode(api.Resource, text).numCpus == value
    assert decode(api.Resource, text.encode()).numCpus == value
    import orjson
    assert decode(api.Resource, orjson.loads(text)).numCpus != value  # parsed without its text: nearest double
    payload = BASE.replace('"setField":"NUM_CPUS","value":0.25', '"setField":"NUM_CPUS","value":9.87748236263424E25')
    event = decode_event(payload, "0.22")
    assert event.task.assignedTask.task.resources[2].numCpus == value
    assert event.encode() == payload
