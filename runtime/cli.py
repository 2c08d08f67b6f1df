"""The ``aurorakit`` command: one subcommand per job.

Each subcommand is a small function taking the parsed arguments and
returning the exit status; the work itself lives in the library modules.
Errors aurorakit raises on purpose print as one line (``aurorakit: ...``)
and exit 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from aurorakit.codegen import GENERATOR_VERSION

EPILOG = """\
examples:
  aurorakit codegen thrift/aurora/0.22/api.thrift --package aurora_0_22 --out generated
  aurorakit codegen thrift/aurora/0.22/api.thrift --package aurora_0_22 --out generated --check
  aurorakit conformance ../shared/vectors/aurora-*.json
  aurorakit example > example.json
  aurorakit decode payload.json
  aurorakit verify payload.json
  aurorakit calibrate captured/*.json -o identity.json

Run 'aurorakit COMMAND --help' for the options of one command."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    from aurorakit.codegen import IdlError
    from aurorakit.runtime.errors import AurorakitError
    try:
        return int(args.handler(args))
    except (AurorakitError, IdlError) as err:
        print(f"aurorakit: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `aurorakit example | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aurorakit",
        description="Apache Aurora's Thrift models and webhook payloads in Python, byte for byte.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"aurorakit {GENERATOR_VERSION}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_codegen(commands)
    _add_conformance(commands)
    _add_example(commands)
    _add_decode(commands)
    _add_verify(commands)
    _add_calibrate(commands)
    from aurorakit.runtime.webhook import cli as webhook_cli  # receive, send, simulate
    webhook_cli.add_commands(commands)
    return parser


def _command(commands: Any, name: str, summary: str, description: str) -> argparse.ArgumentParser:
    sub: argparse.ArgumentParser = commands.add_parser(
        name, help=summary, description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    return sub


# -- codegen -------------------------------------------------------------------
def _add_codegen(commands: Any) -> None:
    sub = _command(commands, "codegen", "generate typed Python models from a Thrift IDL",
                   "Generate a Python package (typed structs, unions, enums, constants, service\n"
                   "signatures, and Gson encoders/decoders) from a Thrift IDL and the files it includes.\n"
                   "Output is deterministic: the same IDL gives the same bytes.")
    sub.add_argument("idl", metavar="IDL", help="the .thrift file to generate from")
    sub.add_argument("--package", required=True, metavar="NAME", help="name of the generated package")
    sub.add_argument("--out", required=True, metavar="DIR", help="directory to write the package into")
    sub.add_argument("--include", action="append", default=[], metavar="DIR",
                     help="where to look for included IDL files (after the including file's folder); repeatable")
    sub.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 listing every stale, missing or extra file")
    sub.set_defaults(handler=_codegen)


def _codegen(args: argparse.Namespace) -> int:
    from aurorakit.codegen import check_package, generate_package
    if args.check:
        result = check_package(args.idl, args.package, args.out, args.include)
        for label, paths in (("stale", result.stale), ("missing", result.missing), ("extra", result.extra)):
            for path in paths:
                print(f"{label}: {path}")
        if result.ok:
            print(f"{args.package}: up to date")
            return 0
        print(f"{args.package}: out of date; regenerate with: aurorakit codegen {args.idl} "
              f"--package {args.package} --out {args.out}", file=sys.stderr)
        return 1
    written = generate_package(args.idl, args.package, args.out, args.include)
    print(f"{args.package}: {len(written)} file(s) written" if written else f"{args.package}: already up to date")
    return 0


# -- payloads ------------------------------------------------------------------
def _models_options(sub: argparse.ArgumentParser) -> None:
    group = sub.add_mutually_exclusive_group()
    group.add_argument("--models", metavar="MODULE",
                       help="generated models to read payloads with (an importable package name)")
    group.add_argument("--idl", metavar="API.thrift", help="generate models from this IDL on the fly")
    group.add_argument("--aurora", metavar="VERSION", help="use the shipped models of this Aurora release")


def _resolve_models(args: argparse.Namespace, aurora: str | None) -> ModuleType:
    from aurorakit.runtime.profiles import profile_for
    if getattr(args, "models", None):
        return importlib.import_module(args.models)
    if getattr(args, "idl", None):
        from aurorakit.codegen.generate import import_models
        return import_models(args.idl)
    return profile_for(getattr(args, "aurora", None) or aurora or "0.22").models()


def _add_conformance(commands: Any) -> None:
    sub = _command(commands, "conformance", "check decode/encode and rehashing against captured payloads",
                   "For every case of each vector file: (a) decode then encode, and (b) decode, clear\n"
                   "every cachedHashCode, rehash as the case's 'hashed' says with the file's identity\n"
                   "table, then encode. A case passes when both give exactly its payload.\n"
                   "Models come from the file's 'aurora' release unless given.")
    sub.add_argument("files", nargs="+", metavar="FILE", help="vector files (or payload files, check (a) only)")
    _models_options(sub)
    sub.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    sub.set_defaults(handler=_conformance)


def _conformance(args: argparse.Namespace) -> int:
    from aurorakit.runtime.conformance import check_file, summary
    from aurorakit.runtime.payload_files import read_payload_file
    from aurorakit.runtime.progress import Progress
    results = []
    for path in args.files:
        source = read_payload_file(path)
        models = _resolve_models(args, source.aurora)
        with Progress(len(source.payloads), label=path) as bar:
            def report(result: Any) -> None:
                bar.advance()
                if not result.passed:
                    bar.write(f"FAIL {path} {result.label}")
                    for problem in result.problems:
                        bar.write(f"  {problem}")
            file_results = check_file(source, models, report)
        passed, failed = summary(file_results)
        if not args.quiet:
            print(f"{path}: {passed} passed, {failed} failed (models {models.__name__})")
        results.extend(file_results)
    passed, failed = summary(results)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def _add_example(commands: Any) -> None:
    sub = _command(commands, "example", "print the documented example payload, built from typed objects",
                   "Build the example event of Aurora's webhook documentation from typed objects,\n"
                   "with identity hashes calibrated from the document's recorded union hashes\n"
                   "(or from --doc), and print it as compact JSON.")
    sub.add_argument("--doc", metavar="FILE", help="calibrate identities from the payloads in this file instead")
    sub.add_argument("--identity-out", metavar="FILE", help="also save the identity table used")
    sub.set_defaults(handler=_example)


def _example(args: argparse.Namespace) -> int:
    from aurorakit.runtime.example import calibrated_from, documented_example, documented_identity
    if args.doc:
        table = calibrated_from(_read_events(args.doc, _resolve_models(args, "0.14")))
    else:
        table = documented_identity()
    if args.identity_out:
        table.save(args.identity_out)
    print(documented_example(table).encode())
    return 0


def _read_events(path: str, models: ModuleType) -> list[Any]:
    from aurorakit.runtime.errors import PayloadError
    from aurorakit.runtime.event import decode_event
    from aurorakit.runtime.payload_files import read_payload_file
    events = []
    for payload in read_payload_file(path).payloads:
        try:
            events.append(decode_event(payload.text, models))
        except PayloadError as err:
            raise PayloadError(f"{payload.label}: {err}") from None
    return events


def _add_decode(commands: Any) -> None:
    sub = _command(commands, "decode", "show payloads as typed objects",
                   "Decode each payload in FILE (JSON, JSON lines, a vector file or a document\n"
                   "with ```json blocks) and print it as a tree of typed objects, each with its\n"
                   "recorded cachedHashCode.")
    sub.add_argument("file", metavar="FILE")
    _models_options(sub)
    sub.set_defaults(handler=_decode)


def _decode(args: argparse.Namespace) -> int:
    from aurorakit.runtime.payload_files import read_payload_file
    from aurorakit.runtime.treeview import render_event
    source = read_payload_file(args.file)
    models = _resolve_models(args, source.aurora)
    for payload, event in zip(source.payloads, _read_events(args.file, models)):
        print(f"# {payload.label}")
        print(render_event(event))
    return 0


def _add_verify(commands: Any) -> None:
    sub = _command(commands, "verify", "check each recorded cachedHashCode against its object's fields",
                   "Recompute each object's hash from its own fields, taking the recorded hashes of\n"
                   "the objects under it, and report every mismatch by JSON path. Objects whose hash\n"
                   "needs an identity hash the table lacks are listed as not verifiable.")
    sub.add_argument("file", metavar="FILE")
    sub.add_argument("--identity", metavar="FILE", help="identity table (default: the vector file's, else none)")
    _models_options(sub)
    sub.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    from aurorakit.runtime.identity import IdentityTable
    from aurorakit.runtime.payload_files import read_payload_file
    from aurorakit.runtime.verify import verify
    source = read_payload_file(args.file)
    models = _resolve_models(args, source.aurora)
    if args.identity:
        table = IdentityTable.load(args.identity, strict=True)
    else:
        table = IdentityTable(source.identity or {}, strict=True)
    mismatches = 0
    for payload, event in zip(source.payloads, _read_events(args.file, models)):
        report = verify(event.task, table)
        mismatches += len(report.mismatches)
        for mismatch in report.mismatches:
            print(f"{payload.label}: MISMATCH {mismatch}")
        for where, keys in report.unverifiable:
            print(f"{payload.label}: not verifiable {where} (needs {', '.join(keys)})")
        print(f"{payload.label}: {report.checked} checked, {len(report.mismatches)} mismatch(es), "
              f"{len(report.unverifiable)} not verifiable")
    return 1 if mismatches else 0


def _add_calibrate(commands: Any) -> None:
    sub = _command(commands, "calibrate", "recover identity hashes from captured payloads",
                   "Solve the identity hashes of enum constants and union arms from the recorded\n"
                   "hashes in captured payloads (union hashes, structs with one unknown enum field),\n"
                   "repeating until nothing new is found, and report what stays unknown.")
    sub.add_argument("files", nargs="+", metavar="FILE")
    sub.add_argument("-o", "--output", required=True, metavar="identity.json", help="where to save the table")
    sub.add_argument("--start", metavar="FILE", help="an identity table to start from")
    _models_options(sub)
    sub.set_defaults(handler=_calibrate)


def _calibrate(args: argparse.Namespace) -> int:
    from aurorakit.runtime.identity import IdentityTable
    from aurorakit.runtime.payload_files import read_payload_file
    from aurorakit.runtime.verify import calibrate
    tasks: list[Any] = []
    for path in args.files:
        models = _resolve_models(args, read_payload_file(path).aurora)
        tasks.extend(event.task for event in _read_events(path, models))
    start = IdentityTable.load(args.start, strict=True) if args.start else None
    result = calibrate(tasks, start)
    result.table.save(args.output)
    print(f"{len(result.found)} identity hash(es) found, {len(result.table.known())} in {args.output}")
    for key in sorted(result.unknown):
        print(f"unknown: {key}")
    for conflict in result.conflicts:
        print(f"conflict: {conflict}")
    return 1 if result.conflicts else 0


if __name__ == "__main__":
    sys.exit(main())
