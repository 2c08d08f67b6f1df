"""The commands that read payload files: ``conformance``, ``decode``, ``verify``, ``calibrate``.

They share one loop (:class:`PayloadRun`): files are read a payload at a
time (``payload_files.py``), so memory stays bounded whatever their size; a
file or payload that cannot be read is reported as one line naming it
(``FILE:LINE``, ``FILE: case NAME``) and the run goes on; the last line gives
the totals, exact also after Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..errors import AurorakitError, PayloadError, UsageError
from .output import EXIT_ERROR, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, command, emit, print_error, say
from .progress import Progress

if TYPE_CHECKING:  # payload files (and ijson) load only when a command reads one
    from ..aurora.payload_files import Payload, PayloadFile

FILE_HELP = "payload files: JSON, JSON lines, vector files, documents with ```json blocks; - reads stdin"


def add_commands(commands: Any) -> None:
    sub = _file_command(commands, "conformance", "check decode/encode and rehashing against captured payloads",
                        "For every case of each vector file: (a) decode then encode, and (b) decode, clear\n"
                        "every cachedHashCode, rehash as the case's 'hashed' says with the file's identity\n"
                        "table, then encode. A case passes when both give exactly its payload.\n"
                        "Models come from the file's 'aurora' release unless given. The last line reads\n"
                        "'N passed, M failed'. With -q only failures and that line are printed.",
                        _conformance, "vector files (or payload files, check (a) only)")
    models_options(sub)

    sub = _file_command(commands, "decode", "show payloads as typed objects",
                        "Decode each payload in FILE (JSON, JSON lines, a vector file or a document\n"
                        "with ```json blocks) and print it as a tree of typed objects, each with its\n"
                        "recorded cachedHashCode (--json: each object's hash by JSON path).", _decode)
    any_order_option(sub)
    models_options(sub)

    sub = _file_command(commands, "verify", "check each recorded cachedHashCode against its object's fields",
                        "Recompute each object's hash from its own fields, taking the recorded hashes of\n"
                        "the objects under it, and report every mismatch by JSON path. Objects whose hash\n"
                        "needs an identity hash the table lacks are listed as not verifiable.", _verify)
    sub.add_argument("--identity", metavar="FILE", help="identity table (default: the vector file's, else none)")
    any_order_option(sub)
    models_options(sub)

    sub = _file_command(commands, "calibrate", "recover identity hashes from captured payloads",
                        "Solve the identity hashes of enum constants and union arms from the recorded\n"
                        "hashes in captured payloads (union hashes, structs with one unknown enum field),\n"
                        "repeating until nothing new is found, and report what stays unknown.", _calibrate)
    sub.add_argument("-o", "--output", required=True, metavar="identity.json", help="where to save the table")
    sub.add_argument("--start", metavar="FILE", help="an identity table to start from")
    models_options(sub)


def _file_command(commands: Any, name: str, summary: str, description: str,
                  handler: Callable[[argparse.Namespace], int], files_help: str = FILE_HELP) -> argparse.ArgumentParser:
    """A subcommand reading payload files (FILE ...), run by ``handler``."""
    sub: argparse.ArgumentParser = command(commands, name, summary, description)
    sub.add_argument("files", nargs="+", metavar="FILE", help=files_help)
    sub.set_defaults(handler=handler)
    return sub


def any_order_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--any-order", action="store_true",
                     help="accept an object's members in any order (hand-edited input); by default members "
                          "out of Gson's order are an error, as Aurora never writes them so")


def models_options(sub: argparse.ArgumentParser) -> None:
    from .release_options import add_release_options
    add_release_options(sub)


def resolve_models(args: argparse.Namespace, aurora: str | None) -> ModuleType:
    """The models of the release ``--aurora`` names, else ``aurora`` (a file's release); ``--models``/``--idl``
    replace the release's own (see ``release_options``)."""
    from .release_options import resolve_release
    return resolve_release(args, aurora)[1]


class PayloadRun:
    """One command's pass over its files: payloads in, problems reported, totals kept."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.payloads = 0  # read and handed to the command
        self.unreadable = 0  # payloads that could not be read or decoded
        self.file_errors = 0  # files that could not be opened or broke off
        self.interrupted = False
        self._bar: Progress | None = None
        self._models: dict[str | None, ModuleType] = {}
        self._hints: dict[str, str] = {}  # by file: which release to name when its payloads do not decode

    @property
    def errors(self) -> int:
        return self.unreadable + self.file_errors

    def line(self, text: str) -> None:
        """A result line for people (not with --json), above the progress bar."""
        if getattr(self.args, "json", False):
            return
        if self._bar is not None:
            self._bar.write(text)
        else:
            print(text)

    def problem(self, where: str, message: str) -> None:
        """A payload or file that could not be read: one line on stderr, and with --json one object."""
        text = f"{where}: {message}" if where else message
        if self._bar is not None and self._bar.enabled:
            self._bar.write(f"aurorakit: {text}", file=sys.stderr)
        else:
            print_error(AurorakitError(text))
        emit(self.args, "error", where=where, message=message)

    def models(self, source: PayloadFile) -> ModuleType:
        """The models for ``source`` (a bad ``--models`` stops the run: UsageError)."""
        if source.aurora not in self._models:
            chosen = any(getattr(self.args, name, None) for name in ("models", "idl", "aurora"))
            try:
                self._models[source.aurora] = resolve_models(self.args, source.aurora)
            except AurorakitError as err:
                if chosen:
                    raise
                raise UsageError(f"{source.path}: its release {source.aurora}: {err}") from None
        return self._models[source.aurora]

    def sources(self, paths: list[str],
                on_file: Callable[[PayloadFile], None] | None = None) -> Iterator[tuple[PayloadFile, Payload]]:
        """Each readable payload of each file, with its file; ``on_file`` after each file."""
        from ..aurora.payload_files import open_payload_file
        for path in paths:
            try:
                source = open_payload_file(path)
            except AurorakitError as err:
                self.file_errors += 1
                self.problem("", str(err))
                continue
            with source, Progress(source.size, label=path, unit="B") as bar:
                self._bar = bar
                try:
                    for payload in source:
                        bar.update_to(source.position())
                        if payload.problem:
                            self.unreadable += 1
                            self.problem("", payload.problem)
                            continue
                        self.payloads += 1
                        yield source, payload
                except AurorakitError as err:  # the file broke off: report it, go on with the next
                    self.file_errors += 1
                    self.problem("", str(err))
                finally:
                    self._bar = None
            if on_file is not None:
                on_file(source)

    def events(self, paths: list[str]) -> Iterator[tuple[PayloadFile, Payload, Any]]:
        """Each payload that decodes, as an event; the others reported by file and line or case."""
        from ..aurora.event import decode_event
        for source, payload in self.sources(paths):
            try:
                event = decode_event(payload.text, self.models(source),
                                     strict=not getattr(self.args, "any_order", False))
            except PayloadError as err:
                self.payloads -= 1
                self.unreadable += 1
                self.problem(payload.label, str(err) + self._release_hint(source, payload.text))
                continue
            yield source, payload, event

    def _release_hint(self, source: PayloadFile, text: str) -> str:
        """When the release was only assumed (no option, none recorded), which one to name: ``--aurora``."""
        if source.aurora is not None or any(getattr(self.args, name, None) for name in ("models", "idl", "aurora")):
            return ""
        if source.path not in self._hints:
            from ..aurora.event import decode_event
            from ..aurora.profiles import profile_for
            from ..aurora.releases import DEFAULT_RELEASE, VERSIONS
            hint = f" (read as Aurora {DEFAULT_RELEASE}, the default; --aurora names the file's release)"
            for version in (v for v in VERSIONS if v != DEFAULT_RELEASE):
                try:
                    decode_event(text, profile_for(version).models())
                except PayloadError:
                    continue
                hint = f" (read as Aurora {DEFAULT_RELEASE}, the default; it reads as {version}: --aurora {version})"
                break
            self._hints[source.path] = hint
        return self._hints[source.path]

    def status(self, failed: bool) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.errors:
            return EXIT_ERROR
        return EXIT_FAILED if failed else EXIT_OK

    def read_note(self) -> str:
        """What could not be read, for the totals line ("" when all was read)."""
        parts = []
        if self.unreadable:
            parts.append(f"{self.unreadable} payload(s) could not be read")
        if self.file_errors:
            parts.append(f"{self.file_errors} file(s) could not be read to the end")
        if self.interrupted:
            parts.append("interrupted")
        return "; " + ", ".join(parts) if parts else ""


def read_events(path: str, args: argparse.Namespace, aurora: str) -> list[Any]:
    """Every event of one (small) file, for ``example --doc``; the first problem raises."""
    from ..aurora.event import decode_event
    from ..aurora.payload_files import open_payload_file
    events = []
    with open_payload_file(path) as source:
        models = resolve_models(args, source.aurora or aurora)
        for payload in source:
            if payload.problem:
                raise PayloadError(payload.problem)
            try:
                events.append(decode_event(payload.text, models))
            except PayloadError as err:
                raise PayloadError(f"{payload.label}: {err}") from None
    if not events:
        raise PayloadError(f"{path}: found no payload")
    return events


# -- conformance -----------------------------------------------------------------
def _conformance(args: argparse.Namespace) -> int:
    from ..aurora.conformance import check_case
    from ..identity import IdentityTable
    run = PayloadRun(args)
    passed = failed = file_passed = file_failed = 0
    tables: dict[int, IdentityTable | None] = {}

    def file_done(source: PayloadFile) -> None:
        nonlocal file_passed, file_failed
        models = run.models(source)
        if not args.quiet:
            run.line(f"{source.path}: {file_passed} passed, {file_failed} failed (models {models.__name__})")
        emit(args, "file", path=source.path, passed=file_passed, failed=file_failed, models=models.__name__)
        file_passed = file_failed = 0

    try:
        for source, payload in run.sources(args.files, file_done):
            if id(source) not in tables:
                tables.clear()
                tables[id(source)] = (IdentityTable(source.identity, strict=True)
                                      if source.identity is not None else None)
            result = check_case(payload, run.models(source), tables[id(source)])
            if result.passed:
                passed += 1
                file_passed += 1
                continue
            failed += 1
            file_failed += 1
            run.line(f"FAIL {result.label}")
            for problem in result.problems:
                run.line(f"  {problem}")
            emit(args, "failure", case=result.label, problems=result.problems)
    except KeyboardInterrupt:
        run.interrupted = True
    say(args, f"{passed} passed, {failed} failed{run.read_note()}")
    emit(args, "totals", passed=passed, failed=failed, unreadable=run.unreadable,
         file_errors=run.file_errors, interrupted=run.interrupted)
    return run.status(failed > 0)


# -- decode ------------------------------------------------------------------------
def _decode(args: argparse.Namespace) -> int:
    from ..aurora.verify import walk
    from ..treeview import render_event
    run = PayloadRun(args)
    decoded = 0
    try:
        for _, payload, event in run.events(args.files):
            decoded += 1
            run.line(f"# {payload.label}")
            run.line(render_event(event))
            if args.json:
                status = event.task.status.name if event.task.status is not None else None
                old = event.old_state.name if event.old_state is not None else None
                hashes = {where: obj._jhash for where, obj in walk(event.task, "task")}
                emit(args, "event", source=payload.label, status=status, oldState=old, hashes=hashes)
    except KeyboardInterrupt:
        run.interrupted = True
    say(args, f"{decoded} payload(s) decoded{run.read_note()}")
    emit(args, "totals", decoded=decoded, unreadable=run.unreadable, file_errors=run.file_errors,
         interrupted=run.interrupted)
    return run.status(False)


# -- verify --------------------------------------------------------------------------
def _verify(args: argparse.Namespace) -> int:
    from ..aurora.verify import verify
    from ..identity import IdentityTable
    run = PayloadRun(args)
    given = IdentityTable.load(args.identity, strict=True) if args.identity else None
    payloads = checked = mismatches = unverifiable = 0
    tables: dict[int, IdentityTable] = {}
    try:
        for source, payload, event in run.events(args.files):
            if given is not None:
                table = given
            else:
                if id(source) not in tables:
                    tables.clear()
                    tables[id(source)] = IdentityTable(source.identity or {}, strict=True)
                table = tables[id(source)]
            report = verify(event.task, table)
            payloads += 1
            checked += report.checked
            mismatches += len(report.mismatches)
            unverifiable += len(report.unverifiable)
            for mismatch in report.mismatches:
                run.line(f"{payload.label}: MISMATCH {mismatch}")
            for where, keys in report.unverifiable:
                run.line(f"{payload.label}: not verifiable {where} (needs {', '.join(keys)})")
            if not args.quiet:
                run.line(f"{payload.label}: {report.checked} checked, {len(report.mismatches)} mismatch(es), "
                         f"{len(report.unverifiable)} not verifiable")
            emit(args, "payload", source=payload.label, checked=report.checked,
                 mismatches=[str(m) for m in report.mismatches],
                 unverifiable=[{"where": w, "needs": k} for w, k in report.unverifiable])
    except KeyboardInterrupt:
        run.interrupted = True
    say(args, f"{payloads} payload(s): {checked} checked, {mismatches} mismatch(es), "
              f"{unverifiable} not verifiable{run.read_note()}")
    emit(args, "totals", payloads=payloads, checked=checked, mismatches=mismatches, unverifiable=unverifiable,
         unreadable=run.unreadable, file_errors=run.file_errors, interrupted=run.interrupted)
    return run.status(mismatches > 0)


# -- calibrate -----------------------------------------------------------------------
def _calibrate(args: argparse.Namespace) -> int:
    from ..aurora.verify import calibrate
    from ..identity import IdentityTable
    run = PayloadRun(args)
    start = IdentityTable.load(args.start, strict=True) if args.start else None
    try:
        result = calibrate((event.task for _, _, event in run.events(args.files)), start)
    except KeyboardInterrupt:
        run.interrupted = True
        say(args, f"{run.payloads} payload(s) read; interrupted, {args.output} not written")
        emit(args, "totals", payloads=run.payloads, unreadable=run.unreadable, file_errors=run.file_errors,
             interrupted=True, written=False)
        return EXIT_INTERRUPTED
    result.table.save(args.output)
    for key in sorted(result.unknown):
        run.line(f"unknown: {key}")
    for conflict in result.conflicts:
        run.line(f"conflict: {conflict}")
    say(args, f"{run.payloads} payload(s): {len(result.found)} identity hash(es) found, "
              f"{len(result.table.known())} in {args.output}{run.read_note()}")
    emit(args, "totals", payloads=run.payloads, found=result.found, known=len(result.table.known()),
         unknown=sorted(result.unknown), conflicts=result.conflicts, output=args.output,
         unreadable=run.unreadable, file_errors=run.file_errors, interrupted=False, written=True)
    return run.status(bool(result.conflicts))
