"""The memo behind Java string hashes and Gson string text stays bounded (runtime/java.py).

Documented in ``remember_short_strings``: answers for strings up to 256
characters are kept, and the memo is emptied when it reaches 65,536 entries,
so a stream of distinct names cannot grow it without limit.
"""

from __future__ import annotations

from aurorakit.runtime.java import remember_short_strings


def _counting() -> tuple[list[str], object]:
    calls: list[str] = []

    def compute(s: str) -> int:
        calls.append(s)
        return len(s)

    return calls, remember_short_strings(compute)


def test_a_string_of_256_characters_is_remembered_and_one_of_257_is_not() -> None:
    calls, remembered = _counting()
    for s in ("a" * 256, "a" * 256, "b" * 257, "b" * 257):
        remembered(s)
    assert calls == ["a" * 256, "b" * 257, "b" * 257]


def test_the_memo_is_emptied_when_it_reaches_65536_entries() -> None:
    calls, remembered = _counting()
    memo = remembered.__self__  # the memo is the dict whose __getitem__ the decorator returns
    for i in range(65536):
        remembered(str(i))
    assert len(memo) == 65536
    remembered("one more")
    assert len(memo) == 1
    remembered("0")  # forgotten with the rest
    assert calls[-1] == "0" and len(calls) == 65538
