"""The ``type=`` converters of every command's numeric options.

Each raises :class:`argparse.ArgumentTypeError` with a message saying what was
expected and what was given, so a bad value reads as
``argument --jobs: expected a whole number > 0, got 'abc'`` (argparse's own
message would name the Python function instead).
"""

from __future__ import annotations

import argparse
import math


def _whole_number(text: str, wanted: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None


def _number(text: str, wanted: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
    if math.isnan(value):
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    wanted = "a whole number > 0"
    value = _whole_number(text, wanted)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    wanted = "a whole number >= 0"
    value = _whole_number(text, wanted)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
    return value


def port(text: str) -> int:
    wanted = "a port number from 0 to 65535"
    value = _whole_number(text, wanted)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
    return value


def positive_float(text: str) -> float:
    wanted = "a number > 0"
    value = _number(text, wanted)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    wanted = "a number >= 0"
    value = _number(text, wanted)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
    return value
