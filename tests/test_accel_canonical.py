"""Events given back as read: the parser's proof that a text is the encoder's own (runtime/_decode.c).

An event read by the compiled parser from text that is, character for
character, what the encoder writes for the objects read keeps that text, and
``wire()``/``encode()`` give it back instead of walking the task. Every check
here compares with the pure path: the same text decoded by the generated
decoders and written by the generated encoders (or hashed by the generated
hash functions first). A text written any other way (spaces, another form of
a number, another escape, an enum or setField spelled with escapes) decodes
to the same objects, and must then come out as the encoder writes it, never
as it was read; a canonical text must come out as the very bytes read.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from aurorakit.runtime import accel
from aurorakit.runtime.aurora.event import TaskStateChange, decode_event
from aurorakit.runtime.hashing import java_hash
from aurorakit.runtime.identity import current_identity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared import vector_file
from strategies import instances
from test_accel import VECTOR_FILES, pure
from test_accel_decode import MODELS, RELEASES, _release_of, decoding

pytestmark = pytest.mark.skipif(not accel.ACTIVE, reason=f"the accelerator is not in use: {accel.status()}")

WIRE = {"encoding": "utf-8"}


@contextlib.contextmanager
def read_by_the_parser() -> Iterator[None]:
    """The block's events must all be read by the compiled parser (none handed back): the proof ran."""
    from aurorakit.runtime._speedups import parse_fallbacks
    declined = parse_fallbacks()
    yield
    assert parse_fallbacks() == declined, "the parser declined an event"


def pure_output(payload: str | bytes, release: str, change: Any = None, **how: Any) -> tuple[str, bytes]:
    """(encode(), wire(**WIRE)) of the event the generated decoders read, written by the generated encoders."""
    models = MODELS[release]
    with decoding(models, compiled=False), pure(models):
        event = decode_event(payload, RELEASES[release], **how)
        if change is not None:
            change(event)
        return event.encode(), event.wire(**WIRE)


def accelerated(payload: str | bytes, release: str, **how: Any) -> TaskStateChange[Any]:
    with decoding(MODELS[release], compiled=True):
        return decode_event(payload, RELEASES[release], **how)


# -- canonical text: given back as read ----------------------------------------------------
@pytest.mark.parametrize("name", VECTOR_FILES)
def test_every_vector_is_given_back_as_read(name: str) -> None:
    """Java-made payloads are the encoder's text: the bytes read come back (the very object), equal to
    what the pure path writes, and so does the str read."""
    release = _release_of(name)
    for case in vector_file(name)["cases"]:
        text = case["payload"]
        body = text.encode("utf-8")
        expected = pure_output(body, release, **WIRE)
        assert expected == (text, body), case["name"]
        with read_by_the_parser():
            from_bytes = accelerated(body, release, **WIRE)
            from_text = accelerated(text, release)
        assert from_bytes.wire(**WIRE) is body, case["name"]
        assert from_bytes.encode() == text
        assert from_text.encode() is text, case["name"]
        assert from_text.wire(**WIRE) == body


def test_a_lifecycle_stream_is_given_back_as_read_with_its_objects_shared() -> None:
    """One intern table over a stream: TaskConfigs found again by their text are shared and still proven."""
    cases = [c["payload"].encode("utf-8") for c in vector_file("aurora-0.22.0-lifecycles.json")["cases"][:40]]
    with decoding(MODELS["0.22"], compiled=True), read_by_the_parser():
        events = [decode_event(body, "0.22.0", **WIRE) for body in cases]
    assert len({id(e.task.assignedTask.task) for e in events}) < len(events)  # shared: the check can fail
    assert all(e.wire(**WIRE) is body for e, body in zip(events, cases))


# -- the same objects written another way: written as the encoder writes them ----------------
_LIFECYCLE = vector_file("aurora-0.22.0-lifecycles.json")["cases"][3]["payload"]
_ROLE = '"role":"www-data"'
_CPUS = '"setField":"NUM_CPUS","value":0.3'

# (the encoder's form, another form of the same value) of a string (the job's role)
STRINGS = (('"\\u003c"', '"\\u003C"'), ('"\\u003c"', '"<"'), ('"\\u003e"', '">"'), ('"\\u0026"', '"&"'),
           ('"\\u003d"', '"="'), ('"\\u0027"', "\"'\""), ('"/"', '"\\/"'), ('"A"', '"\\u0041"'),
           ('"\\u001f"', '"\\u001F"'), ('"é"', '"\\u00e9"'), ('"日"', '"\\u65e5"'), ('"😀"', '"\\ud83d\\ude00"'),
           ('"\\u2028"', '"\u2028"'), ('"\\u2029"', '"\u2029"'), ('"\\b"', '"\\u0008"'), ('"\\n"', '"\\u000a"'),
           ('"\\t"', '"\\u0009"'), ('"\\""', '"\\u0022"'), ('"\\\\"', '"\\u005c"'), ('"\x7f"', '"\\u007f"'))
# ... of a double (NUM_CPUS), Java's Double.toString first
DOUBLES = (("0.3", "0.30"), ("0.3", "3e-1"), ("0.3", "3.0E-1"), ("32.0", "32"), ("32.0", "3.2e1"),
           ("1.0E10", "1e10"), ("1.0E10", "1.0e10"), ("1.0E10", "10000000000.0"), ("1.0E10", "1.0E+10"),
           ("1.0E-5", "0.00001"), ("1.0E-5", "1e-5"), ("-0.0", "-0.00"), ("1.0E19", "1e19"),
           ("1.0E19", "10000000000000000000.0"), ("1.0E7", "10000000.0"), ("9999999.0", "9.999999E6"))


def _variants() -> Iterator[tuple[str, str, str]]:
    """(what is edited, the payload as the encoder writes it, the same objects written another way)."""
    for canonical, other in STRINGS:
        yield f"string {other}", _LIFECYCLE.replace(_ROLE, f'"role":{canonical}', 1), \
            _LIFECYCLE.replace(_ROLE, f'"role":{other}', 1)
    for canonical, other in DOUBLES:
        yield f"double {other}", _LIFECYCLE.replace(_CPUS, _CPUS[:-3] + canonical, 1), \
            _LIFECYCLE.replace(_CPUS, _CPUS[:-3] + other, 1)
    edits = ((r'"priority":0', '"priority":-0'), (r'("owner":\{"cachedHashCode":)[^,]+', r"\g<1>-0"),
             (r'"status":"PENDING"', r'"status":"\\u0050ENDING"'),
             (r'"setField":"NUM_CPUS"', r'"setField":"\\u004eUM_CPUS"'),
             (r'"setField":"NUM_CPUS"', r'"setField":"\\u004EUM_CPUS"'),
             (r'"oldState":\{"value":"S', r'"oldState":{"value":"\\u0053'),
             (r'"taskLinks":\{"http"', r'"taskLinks":{"\\u0068ttp"'),
             (r'^\{"task":', '{ "task":'), (r'\}$', '}\n'), (r'\}\}$', '} }'), (r',"oldState":', ', "oldState":'),
             (r'"oldState":\{', '"oldState": {'), (r'("instanceId":)', r"\1 "), (r'("values":\[)', r"\1 "),
             (r'("job":\{)', "\\1\t"), (r'("assignedPorts":\{)', r"\1 "), (r'("resources":\[\{)', r"\1 "))
    for pattern, replacement in edits:
        canonical = _LIFECYCLE
        if pattern.startswith('("owner"'):  # an owner hashed 0 (the encoder's form), read as -0
            canonical = re.sub(pattern, r"\g<1>0", _LIFECYCLE, count=1)
        other, found = re.subn(pattern, replacement, _LIFECYCLE, count=1)
        assert found == 1, pattern
        yield f"edit {replacement!r}", canonical, other


@pytest.mark.parametrize(("what", "canonical", "other"), list(_variants()), ids=lambda v: v[:40])
def test_the_same_objects_written_another_way_come_out_as_the_encoder_writes_them(
        what: str, canonical: str, other: str) -> None:
    assert canonical != other, what
    expected = pure_output(other, "0.22")
    assert expected == pure_output(canonical, "0.22") == (canonical, canonical.encode("utf-8")), \
        "the pair is not one of the encoder's form and another: the list is wrong"
    for payload, how in ((other, {}), (other.encode("utf-8"), WIRE)):
        with read_by_the_parser():  # read by the parser, which must find the text is not the encoder's
            event = accelerated(payload, "0.22", **how)
        assert (event.encode(), event.wire(**WIRE)) == expected, what
    with read_by_the_parser():
        event = accelerated(canonical.encode("utf-8"), "0.22", **WIRE)
    assert event.wire(**WIRE) == expected[1]


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_vectors_written_by_json_dumps_come_out_as_the_encoder_writes_them(name: str) -> None:
    """Every vector re-written by json.dumps (spaces, \\u escapes or none, < and & as they are, doubles in
    Python's form): the same objects, never given back as read."""
    release = _release_of(name)
    differ = 0
    for case in vector_file(name)["cases"][::3]:
        tree = json.loads(case["payload"])
        for options in ({}, {"separators": (",", ":"), "ensure_ascii": False}, {"separators": (",", ":")}):
            other = json.dumps(tree, **options)
            expected = pure_output(other, release)
            assert expected[0] == case["payload"], case["name"]
            for payload, how in ((other, {}), (other.encode("utf-8"), WIRE)):
                event = accelerated(payload, release, **how)
                assert (event.encode(), event.wire(**WIRE)) == expected, (case["name"], options)
            differ += other != case["payload"]
    assert differ > 60  # json.dumps does write them another way


# -- the event or its objects changed after decoding ------------------------------------------
_RANDOM = vector_file("aurora-0.22.0.json")["cases"]


def test_a_hash_cached_after_decoding_is_written() -> None:
    """java_hash after decoding caches the hashes read as 0: the text is the new one, not the text read."""
    with_zero = [c["payload"] for c in _RANDOM if '"cachedHashCode":0' in c["payload"]][:10]
    assert with_zero

    def hashed(event: TaskStateChange[Any]) -> None:
        java_hash(event.task, current_identity())
    for payload in with_zero:
        expected = pure_output(payload, "0.22", hashed)
        assert expected[0] != payload  # hashing does change the text
        with read_by_the_parser():
            event = accelerated(payload, "0.22")
        hashed(event)
        assert (event.encode(), event.wire(**WIRE)) == expected


def test_a_task_hashed_throughout_is_given_back_after_other_hashing() -> None:
    """A task whose every object is hashed cannot change: hashing elsewhere leaves its text as read."""
    whole = next(c["payload"] for c in _RANDOM if '"cachedHashCode":0' not in c["payload"])
    other = accelerated(_RANDOM[0]["payload"], "0.22")
    body = whole.encode("utf-8")
    event = accelerated(body, "0.22", **WIRE)
    java_hash(other.task, current_identity())  # moves hashing.EPOCH on
    assert event.wire(**WIRE) is body


@pytest.mark.parametrize("change", ("old_state", "no_old_state", "optional_style", "task"))
def test_a_changed_event_is_written_as_it_is_now(change: str) -> None:
    models = MODELS["0.22"]
    payload = vector_file("aurora-0.22.0-lifecycles.json")["cases"][3]["payload"]
    assert '"oldState":{"value":' in payload
    another = _RANDOM[5]["payload"]

    def changed(event: TaskStateChange[Any]) -> None:
        if change == "old_state":
            event.old_state = models.ScheduleStatus.RUNNING
        elif change == "no_old_state":
            event.old_state = None
        elif change == "optional_style":
            event.optional_style = "guava"
        else:
            event.task = decode_event(another, "0.22.0").task
    expected = pure_output(payload, "0.22", changed)
    assert expected[0] != payload
    with read_by_the_parser():
        event = accelerated(payload.encode("utf-8"), "0.22", **WIRE)
    with decoding(models, compiled=True):
        changed(event)
    assert (event.encode(), event.wire(**WIRE)) == expected


@pytest.mark.parametrize("release", sorted(MODELS))
def test_other_wire_forms_are_written_as_the_encoder_writes_them(release: str) -> None:
    """Bytes in another charset than the one read: the text read only where it is ASCII (the same bytes)."""
    payloads = [c["payload"] for c in vector_file(f"aurora-{RELEASES[release]}-lifecycles.json")["cases"][:5]]
    payloads += [payloads[0].replace(_ROLE, '"role":"é 日 😀"', 1)]
    for payload in payloads:
        body = payload.encode("utf-8")
        event = accelerated(body, release, **WIRE)
        for how in ({"encoding": "iso-8859-1"}, {"encoding": "utf-16"}, {}, {"content_type": "text/json"}):
            models = MODELS[release]
            with decoding(models, compiled=False), pure(models):
                expected = decode_event(body, RELEASES[release], **WIRE).wire(**how)
            got = event.wire(**how)
            assert got == expected, how
            assert (got is body) == (payload.isascii() and how.get("encoding") != "utf-16")


def test_a_text_not_the_encoders_is_not_remembered_for_the_next_event() -> None:
    """The same TaskConfig text twice, spaced out: the second event, whose TaskConfig the first could
    lend, is no more the encoder's text than the first."""
    payload = _LIFECYCLE.replace('"role":"www-data",', '"role":"www-data", ', 1)
    assert payload != _LIFECYCLE
    expected = pure_output(payload, "0.22")
    with decoding(MODELS["0.22"], compiled=True), read_by_the_parser():
        events = [decode_event(payload.encode("utf-8"), "0.22.0", **WIRE) for _ in range(2)]
    assert [(e.encode(), e.wire(**WIRE)) for e in events] == [expected, expected]


# -- random objects --------------------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_tasks_are_given_back_as_the_encoder_wrote_them(data: st.DataObject) -> None:
    """Random ScheduledTasks (strings of any code point, any double): the encoder's text comes back as read,
    and the same text re-written by json.dumps comes back as the encoder writes it."""
    release = data.draw(st.sampled_from(sorted(MODELS)), label="release")
    models = MODELS[release]
    task = data.draw(instances(models.ScheduledTask, max_depth=3, max_size=2, allow_nan=False,
                               allow_infinity=False), label="task")
    old_state = data.draw(st.sampled_from(('{}', '{"value":"RUNNING"}', '{"reference":"PENDING"}')))
    with pure(models):
        payload = '{"task":' + models.ScheduledTask._gson_encode(task) + ',"oldState":' + old_state + "}"
    if payload.encode("utf-8", "surrogatepass").decode("utf-8", "replace") == payload:  # no lone surrogate
        body = payload.encode("utf-8")
        expected = pure_output(body, release, **WIRE)
        assert expected == (payload, body)
        event = accelerated(body, release, **WIRE)
        assert (event.encode(), event.wire(**WIRE)) == expected
    event = accelerated(payload, release)
    assert event.encode() == pure_output(payload, release)[0] == payload
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    other = json.dumps(json.loads(payload), ensure_ascii=rng.random() < 0.5,
                       separators=rng.choice(((",", ":"), (", ", ": "))))
    event = accelerated(other, release)
    assert (event.encode(), event.wire(**WIRE)) == pure_output(other, release)


# -- doubles: the walker's Double.toString, and the parser's test of a double's text -----------
def test_the_walker_writes_every_jdk_double_as_the_jdk() -> None:
    """The JDK's Double.toString of each double of the oracle file: the walker writes it (its C layout
    of repr's digits, or Java's rules in Python), and the parser reads that text as the encoder's."""
    import struct

    from shared import vector_path
    api = MODELS["0.22"]
    rows = [line.split("\t") for line in vector_path("java-double-tostring.tsv").read_text("ascii").splitlines()
            if not line.startswith("#")]
    assert len(rows) >= 3000
    for bits, java in rows:
        value = struct.unpack(">d", bytes.fromhex(bits))[0]
        resource = api.Resource(numCpus=value)
        assert api.Resource._gson_encode(resource) == api.gson._enc_Resource(resource) \
            == '{"cachedHashCode":0,"setField":"NUM_CPUS","value":' + java + "}", bits
    for bits, java in rows[::max(1, len(rows) // 300)]:
        body = _LIFECYCLE.replace(_CPUS, _CPUS[:-3] + java, 1).encode("utf-8")
        with read_by_the_parser():
            event = accelerated(body, "0.22", **WIRE)
        assert event.wire(**WIRE) is body, bits
