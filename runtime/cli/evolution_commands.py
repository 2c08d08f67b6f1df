"""``aurorakit diff`` and ``aurorakit convert``: schema evolution on the command line.

Argument parsing only; the work is in ``aurorakit.codegen.evolution`` (diff,
loaded only when ``diff`` runs) and ``aurorakit.runtime.aurora.convert``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .output import command

CATEGORIES = ("WIRE", "GSON_JSON", "PY_API")
RELEASE_NOTES = "thrift/aurora/CHANGES.md"


def add_commands(commands: Any) -> None:
    _add_diff(commands)
    _add_convert(commands)


def _categories(text: str) -> frozenset[str]:
    names = {part.strip().upper() for part in text.split(",") if part.strip()}
    unknown = names - set(CATEGORIES)
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give categories among {', '.join(CATEGORIES)}, separated by commas")
    return frozenset(names)


def _add_diff(commands: Any) -> None:
    sub = command(
        commands, "diff", summary="what an IDL change breaks: on the wire, in Aurora's JSON, in Python",
        description=(
            "Compare two Thrift schemas and list every change with its rule, its place\n"
            "(file:line in NEW, or in OLD for a removal) and the categories it breaks:\n"
            "  WIRE       Thrift binary, compact and JSON protocols (fields by id)\n"
            "  GSON_JSON  the webhook payload as Aurora's Gson writes it (names, order, defaults)\n"
            "  PY_API     the generated Python models a user imports\n"
            "OLD and NEW are IDL files or Aurora releases (0.19, 0.22, 0.24.2).\n"
            "Exit status: 0 nothing in --fail-on breaks, 1 something does, 2 bad input."),
        examples=("  aurorakit diff 0.19 0.20\n"
                  "  aurorakit diff old/api.thrift new/api.thrift --include idl/ --fail-on WIRE,GSON_JSON\n"
                  "  aurorakit diff 0.22 new/api.thrift --allow accepted-breaks.json --markdown > report.md\n"
                  "  aurorakit diff --release-notes --check\n\n"
                  'allow-list file: {"accept": [{"rule": "FIELD_REMOVED", "at": "TaskConfig.numCpus",\n'
                  '                               "reason": "moved into resources"}]}\n'
                  "(\"at\" is a change's symbol or its file:line; entries that accept nothing are reported)\n"
                  "aurorakit diff --rules lists every rule, the categories it can break and what it means."))
    sub.add_argument("old", nargs="?", metavar="OLD", help="the schema before: an IDL file or a release")
    sub.add_argument("new", nargs="?", metavar="NEW", help="the schema after: an IDL file or a release")
    sub.add_argument("--include", action="append", default=[], metavar="DIR",
                     help="where to look for included IDL files; repeatable")
    sub.add_argument("--fail-on", type=_categories, default=frozenset(CATEGORIES), metavar="CATS",
                     help="categories whose breaks make the exit status 1 (default: all three)")
    sub.add_argument("--allow", metavar="FILE", help="a JSON allow-list of accepted breaks")
    form = sub.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="the changes as one JSON document")
    form.add_argument("--markdown", action="store_true", help="the changes as a Markdown report")
    sub.add_argument("--rules", action="store_true", help="list every rule and what it breaks, then exit")
    sub.add_argument("--release-notes", action="store_true",
                     help=f"instead: write the diff of every pair of adjacent releases ({RELEASE_NOTES})")
    sub.add_argument("--check", action="store_true",
                     help="with --release-notes: write nothing; exit 1 if the file is stale")
    sub.add_argument("-o", "--out", metavar="FILE", help=f"with --release-notes: where (default {RELEASE_NOTES})")
    sub.set_defaults(handler=_diff)


def _diff(args: argparse.Namespace) -> int:
    from ..extras import require
    require("thrift", "aurorakit diff")  # it reads IDLs with thriftpy2's parser
    from aurorakit.codegen.evolution import diff
    from aurorakit.codegen.evolution.report import as_json, judge, load_allowances, markdown, summary, table
    from aurorakit.codegen.evolution.rules import Category
    from aurorakit.runtime.aurora.release_schemas import load_side

    if args.rules:
        from aurorakit.codegen.evolution.rules import describe_rules
        print(describe_rules())
        return 0
    if args.release_notes:
        return _release_notes(args)
    if args.old is None or args.new is None:
        raise _usage("diff needs OLD and NEW (or --release-notes)")
    old = load_side(args.old, args.include)
    new = load_side(args.new, args.include)
    allowances = load_allowances(args.allow) if args.allow else []
    verdict = judge(diff(old, new), frozenset(Category(c) for c in args.fail_on), allowances)
    if args.json:
        sys.stdout.write(as_json(verdict, old.label, new.label))
    elif args.markdown:
        sys.stdout.write(markdown(verdict, f"{old.label} → {new.label}"))
    else:
        sys.stdout.write(table(verdict))
        print(summary(verdict), file=sys.stderr)
    return 1 if verdict.fails else 0


def _release_notes(args: argparse.Namespace) -> int:
    from pathlib import Path

    from aurorakit.codegen.evolution.notes import release_notes
    from aurorakit.runtime.aurora.release_schemas import adjacent_releases
    from aurorakit.runtime.errors import FileError

    text = release_notes(adjacent_releases())
    path = Path(args.out or RELEASE_NOTES)
    if args.check:
        try:
            current = path.read_text(encoding="utf-8")
        except OSError as err:
            raise FileError.from_os_error(path, err, "cannot read") from None
        if current == text:
            print(f"{path}: up to date", file=sys.stderr)
            return 0
        print(f"{path}: stale; regenerate with: aurorakit diff --release-notes", file=sys.stderr)
        return 1
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise FileError.from_os_error(path, err, "cannot write") from None
    print(f"{path}: written", file=sys.stderr)
    return 0


def _usage(message: str) -> Exception:
    from aurorakit.runtime.errors import UsageError
    return UsageError(message)


# -- convert ---------------------------------------------------------------------
def _add_convert(commands: Any) -> None:
    sub = command(
        commands, "convert", summary="re-express payloads of one Aurora release as another release wrote them",
        description=(
            "Read payloads of release --from and write them as release --to would have: as JSON\n"
            "lines whose first line records --to (so send, conformance and verify need not be\n"
            "told). Fields --to lacks are left out, fields only --to has take their Java\n"
            "defaults, oldState takes --to's Optional form. cachedHashCodes: the part fixed by\n"
            "the data is recomputed, the part fixed by the scheduler JVM's identity hashes is\n"
            "carried; where it cannot be carried, --identity (or the default table) gives it.\n"
            "The loss report counts, per field: dropped (a value --to cannot hold), omitted\n"
            "(a field --to lacks held its default: nothing lost), defaulted (a field only --to\n"
            "has). An event --to cannot express at all (a status it lacks) is reported and\n"
            "skipped. Exit status: 0, 1 when an event was skipped, 2 bad input or with\n"
            "--strict a dropped value."),
        examples=("  aurorakit convert captured-0.19.jsonl --from 0.19 --to 0.22 -o as-0.22.jsonl\n"
                  "  aurorakit convert vectors.json --to 0.14 --strict   # --from: the file's recorded release\n"
                  "  aurorakit convert a.jsonl --from 0.22 --to 0.20 --json -o out.jsonl   # report as JSON lines"))
    sub.add_argument("files", nargs="+", metavar="FILE", help="payload files (- for standard input)")
    sub.add_argument("--from", dest="source", metavar="RELEASE",
                     help="the payloads' release (default: the one each file records)")
    sub.add_argument("--to", dest="target", required=True, metavar="RELEASE", help="the release to write as")
    sub.add_argument("-o", "--out", metavar="FILE", help="where to write the JSON lines (default: standard output)")
    sub.add_argument("--identity", metavar="FILE", help="identity table of the target JVM (aurorakit calibrate)")
    sub.add_argument("--strict", action="store_true", help="a dropped value is an error (exit 2), naming case and field")
    sub.set_defaults(handler=_convert)


def _convert(args: argparse.Namespace) -> int:
    from .conversion_run import ConversionRun
    from .output import emit, say
    run = ConversionRun(args)
    try:
        run.run()
    except KeyboardInterrupt:
        run.reading.interrupted = True
    for line in run.report_lines():
        print(line, file=sys.stderr)
    say(args, run.totals_line())
    emit(args, "totals", **run.totals())
    return run.status()
