"""Progress on stderr for long commands (tqdm), shown only on a terminal and not with ``-q``.

Every command module in ``runtime/cli/`` uses :class:`Progress`; ``-q`` turns every
bar off through :func:`set_quiet`.
Counting stays exact whether or not a bar is drawn: ``bar.done`` is what
the commands report.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any, TextIO

_quiet = False


def set_quiet(quiet: bool) -> None:
    """``-q``: no bar for the rest of the process."""
    global _quiet
    _quiet = quiet


class Progress:
    """``with Progress(total, label) as bar: ... bar.advance()``; ``bar.write(line)`` prints above it.

    ``unit="B"`` counts bytes (shown scaled); ``bar.update_to(n)`` moves to an
    absolute count (a file position).
    """

    def __init__(self, total: int | None, label: str = "", stream: TextIO | None = None,
                 min_interval: float = 0.1, unit: str = "it") -> None:
        self.total = total
        self.label = label
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not _quiet and bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar: Any = None
        if self.enabled:  # only then is tqdm loaded: a pipe or -q never needs it
            from tqdm import tqdm
            self._bar = tqdm(total=total, desc=label, file=self.stream, mininterval=min_interval, unit=unit,
                             unit_scale=unit == "B", leave=False, dynamic_ncols=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.close()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.enabled:
            self._bar.update(n)

    def describe(self, label: str) -> None:
        """A new label (the stage a long job is in)."""
        self.label = label
        if self.enabled:
            self._bar.set_description_str(label)

    def update_to(self, done: int) -> None:
        self.advance(done - self.done)

    def write(self, line: str, file: TextIO | None = None) -> None:
        """Print a line (to stdout unless ``file``) without tearing the bar."""
        out = file if file is not None else sys.stdout
        if self.enabled:
            self._bar.write(line, file=out)
        else:
            print(line, file=out)
