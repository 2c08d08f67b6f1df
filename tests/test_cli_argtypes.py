"""Bad numbers on the command line: one line saying what was expected and what was given, exit 2."""

from __future__ import annotations

import argparse

import pytest
from aurorakit.runtime.cli import argtypes
from aurorakit.runtime.cli.main import main

DRY = ["--dry-run", "out.jsonl"]


@pytest.mark.parametrize(("argv", "message"), [
    (["simulate", "--jobs", "abc", "--instances", "1", *DRY],
     "aurorakit simulate: error: argument --jobs: expected a whole number > 0, got 'abc'"),
    (["simulate", "--jobs", "0", "--instances", "1", *DRY],
     "aurorakit simulate: error: argument --jobs: expected a whole number > 0, got '0'"),
    (["simulate", "--jobs", "1", "--instances", "1.5", *DRY],
     "aurorakit simulate: error: argument --instances: expected a whole number > 0, got '1.5'"),
    (["simulate", "--jobs", "1", "--instances", "1", "--rate", "-2", *DRY],
     "aurorakit simulate: error: argument --rate: expected a number >= 0, got '-2'"),
    (["simulate", "--jobs", "1", "--instances", "1", "--rate", "nan", *DRY],
     "aurorakit simulate: error: argument --rate: expected a number >= 0, got 'nan'"),
    (["simulate", "--jobs", "1", "--instances", "1", "--duration", "soon", *DRY],
     "aurorakit simulate: error: argument --duration: expected a number >= 0, got 'soon'"),
    (["receive", "--store", "r.db", "--port", "http"],
     "aurorakit receive: error: argument --port: expected a port number from 0 to 65535, got 'http'"),
    (["receive", "--store", "r.db", "--port", "65536"],
     "aurorakit receive: error: argument --port: expected a port number from 0 to 65535, got '65536'"),
    (["receive", "--store", "r.db", "--tail", "-1"],
     "aurorakit receive: error: argument --tail: expected a whole number >= 0, got '-1'"),
    (["receive", "--store", "r.db", "--port", "0", "--header-timeout", "0"],
     "aurorakit receive: error: argument --header-timeout: expected a number > 0, got '0'"),
    (["send", "--config", "w.json", "--wait", "x", "f.json"],
     "aurorakit send: error: argument --wait: expected a number >= 0, got 'x'"),
])
def test_a_bad_number_is_one_line_saying_what_was_expected(argv: list[str], message: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    command = argv[0]
    assert capsys.readouterr().err == f"{message} (see aurorakit {command} --help)\n"


@pytest.mark.parametrize(("convert", "good"), [
    (argtypes.positive_int, {"1": 1, "65536": 65536}),
    (argtypes.non_negative_int, {"0": 0, "7": 7}),
    (argtypes.port, {"0": 0, "65535": 65535}),
    (argtypes.positive_float, {"0.25": 0.25, "3": 3.0}),
    (argtypes.non_negative_float, {"0": 0.0, "1e3": 1000.0}),
])
def test_the_edges_of_each_range_are_taken(convert: object, good: dict[str, float]) -> None:
    assert callable(convert)
    assert {text: convert(text) for text in good} == good


@pytest.mark.parametrize(("convert", "bad"), [
    (argtypes.positive_int, "0"), (argtypes.non_negative_int, "-1"), (argtypes.port, "-1"),
    (argtypes.port, "65536"), (argtypes.positive_float, "0"), (argtypes.positive_float, "-0.0"),
    (argtypes.non_negative_float, "-0.001"), (argtypes.positive_float, "nan"),
])
def test_just_outside_each_range_is_refused(convert: object, bad: str) -> None:
    assert callable(convert)
    with pytest.raises(argparse.ArgumentTypeError, match=f"got '{bad}'$"):
        convert(bad)
