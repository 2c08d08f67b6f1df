"""B4: string_hash on distinct 1.5 KB strings, against a plain per-character loop."""

from __future__ import annotations

import random

from aurorakit.runtime.java import string_hash

from .common import Figure, best, rate_figure


def per_character_hash(text: str) -> int:
    """Java's String.hashCode the obvious way: one step per UTF-16 code unit."""
    h = 0
    for ch in text:
        code = ord(ch)
        if code > 0xFFFF:  # two surrogates
            code -= 0x10000
            h = (31 * h + 0xD800 + (code >> 10)) & 0xFFFFFFFF
            h = (31 * h + 0xDC00 + (code & 0x3FF)) & 0xFFFFFFFF
        else:
            h = (31 * h + code) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def strings(count: int, length: int = 1536, seed: int = 4) -> list[str]:
    rng = random.Random(seed)
    alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 {}":,./-_ABCXYZéüñ'
    return ["".join(rng.choice(alphabet) for _ in range(length)) for _ in range(count)]


def run(quick: bool = False, tiny: bool = False) -> Figure:
    texts = strings(20 if tiny else 200 if quick else 1000)
    assert all(string_hash(t) == per_character_hash(t) for t in texts[:20])

    def ours() -> int:
        for t in texts:
            string_hash(t)
        return len(texts)

    def baseline() -> int:
        for t in texts:
            per_character_hash(t)
        return len(texts)

    # Strings over 256 characters are never remembered (runtime/java.py): repeating the runs is honest.
    return rate_figure("HASH", "string_hash, distinct 1.5 KB strings", "strings/s", best(ours),
                       best(baseline, repeats=3), "per-character loop", ">= 20x", 20.0)
