"""One ``aurorakit convert`` run: payload files in, the target release's JSON lines out, losses counted."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from contextlib import ExitStack
from typing import Any, TextIO

from ..aurora.convert import ConversionError, Converter
from ..aurora.event import TaskStateChange, decode_event
from ..aurora.payload_files import PayloadFile
from ..aurora.releases import Release, ReleaseError, header_line, release
from ..errors import FileError, PayloadError, UsageError
from ..identity import IdentityTable
from .output import EXIT_FAILED, emit
from .payload_commands import PayloadRun


def _release_option(flag: str, name: str) -> Release:
    try:
        return release(name)
    except ReleaseError as err:
        raise UsageError(f"{flag} {name}: {err}") from None


class ConversionRun:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.target: Release = _release_option("--to", args.target)
        self.source: Release | None = _release_option("--from", args.source) if args.source else None
        self.identity = IdentityTable.load(args.identity) if args.identity else None
        self.reading = PayloadRun(args)
        self.converted = 0
        self.skipped = 0
        self.losses: Counter[tuple[str, str]] = Counter()
        self._converters: dict[str, Converter] = {}

    def run(self) -> None:
        with ExitStack() as stack:
            out = self._open_out(stack)
            out.write(header_line(self.target) + "\n")
            for source, payload in self.reading.sources(self.args.files):
                origin = self._source_of(source)
                try:
                    event = decode_event(payload.text, origin.models())
                except PayloadError as err:
                    self.reading.unreadable += 1
                    self.reading.problem(payload.label, str(err))
                    continue
                made = self._convert(origin, event, payload.label)
                if made is not None:
                    out.write(made.encode() + "\n")
                    self.converted += 1

    def _open_out(self, stack: ExitStack) -> TextIO:
        if not self.args.out or self.args.out == "-":
            return sys.stdout
        try:
            return stack.enter_context(open(self.args.out, "w", encoding="utf-8"))
        except OSError as err:
            raise FileError.from_os_error(self.args.out, err, "cannot write") from None

    def _source_of(self, source: PayloadFile) -> Release:
        if self.source is not None:
            return self.source
        if source.aurora is None:
            raise UsageError(f"{source.path}: records no release; say which with --from RELEASE")
        return release(source.aurora)

    def _converter(self, origin: Release) -> Converter:
        if origin.version not in self._converters:
            self._converters[origin.version] = Converter(origin.models(), self.target.models(), self.identity)
        return self._converters[origin.version]

    def _convert(self, origin: Release, event: Any, label: str) -> TaskStateChange | None:
        converter = self._converter(origin)
        try:
            done = converter.convert(event.task)
            old = None if event.old_state is None else converter.enum(event.old_state, "oldState")
        except ConversionError as err:
            self.skipped += 1
            self.reading.problem(label, f"not converted: {err}")
            return None
        for loss in done.losses:
            if loss.kind == "dropped" and self.args.strict:
                raise ConversionError(f"{label}: {loss.path}: {loss.detail} (--strict)")
            self.losses[loss.kind, loss.pattern] += 1
        if done.losses or done.rehashed:
            emit(self.args, "case", case=label, losses=[[x.kind, x.path] for x in done.losses],
                 rehashed=done.rehashed)
        return TaskStateChange(done.value, old, hashed="none", optional_style=self.target.optional_style)

    def report_lines(self) -> list[str]:
        if getattr(self.args, "json", False) or getattr(self.args, "quiet", False):
            return []
        return [f"{count:>8}  {kind:<9} {pattern}" for (kind, pattern), count in sorted(self.losses.items())]

    def totals(self) -> dict[str, Any]:
        by_kind: Counter[str] = Counter()
        for (kind, _), count in self.losses.items():
            by_kind[kind] += count
        return {"converted": self.converted, "skipped": self.skipped, "unreadable": self.reading.unreadable,
                "file_errors": self.reading.file_errors, "interrupted": self.reading.interrupted,
                "to": self.target.version, **{kind: by_kind[kind] for kind in ("dropped", "omitted", "defaulted")}}

    def totals_line(self) -> str:
        t = self.totals()
        return (f"{t['converted']} converted to {t['to']}, {t['skipped']} not convertible; fields: "
                f"{t['dropped']} dropped, {t['omitted']} omitted, {t['defaulted']} defaulted"
                f"{self.reading.read_note()}")

    def status(self) -> int:
        code = self.reading.status(False)
        return code if code else (EXIT_FAILED if self.skipped else 0)
