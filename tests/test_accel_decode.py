"""The compiled decoding against the generated decoders (the reference).

The accelerated path reads an event's text with the compiled parser
(runtime/_decode.c), and where it declines parses the text and builds the
objects from the tree with the compiled builder (or, where that declines, the
generated functions). Each comparison decodes the same text twice, each time
on fresh intern tables and fresh Shape caches (so neither side finds what the
other left behind): once with the generated ``_dec_*`` functions, once
accelerated (``parse=False``: the builder alone). The
objects must be equal, of the same classes, with the same caches (_jhash as
read, _json and _pyhash unset), re-encode to the same text and hash the same;
every error must be the same type and message (its path included).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from aurorakit.generated import aurora_0_14, aurora_0_22
from aurorakit.runtime import accel
from aurorakit.runtime.aurora.event import decode_event
from aurorakit.runtime.identity import current_identity
from aurorakit.runtime.interning import Interned
from aurorakit.runtime.member_shapes import Shape
from aurorakit.runtime.struct import ThriftStruct
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared import vector_file
from strategies import instances
from test_accel import VECTOR_FILES, _caches, _classes, _objects, _outcome

MODELS = {"0.14": aurora_0_14, "0.22": aurora_0_22}
RELEASES = {"0.14": "0.14.0", "0.22": "0.22.0"}

pytestmark = pytest.mark.skipif(not accel.ACTIVE, reason=f"the accelerator is not in use: {accel.status()}")


def _fresh_tables(models: ModuleType) -> None:
    """Empty every Interned table and Shape cache of ``models``' gson module."""
    for value in vars(models.gson).values():
        if isinstance(value, Interned):
            value._objects.clear()
            value._first.clear()
        elif isinstance(value, Shape):
            value.valid.clear()


@contextlib.contextmanager
def decoding(models: ModuleType, compiled: bool, parse: bool = True) -> Iterator[None]:
    """Within this block ``models`` decode accelerated (compiled; ``parse``: events read straight from
    their text) or with the generated functions."""
    accel.accelerate_decoding(models)
    classes = _classes(models)
    saved = {cls: cls.__dict__["_gson_decode"] for cls in classes}
    if not compiled:
        for cls in classes:
            type.__setattr__(cls, "_gson_decode", staticmethod(getattr(models.gson, f"_dec_{cls.__name__}")))
    was = accel.PARSE
    accel.PARSE = parse
    _fresh_tables(models)
    try:
        yield
    finally:
        accel.PARSE = was
        for cls, decode in saved.items():
            type.__setattr__(cls, "_gson_decode", decode)


@contextlib.contextmanager
def parsed_without_declining() -> Iterator[None]:
    """The block's events must all be read by the compiled parser (none handed back)."""
    from aurorakit.runtime._speedups import parse_fallbacks
    declined = parse_fallbacks()
    yield
    assert parse_fallbacks() == declined, "the parser declined an event"


def _read(payload: str | bytes, release: str, strict: bool = True, **how: Any) -> tuple[str, Any]:
    """What decoding gives: the event's fields and caches, its text again, every hash; or the error."""
    def step() -> Any:
        event = decode_event(payload, RELEASES[release], strict=strict, **how)
        shape = [(type(o), o._pyhash) for o in _objects(event.task)]
        caches = _caches(event.task)
        text = event.encode()
        ids = current_identity()
        hashes = [type(o)._java_hash(o, ids) for o in _objects(event.task)]
        return event.task, shape, caches, text, hashes
    return _outcome(step)


def _both(payload: str | bytes, release: str, strict: bool = True, parse: bool = True,
          **how: Any) -> tuple[Any, Any]:
    models = MODELS[release]
    with decoding(models, compiled=False):
        expected = _read(payload, release, strict, **how)
    with decoding(models, compiled=True, parse=parse):
        got = _read(payload, release, strict, **how)
    return expected, got


def _release_of(name: str) -> str:
    return str(vector_file(name)["aurora"].rsplit(".", 1)[0])


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_every_vector_decodes_the_same(name: str) -> None:
    release = _release_of(name)
    with parsed_without_declining():
        for case in vector_file(name)["cases"]:
            expected, got = _both(case["payload"], release)
            assert expected[0] == "ok", case["name"]
            assert got == expected, case["name"]
            assert got[1][3] == case["payload"], case["name"]


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_every_vector_built_from_its_tree_decodes_the_same(name: str) -> None:
    from aurorakit.runtime._speedups import decode_fallbacks
    release = _release_of(name)
    declined = decode_fallbacks()
    for case in vector_file(name)["cases"]:
        expected, got = _both(case["payload"], release, parse=False)
        assert got == expected, case["name"]
    if "lifecycles" in name:  # no double past 2^63 there: the builder made every object itself
        assert decode_fallbacks() == declined


@pytest.mark.parametrize("name", ("aurora-0.14.0.json", "aurora-0.22.0-lifecycles.json"))
def test_pretty_printed_vectors_are_parsed_the_same(name: str) -> None:
    release = _release_of(name)
    with parsed_without_declining():
        for case in vector_file(name)["cases"][:40]:
            for ascii_only in (True, False):  # non-ASCII as \u escapes, or as it is
                pretty = json.dumps(json.loads(case["payload"]), indent=2, ensure_ascii=ascii_only)
                expected, got = _both(pretty, release)
                assert expected[0] == "ok" and got == expected, case["name"]


def test_the_parser_is_what_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Accelerated, an event's text is read with no parsed tree: the JSON parser never runs."""
    from aurorakit.runtime import codec
    case = vector_file("aurora-0.22.0-lifecycles.json")["cases"][0]["payload"]
    parsed: list[Any] = []
    parse_json = codec.parse_json
    monkeypatch.setattr(codec, "parse_json", lambda *a, **k: parsed.append(a) or parse_json(*a, **k))
    with decoding(aurora_0_22, compiled=True, parse=False):
        decode_event(case, "0.22.0")
    assert len(parsed) == 1  # the check can fail: without the parser, the text is parsed
    with decoding(aurora_0_22, compiled=True), parsed_without_declining():
        event = decode_event(case, "0.22.0")
    assert len(parsed) == 1
    assert event.encode() == case


def test_the_builder_is_what_decodes() -> None:
    """The builder in place, a payload decodes without the generated decoders being called."""
    case = vector_file("aurora-0.22.0-lifecycles.json")["cases"][0]["payload"]
    calls = []
    original = aurora_0_22.gson._dec_TaskConfig
    with decoding(aurora_0_22, compiled=True, parse=False):
        aurora_0_22.gson._dec_TaskConfig = lambda d: calls.append(d) or original(d)  # type: ignore[attr-defined]
        try:
            decode_event(case, "0.22.0")
        finally:
            aurora_0_22.gson._dec_TaskConfig = original  # type: ignore[attr-defined]
    assert calls == []


def test_repeated_objects_are_shared_as_the_generated_decoders_share_them() -> None:
    cases = vector_file("aurora-0.22.0-lifecycles.json")["cases"][:12]

    def configs() -> list[int]:
        tasks = [decode_event(c["payload"], "0.22.0").task for c in cases]
        first: dict[int, int] = {}
        return [first.setdefault(id(t.assignedTask.task), i) for i, t in enumerate(tasks)]
    with decoding(aurora_0_22, compiled=False):
        expected = configs()
    with decoding(aurora_0_22, compiled=True):
        got = configs()
    assert len(set(expected)) < len(expected)  # the vectors do repeat TaskConfigs
    assert got == expected


# -- irregular input: the builder declines and the errors are the generated decoders' ------
BAD_VALUES = (None, "x", 2**70, -(2**31) - 1, 2**31, 1.5, 1e300, True, [], {}, "NOT_A_NAME", 10**500)


def _dicts(tree: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    if isinstance(tree, dict):
        yield path, tree
        for key, value in tree.items():
            yield from _dicts(value, (*path, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from _dicts(value, (*path, i))


def _mutate(payload: str, rng: random.Random) -> str:
    """The payload with one object edited: a member dropped, replaced, added, or moved."""
    tree = json.loads(payload)
    _, target = rng.choice(list(_dicts(tree)))
    keys = list(target)
    how = rng.randrange(4)
    if how == 0 and keys:
        del target[rng.choice(keys)]
    elif how == 1 and keys:
        value = rng.choice(BAD_VALUES)
        target[rng.choice(keys)] = value if value != 10**500 else 0  # replaced below by its text
        if value == 10**500:
            return json.dumps(tree).replace(": 0", ": " + "9" * 500, 1)
    elif how == 2:
        target[rng.choice(("extra", "cachedHashCode", "setField"))] = rng.choice(BAD_VALUES[:3])
    elif len(keys) > 1:
        first = keys[rng.randrange(len(keys))]
        target[first] = target.pop(first)  # moved to the end
    return json.dumps(tree)


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_edited_payloads_fail_or_decode_the_same(name: str) -> None:
    release = _release_of(name)
    rng = random.Random(name)
    cases = vector_file(name)["cases"]
    failures = 0
    for _ in range(60):
        payload = _mutate(rng.choice(cases)["payload"], rng)
        expected, got = _both(payload, release)
        assert got == expected, payload
        failures += expected[0] != "ok"
    assert failures > 20  # the edits do reach the error paths


def test_members_in_any_order_decode_the_same_when_allowed() -> None:
    rng = random.Random(7)
    for case in vector_file("aurora-0.22.0.json")["cases"][:30]:
        tree = json.loads(case["payload"])
        for _, d in _dicts(tree):
            items = list(d.items())
            rng.shuffle(items)
            d.clear()
            d.update(items)
        payload = json.dumps(tree)
        for strict in (True, False):
            expected, got = _both(payload, "0.22", strict)
            assert got == expected, (strict, payload)


# -- random objects of every class -------------------------------------------------
ALL_CLASSES = [(models, cls) for models in (aurora_0_14, aurora_0_22) for cls in _classes(models)
               if cls._kind != "exception"]


def _decode_outcome(cls: type[Any], tree: Any) -> tuple[str, Any]:
    def step() -> Any:
        obj = cls._gson_decode(tree)
        return obj, [(type(o), o._pyhash) for o in _objects(obj)], _caches(obj)
    return _outcome(step)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_objects_of_every_class_decode_the_same(data: st.DataObject) -> None:
    models, cls = data.draw(st.sampled_from(ALL_CLASSES), label="class")
    obj = data.draw(instances(cls, max_depth=2, max_size=2, allow_nan=False, allow_infinity=False), label="object")
    text = type(obj)._gson_encode(obj)
    assert isinstance(obj, ThriftStruct)
    with decoding(models, compiled=False):
        expected = _decode_outcome(cls, json.loads(text))
    with decoding(models, compiled=True):
        got = _decode_outcome(cls, json.loads(text))
    assert got == expected


def test_decoding_stays_pure_under_aurorakit_pure() -> None:
    code = ("from aurorakit.runtime import accel; from aurorakit.generated import aurora_0_22 as api; "
            "accel.accelerate_decoding(api); "
            "print(accel.DECODE, api.TaskConfig._gson_decode is api.gson._dec_TaskConfig)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                          env={**os.environ, "AURORAKIT_PURE": "1", "AURORAKIT_ACCEL_DECODE": "1"})
    assert done.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("name", ("aurora-0.14.0-lifecycles.json", "aurora-0.22.0.json"))
def test_every_number_out_of_range_is_the_same_error(name: str) -> None:
    """Each integer member of a payload in turn set past Java's int (and long) range."""
    release = _release_of(name)
    payload = vector_file(name)["cases"][3]["payload"]
    members = [(path, key) for path, d in _dicts(json.loads(payload)) for key, v in d.items()
               if v.__class__ is int]
    assert len(members) > 5
    failures = 0
    for path, key in members:
        for value in (2**31, -(2**31) - 1, 2**63):
            tree = json.loads(payload)
            target = tree
            for step in path:
                target = target[step]
            target[key] = value
            edited = json.dumps(tree)
            expected, got = _both(edited, release)
            assert got == expected, (path, key, value)
            failures += expected[0] != "ok"
    assert failures > len(members)  # 2^63 fits no integer, the other two no int: most edits are errors


# -- text the parser reads itself: strings, numbers, structure ----------------------------
_LIFECYCLE = vector_file("aurora-0.22.0-lifecycles.json")["cases"][0]["payload"]
REGULAR_STRINGS = (
    r'"plain"', r'""', r'"\"\\\/\b\f\n\r\t"', r'"\u003c\u003e\u0026\u003d\u0027"', r'"\u00e9\u65e5\u2028"',
    r'"\ud83d\ude00 pair"', '"raw é 日本 😀"', r'"\u0000 nul"', r'"\uD83D\uDE00 upper hex"', '"raw \x7f del"',
)
STRING_TEXTS = REGULAR_STRINGS + (
    r'"\ud800 lone high"', r'"\udc00 lone low"', r'"\ud83d\u0041 high then not low"', r'"\x41 bad escape"',
    r'"\u12 short"', r'"\u12G4 not hex"', '"raw \x01 control"', r'"ends in \\"',
    '"unterminated', "5", "null", "true", r'["a"]',
)


@pytest.mark.parametrize("text", STRING_TEXTS)
def test_strings_read_the_same(text: str) -> None:
    """A string member (role) and a map key (taskLinks) written every way JSON allows, and some it does not."""
    value = _LIFECYCLE.replace('"role":"www-data"', f'"role":{text}', 1)
    key = _LIFECYCLE.replace('"taskLinks":{"http":', f'"taskLinks":{{{text}:', 1)
    assert value != _LIFECYCLE and key != _LIFECYCLE
    for payload in (value, key):
        with parsed_without_declining() if text in REGULAR_STRINGS else contextlib.nullcontext():
            expected, got = _both(payload, "0.22")
        assert got == expected, payload


REGULAR_DOUBLES = ("0", "-7", "9007199254740992", "1.0", "-0.0", "1e2", "1E+2", "2.5e-3", "1.0E19",
                   "-9.223372036854776E18", "1.7976931348623157E308", "4.9E-324", "1" + "0" * 50 + ".5")
NUMBER_TEXTS = ("0", "-0", "7", "-7", "1.0", "-0.0", "1e2", "1E+2", "2.5e-3", "1.5", "9007199254740993",
                "9007199254740992", "2147483647", "2147483648", "-2147483648", "-2147483649",
                "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
                "1" * 25, "1e400", "-1e400", "1.0E19", "9.223372036854776E18", "1.7976931348623157E308",
                "4.9E-324", "1" + "0" * 70 + ".5", "01", "1.", ".5", "-", "+1", "1e", "0x10", "NaN", "Infinity",
                '"1"', "true", "null")


@pytest.mark.parametrize("text", NUMBER_TEXTS)
def test_numbers_read_the_same(text: str) -> None:
    """A number written every way, as a double (NUM_CPUS), an i32 (priority), an i64 (a timestamp) and a hash."""
    edits = (('"setField":"NUM_CPUS","value":[^,}]+', f'"setField":"NUM_CPUS","value":{text}'),
             ('"priority":[^,}]+', f'"priority":{text}'),
             ('"timestamp":[^,}]+', f'"timestamp":{text}'),
             ('"owner":{"cachedHashCode":[^,}]+', f'"owner":{{"cachedHashCode":{text}'))
    for pattern, new in edits:
        payload, edited = re.subn(pattern, new.replace("\\", "\\\\"), _LIFECYCLE, count=1)
        assert edited == 1
        expected, got = _both(payload, "0.22")
        assert got == expected, payload


@pytest.mark.parametrize("text", REGULAR_DOUBLES)
def test_doubles_are_read_by_the_parser(text: str) -> None:
    """Doubles however written, past 2^63 too (read with Java's meaning of the text), need no tree."""
    payload = _LIFECYCLE.replace('"setField":"NUM_CPUS","value":0.3', f'"setField":"NUM_CPUS","value":{text}', 1)
    assert payload != _LIFECYCLE
    with parsed_without_declining():
        expected, got = _both(payload, "0.22")
    assert expected[0] == "ok" and got == expected


def test_cut_and_padded_text_is_the_same_error() -> None:
    """The text cut at every point of a payload's first part, or followed by more, or spaced out."""
    payload = vector_file("aurora-0.14.0.json")["cases"][5]["payload"]
    variants = [payload[:cut] for cut in range(0, min(len(payload), 700), 7)]
    variants += [payload + tail for tail in (" ", "\n", "x", "}", " {}", "\x00")]
    variants += [" " + payload, payload.replace(",", " ,\t", 5), payload.replace(":", "\r\n: ", 5)]
    variants += [payload.replace('"oldState":', '"oldState":null,"x":'), payload.replace('"task":', '"tasks":', 1)]
    for text in variants:
        expected, got = _both(text, "0.14")
        assert got == expected, text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_tasks_read_from_text_the_same(data: st.DataObject) -> None:
    """Random ScheduledTasks (strings of any code point, any double) written by the encoder, read as events."""
    release = data.draw(st.sampled_from(sorted(MODELS)), label="release")
    models = MODELS[release]
    task = data.draw(instances(models.ScheduledTask, max_depth=3, max_size=2, allow_nan=False,
                               allow_infinity=False), label="task")
    old_state = data.draw(st.sampled_from(('{}', '{"value":"RUNNING"}', '{"reference":"PENDING"}')))
    payload = '{"task":' + models.ScheduledTask._gson_encode(task) + ',"oldState":' + old_state + "}"
    expected, got = _both(payload, release)
    assert got == expected


BODIES = ("raw é 日本 😀", r"\u00e9 escaped", "plain ascii")
BAD_BYTES = (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe9", b"\xc0\xaf")


@pytest.mark.parametrize("release", sorted(MODELS))
def test_bytes_in_every_charset_read_the_same(release: str) -> None:
    """Bodies as bytes: the parser reads UTF-8 (and ASCII-only ISO-8859-1) bytes itself, declines the rest."""
    payload = vector_file(f"aurora-{RELEASES[release]}-lifecycles.json")["cases"][0]["payload"]
    where = '"role":"www-data"'
    assert where in payload
    bodies = [payload.replace(where, f'"role":"{text}"', 1) for text in BODIES]
    cases: list[tuple[bytes, dict[str, Any]]] = []
    for body in bodies:
        for charset in ("utf-8", "iso-8859-1", "UTF8", "latin-1", "cp1252", "utf-16"):
            try:
                data = body.encode(charset)
            except UnicodeEncodeError:
                data = body.encode(charset, "replace")
            cases += [(data, {"encoding": charset}), (data, {"content_type": f"application/json; charset={charset}"}),
                      (data, {})]
    raw = payload.encode("utf-8")
    at = raw.index(b"www-data") + 3
    for bad in BAD_BYTES:
        cases += [(raw[:at] + bad + raw[at:], {"encoding": "utf-8"}), (raw[:at] + bad + raw[at:], {})]
    cases += [(b"\xef\xbb\xbf" + raw, {"encoding": "utf-8"}), (raw + b"\x80", {"encoding": "utf-8"})]
    with parsed_without_declining():  # UTF-8 bytes of the vector: the parser reads them
        assert _both(raw, release, encoding="utf-8")[0][0] == "ok"
    for data, how in cases:
        expected, got = _both(data, release, **how)
        assert got == expected, (data, how)


def test_aurorakit_accel_decode_0_keeps_decoding_pure_and_only_0_does() -> None:
    code = ("from aurorakit.runtime import accel; from aurorakit.generated import aurora_0_22 as api; "
            "accel.accelerate(api); "
            "print(accel.ACTIVE, accel.DECODE, api.TaskConfig._gson_decode is api.gson._dec_TaskConfig)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    base = {k: v for k, v in os.environ.items() if k not in ("AURORAKIT_PURE", "AURORAKIT_ACCEL_DECODE")}
    for setting, expected in ((None, ["True", "True", "False"]), ("0", ["True", "False", "True"]),
                              ("1", ["True", "True", "False"])):
        env = base if setting is None else {**base, "AURORAKIT_ACCEL_DECODE": setting}
        done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                              env=env)
        assert done.stdout.split() == expected, setting
