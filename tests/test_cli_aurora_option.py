"""The README's promise that a command's release is given as ``--aurora RELEASE``: every command
with the option shows it so in its usage (the README's spelling, checked against each parser)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from aurorakit.runtime.cli.main import build_parser

README = Path(__file__).resolve().parent.parent / "README.md"


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_the_readme_spells_the_option_as_the_commands_do() -> None:
    assert "`--aurora RELEASE`" in README.read_text(encoding="utf-8")
    with_option = {name: p for name, p in _commands().items() if "--aurora" in p._option_string_actions}
    assert {"relay", "send", "receive", "simulate", "conformance"} <= set(with_option)
    for name, parser in with_option.items():
        usage = " ".join(parser.format_usage().split())
        assert re.search(r"(^| |\[)--aurora RELEASE( |\]|$)", usage), (name, usage)  # optional or required
