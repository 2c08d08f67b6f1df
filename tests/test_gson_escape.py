"""gson_string against real Gson (``new Gson().toJson(string)``).

Every UTF-16 code unit 0..0xFFFF appears at least once per run, in random
company; set AURORAKIT_TEST_SEED to replay (the seed is printed and is part
of every failure message).  Needs /usr/share/java/gson.jar (Debian package
libgoogle-gson-java), else the differential test is skipped.
"""

from __future__ import annotations

import os
import random

import pytest
from aurorakit.runtime import gson
from aurorakit.runtime.gson import gson_bool, gson_double, gson_string
from jdk import GSON_JAR, oracle, utf16_hex

SEED = int(os.environ.get("AURORAKIT_TEST_SEED", random.randrange(1 << 32)))

# Characters that need escaping, and their neighbours, to salt random text.
AWKWARD = "\"\\/<>&='\t\b\n\r\f\x00\x1f\x7f\x80\u2027\u2028\u2029\u202a\ud7ff\ud800\udbff\udc00\udfff\ue000\uffff"


def random_strings(rng: random.Random) -> list[str]:
    units = list(range(0x10000))
    rng.shuffle(units)
    strings = []
    while units:  # every code unit, lone surrogates included, in random company
        take = rng.randrange(1, 60)
        strings.append("".join(map(chr, units[:take])))
        del units[:take]
    for _ in range(1500):
        length = rng.randrange(40)
        strings.append(
            "".join(
                rng.choice(AWKWARD)
                if rng.random() < 0.4
                else chr(rng.randrange(0x10000, 0x110000) if rng.random() < 0.1 else rng.randrange(0x20, 0x7F))
                for _ in range(length)
            )
        )
    return strings + ["", "plain", "a" * 5000 + "<" + "b" * 5000]


def test_gson_string_matches_real_gson(monkeypatch: pytest.MonkeyPatch) -> None:
    gson.gson_string.__self__.clear()  # type: ignore[attr-defined]  # start with no escaped string remembered
    print(f"AURORAKIT_TEST_SEED={SEED}")
    strings = random_strings(random.Random(SEED))
    answers = oracle("GsonEscape", jars=[GSON_JAR]).ask(utf16_hex(s) for s in strings)
    first = [gson_string(s) for s in strings]
    again = [gson_string(s) for s in strings]  # short strings come from the cache
    wrong = [
        (s, f, a) for s, f, a, java in zip(strings, first, again, answers) if not utf16_hex(f) == utf16_hex(a) == java
    ]
    assert not wrong, f"seed {SEED}: {len(wrong)} of {len(strings)} differ, e.g. (string, ours, again): {wrong[:5]!a}"


@pytest.mark.parametrize(
    "text, written",
    [
        # the escaping rules as the payload format note states them
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("\t\b\n\r\f", '"\\t\\b\\n\\r\\f"'),
        ("\x00\x01\x1f", '"\\u0000\\u0001\\u001f"'),
        ("<a href='x'>&=", '"\\u003ca href\\u003d\\u0027x\\u0027\\u003e\\u0026\\u003d"'),
        ("\u2028\u2029", '"\\u2028\\u2029"'),
        ("\x7f é 日 \U0001f600 \ud800", '"\x7f é 日 \U0001f600 \ud800"'),
        ("/", '"/"'),
    ],
)
def test_escaping_rules_of_the_format_note(text: str, written: str) -> None:
    assert gson_string(text) == written


def test_other_primitives() -> None:
    from aurorakit.generated import aurora_0_22 as api
    from aurorakit.runtime.codec import encode
    assert '"value":-9223372036854775808}' in encode(api.Resource(ramMb=-9223372036854775808))  # a Java long
    assert gson_bool(True) == "true" and gson_bool(False) == "false"
    assert gson_double(1e23) == "9.999999999999999E22"
    with pytest.raises(ValueError):
        gson_double(float("nan"))
