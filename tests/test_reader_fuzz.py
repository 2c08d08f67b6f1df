"""Fuzz of the payload file readers (every format the CLI reads), seeded and reproducible.

Each input is a bundled vector file, JSON lines or a ```json document, cut,
spliced, flipped or deeply nested; reading it may give payloads, payloads
with a ``problem``, or one AurorakitError, never anything else.
AURORAKIT_FUZZ_SEED and AURORAKIT_FUZZ_CASES run it longer.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from aurorakit.runtime.aurora.payload_files import open_payload_file
from aurorakit.runtime.errors import AurorakitError
from shared import vector_path

SEED = int(os.environ.get("AURORAKIT_FUZZ_SEED", "20261202"))
CASES = int(os.environ.get("AURORAKIT_FUZZ_CASES", "10000"))


def _bases() -> list[bytes]:
    vectors = json.loads(vector_path("aurora-0.22.0.json").read_text(encoding="utf-8"))
    cases = vectors["cases"][:6]
    small = dict(vectors, cases=cases)
    lines = "\n".join(c["payload"] for c in cases) + "\n"
    doc = "Some text.\n\n```json\n" + json.dumps(json.loads(cases[0]["payload"]), indent=2) + "\n```\nmore\n"
    return [json.dumps(small).encode(), json.dumps(small, indent=1).encode(), lines.encode(),
            ('{"aurora": "0.22.0"}\n' + lines).encode(), doc.encode(), cases[1]["payload"].encode()]


def _mutate(rng: random.Random, data: bytes) -> bytes:
    kind = rng.randrange(7)
    if kind == 0:  # cut anywhere
        return data[:rng.randrange(len(data) + 1)]
    if kind == 1:  # flip some bytes
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    if kind == 2:  # splice a piece elsewhere
        a, b = sorted(rng.randrange(len(data)) for _ in range(2))
        at = rng.randrange(len(data))
        return data[:at] + data[a:b] + data[at:]
    if kind == 3:  # deep nesting at a random place
        depth = rng.choice([50, 1000, 100_000])
        at = rng.randrange(len(data))
        return data[:at] + b"[" * depth + b"]" * rng.choice([0, depth]) + data[at:]
    if kind == 4:  # a huge number
        at = rng.randrange(len(data))
        return data[:at] + b"9" * rng.choice([500, 5000]) + data[at:]
    if kind == 5:  # structural characters in odd places
        at = rng.randrange(len(data))
        return data[:at] + rng.choice([b"```json\n", b"\n", b"{", b"}", b'"', b"\x00", b"\xff\xfe", b"\\u"]) + data[at:]
    return bytes(rng.randrange(256) for _ in range(rng.randrange(64)))  # noise


def test_readers_give_payloads_or_one_aurorakit_error(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    bases = _bases()
    path = tmp_path / "input"
    path.write_bytes(b"")
    outcomes = {"read": 0, "problems": 0, "refused": 0}
    for number in range(CASES):
        data = _mutate(rng, rng.choice(bases))
        with path.open("r+b") as file:  # not write_bytes: ext4 flushes a file truncated on open (2 ms a case)
            file.write(data)
            file.truncate()
        try:
            with open_payload_file(str(path)) as source:
                for payload in source:
                    outcomes["problems" if payload.problem else "read"] += 1
                    assert isinstance(payload.text, str)
        except AurorakitError:
            outcomes["refused"] += 1
        except Exception as err:  # pragma: no cover - the failure message is the point
            raise AssertionError(f"seed {SEED} case {number}: {type(err).__name__}: {err}\n"
                                 f"input (first 300 bytes): {data[:300]!r}") from err
    # Each kind of outcome happens: the mutations reach the readers' error paths and their good paths.
    assert all(outcomes.values()), outcomes


def test_a_vector_file_with_invalid_utf8_is_one_payload_error(tmp_path: Path) -> None:
    """Found by the fuzz: ijson's UnicodeDecodeError escaped the vector file reader."""
    path = tmp_path / "broken.json"
    path.write_bytes(b'{"aurora": "0.22.0", "cases": [{"name": "a\xed\xa0", "payload": "{}"}]}')
    try:
        with open_payload_file(str(path)) as source:
            list(source)
    except AurorakitError as err:
        assert str(path) in str(err)
    else:
        raise AssertionError("an invalid UTF-8 vector file was read without a complaint")
