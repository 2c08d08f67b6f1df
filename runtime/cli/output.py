"""What every command shares: ``-q``/``--json``, one-line errors, exit statuses.

Every command module in ``runtime/cli/`` uses these, so every command
reports the same way:

- an error aurorakit raises on purpose (:class:`AurorakitError`) is one line
  on stderr, ``aurorakit: PLACE: what is wrong``, and exit status 2;
- "stale" or "failed" results (codegen --check, conformance, verify) exit 1;
- Ctrl-C (or SIGTERM) exits 130 after the command has printed its counters;
- ``--json`` prints results as JSON, one object per line, each with a
  ``"type"``; the last line is the totals (``"type": "totals"``);
- ``-q`` turns progress bars off (they are drawn only on a terminal anyway).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from ..errors import AurorakitError
from .progress import set_quiet

EXIT_OK, EXIT_FAILED, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """``-q/--quiet`` and ``--json`` on a command, unless it has its own already."""
    if "-q" not in parser._option_string_actions and "--quiet" not in parser._option_string_actions:
        parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar; print less")
    if "--json" not in parser._option_string_actions:
        parser.add_argument("--json", action="store_true",
                            help="machine-readable results: JSON objects, one a line, the last the totals")


def add_output_options_everywhere(commands: Any) -> None:
    """:func:`add_output_options` on every subcommand of a subparsers action."""
    for parser in commands.choices.values():
        add_output_options(parser)


def command(commands: Any, name: str, summary: str, description: str,
            examples: str | None = None) -> argparse.ArgumentParser:
    """One subcommand of any of the command lines, with its help laid out as written."""
    sub: argparse.ArgumentParser = commands.add_parser(
        name, help=summary, description=description, epilog="examples:\n" + examples if examples else None,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    return sub


def print_error(err: BaseException) -> None:
    print(f"aurorakit: {err}", file=sys.stderr, flush=True)


def emit(args: argparse.Namespace, kind: str, **fields: Any) -> None:
    """With ``--json``: one JSON line ``{"type": kind, ...fields}`` on stdout."""
    if getattr(args, "json", False):
        print(json.dumps({"type": kind, **fields}, ensure_ascii=False), flush=True)


def say(args: argparse.Namespace, line: str) -> None:
    """A line for people (stdout); not printed with ``--json``."""
    if not getattr(args, "json", False):
        print(line, flush=True)


def run_command(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run one command's handler with the shared error handling; the exit status."""
    set_quiet(bool(getattr(args, "quiet", False)))
    try:
        with sigterm_as_ctrl_c():
            return int(handler(args))
    except AurorakitError as err:
        print_error(err)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("aurorakit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `aurorakit example | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """Within the block, SIGTERM ends a command as cleanly as Ctrl-C does (main thread only)."""
    import threading
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
