"""The ``type=`` converters of every command's numeric options.

Each raises :class:`argparse.ArgumentTypeError` with a message saying what was
expected and what was given, so a bad value reads as
``argument --jobs: expected a whole number > 0, got 'abc'`` (argparse's own
message would name the Python function instead).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TypeVar

Number = TypeVar("Number", int, float)


def _converter(parse: Callable[[str], Number], wanted: str,
               within: Callable[[Number], bool]) -> Callable[[str], Number]:
    def convert(text: str) -> Number:
        try:
            value = parse(text)
        except ValueError:
            value = None
        if value is None or (isinstance(value, float) and math.isnan(value)) or not within(value):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value
    return convert


positive_int = _converter(int, "a whole number > 0", lambda value: value >= 1)
non_negative_int = _converter(int, "a whole number >= 0", lambda value: value >= 0)
port = _converter(int, "a port number from 0 to 65535", lambda value: 0 <= value <= 65535)
positive_float = _converter(float, "a number > 0", lambda value: value > 0)
non_negative_float = _converter(float, "a number >= 0", lambda value: value >= 0)
