"""The ``aurorakit`` command: one subcommand per job.

Each subcommand is a small function taking the parsed arguments and
returning the exit status; the work itself lives in the library modules
(the payload commands' loops in ``payload_commands.py``). Only ``codegen``
loads ``aurorakit.codegen`` (and with it jinja2 and thriftpy2). Errors aurorakit
raises on purpose print as one line (``aurorakit: PLACE: ...``) and exit 2;
anything else is a bug and keeps its traceback (``output.py`` has the
rules both command lines share).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any, NoReturn

from .output import EXIT_INTERRUPTED, add_output_options_everywhere, command, emit, run_command, say

EPILOG = """\
examples:
  aurorakit conformance tests/data/vectors/aurora-*.json
  aurorakit codegen thrift/aurora/0.22/api.thrift --package aurora_0_22 --out generated
  aurorakit codegen thrift/aurora/0.22/api.thrift --package aurora_0_22 --out generated --check
  aurorakit example > example.json
  aurorakit decode payload.json
  aurorakit verify captured.jsonl --json
  aurorakit calibrate captured/*.json -o identity.json
  cat captured.jsonl | aurorakit decode -

Every command takes -q (no progress bar) and --json (results as JSON lines).
Exit status: 0 fine, 1 stale or failed results, 2 an error (printed as one
line naming the file, line, JSON path or key), 130 interrupted.
Run 'aurorakit COMMAND --help' for the options of one command."""


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    return run_command(args.handler, args)


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line too, like every other error (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="aurorakit",
        description="Apache Aurora's Thrift models and webhook payloads in Python, byte for byte.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"aurorakit {version('aurorakit')}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    from . import payload_commands
    _add_codegen(commands)
    payload_commands.add_commands(commands)  # conformance, decode, verify, calibrate
    _add_example(commands)
    from . import check_config_command, receive_command, send_command, simulate_command
    for webhook_command in (receive_command, send_command, simulate_command, check_config_command):
        webhook_command.add_command(commands)
    from aurorakit.runtime.cli import relay_commands as relay_cli  # relay, consume
    relay_cli.add_commands(commands)
    from . import evolution_commands  # diff, convert
    evolution_commands.add_commands(commands)
    add_output_options_everywhere(commands)
    return parser


# -- codegen -------------------------------------------------------------------
def _add_codegen(commands: Any) -> None:
    sub = command(commands, "codegen", "generate typed Python models from a Thrift IDL",
                  "Generate a Python package (typed structs, unions, enums, constants, service\n"
                  "signatures, and Gson encoders/decoders) from a Thrift IDL and the files it includes.\n"
                  "Output is deterministic: the same IDL gives the same bytes. The package is written\n"
                  "to a temporary folder and moved into place, so a failed or interrupted run leaves\n"
                  "the old package as it was; files an earlier run generated and this one does not\n"
                  "are removed.")
    sub.add_argument("idl", metavar="IDL", help="the .thrift file to generate from")
    sub.add_argument("--package", required=True, metavar="NAME", help="name of the generated package")
    sub.add_argument("--out", required=True, metavar="DIR", help="directory to write the package into")
    sub.add_argument("--include", action="append", default=[], metavar="DIR",
                     help="where to look for included IDL files (after the including file's folder); repeatable")
    sub.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 listing every stale, missing or extra file")
    sub.set_defaults(handler=_codegen)


def _codegen(args: argparse.Namespace) -> int:
    from aurorakit.runtime.extras import require
    require("codegen", "aurorakit codegen")
    from aurorakit.codegen import check_package, generate_package
    from aurorakit.codegen.generate import STAGES

    from .progress import Progress
    with Progress(len(STAGES) - args.check, label=f"codegen {args.package}") as bar:
        def stage(name: str) -> None:
            bar.describe(f"codegen {args.package}: {name}")
            bar.update_to(STAGES.index(name))
        if args.check:
            result = check_package(args.idl, args.package, args.out, args.include, stage)
        else:
            written = generate_package(args.idl, args.package, args.out, args.include, stage)
    if args.check:
        return _codegen_check(args, result)
    emit(args, "totals", package=args.package, written=written)
    say(args, f"{args.package}: {len(written)} file(s) written or removed" if written
        else f"{args.package}: already up to date")
    return 0


def _codegen_check(args: argparse.Namespace, result: Any) -> int:
    for label, paths in (("stale", result.stale), ("missing", result.missing), ("extra", result.extra)):
        for path in paths:
            say(args, f"{label}: {path}")
            emit(args, label, path=path)
    emit(args, "totals", package=args.package, ok=result.ok, stale=len(result.stale),
         missing=len(result.missing), extra=len(result.extra))
    if result.ok:
        say(args, f"{args.package}: up to date")
        return 0
    print(f"{args.package}: out of date; regenerate with: aurorakit codegen {args.idl} "
          f"--package {args.package} --out {args.out}", file=sys.stderr)
    return 1


# -- example -------------------------------------------------------------------
def _add_example(commands: Any) -> None:
    from .release_options import add_release_options
    sub = command(commands, "example", "print the documented example payload, built from typed objects",
                  "Build the example event of Aurora's webhook documentation from typed objects,\n"
                  "with identity hashes calibrated from the document's recorded union hashes\n"
                  "(or from --doc), and print it as compact JSON (--json: inside a JSON object).")
    sub.add_argument("--doc", metavar="FILE", help="calibrate identities from the payloads in this file instead")
    sub.add_argument("--identity-out", metavar="FILE", help="also save the identity table used")
    add_release_options(sub, user_models=False, release_help=(
        "build the example with this Aurora release's models and Optional form (default 0.14, the "
        "document's): fields the release lacks are left out, those it added keep their defaults"))
    sub.set_defaults(handler=_example)


def _example(args: argparse.Namespace) -> int:
    from ..aurora.example import calibrated_from, documented_example, documented_identity
    from .payload_commands import read_events
    from .release_options import resolve_release
    profile, _ = resolve_release(args, configured="0.14")  # --aurora, else the document's release
    # The document is read as the release it records, else as 0.14's (not as --aurora's).
    doc_args = argparse.Namespace()
    table = calibrated_from(read_events(args.doc, doc_args, "0.14")) if args.doc else documented_identity()
    if args.identity_out:
        table.save(args.identity_out)
    payload = documented_example(table, profile.version).encode()
    say(args, payload)
    emit(args, "totals", payload=payload, identity_out=args.identity_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
