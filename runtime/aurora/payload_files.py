"""Reading captured payloads from the files people have them in, a payload at a time.

A file may hold: a vector file (``{"aurora":.., "identity":.., "cases":[..]}``),
one event as JSON (compact or pretty-printed), JSON lines (one event per
line, after an optional first line ``{"aurora": RELEASE}`` saying which
release wrote them), or a document with fenced ```json blocks (the first form Aurora's
webhook docs give their example in; blocks that are not events are skipped).
``-`` is standard input.

Files are read incrementally so that a file of any size takes bounded
memory: JSON lines line by line, vector files case by case (``vector_stream.py``),
documents line by line. :func:`open_payload_file` reads just enough to know the kind
of file and a vector file's header; iterating gives the payloads. A payload
the reader cannot take out of its file (a line that is not UTF-8, a case
without a payload string) comes as a :class:`Payload` with ``problem`` set,
so a command reports it with its place and goes on. Problems with the whole
file (missing, a directory, empty, binary, truncated in its structure) raise
:class:`PayloadError` or :class:`FileError` naming the file as given.
"""

from __future__ import annotations

import io
import os
import re
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, Any

import orjson

from ..errors import FileError, PayloadError
from .releases import ReleaseError, recorded_release
from .vector_stream import stream_vector_file

_FIRST_KEY = re.compile(rb'^\s*\{\s*"([^"\\]*)"')
# Keys a vector file's header has (the shared vectors' and simulate --dry-run's).
_VECTOR_KEYS = {b"aurora", b"optional", b"identity", b"cases", b"models", b"seed"}
_KINDS = "expected JSON, JSON lines, a vector file or ```json blocks"


@dataclass
class Payload:
    """One captured body and what its file says about it."""

    label: str  # the file as given, plus ": case NAME", ":LINE" or "#blockN"
    text: str
    hashed: str | None = None  # a vector case's "hashed"
    old_state: str | None = None
    problem: str | None = None  # why the reader could not take this payload out of its file


@dataclass
class PayloadFile:
    """An open payload file: the header of a vector file, and its payloads one at a time.

    Use as a context manager (or call :meth:`close`); iterate once.
    """

    path: str
    aurora: str | None = None  # a vector file's release
    optional: str | None = None
    identity: dict[str, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    size: int | None = None  # bytes, when the file has a size (not a pipe)
    _items: Iterator[Payload] = field(default_factory=lambda: iter(()), repr=False)
    _stream: IO[bytes] | None = field(default=None, repr=False)
    _list: list[Payload] | None = field(default=None, repr=False)

    def __iter__(self) -> Iterator[Payload]:
        if self._list is not None:
            return iter(self._list)
        return self._items

    @property
    def payloads(self) -> list[Payload]:
        """Every payload, read into memory (for small files; commands iterate instead)."""
        if self._list is None:
            self._list = list(self._items)
            self.close()
        return self._list

    def position(self) -> int:
        """Bytes read so far (for progress)."""
        if self._stream is None or self._stream.closed:
            return self.size or 0
        try:
            return self._stream.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        if self._stream is not None and self._stream is not sys.stdin.buffer:
            self._stream.close()

    def __enter__(self) -> PayloadFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def read_payload_file(path: str) -> PayloadFile:
    """Every payload in ``path`` read into memory; PayloadError if there is none or the file cannot be read."""
    source = open_payload_file(path)
    with source:
        payloads = source.payloads
    if not payloads:
        raise PayloadError(f"{path}: found no payload ({_KINDS})")
    return source


def open_payload_file(path: str) -> PayloadFile:
    """Open ``path`` (``-``: standard input), tell its kind and read a vector file's header."""
    stream = _open(path)
    try:
        return _detect(path, stream)
    except BaseException:
        if stream is not sys.stdin.buffer:
            stream.close()
        raise


def _open(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        if os.path.isdir(path):
            raise FileError(path, "cannot read: is a directory, not a payload file")
        return open(path, "rb")
    except OSError as err:
        if isinstance(err, FileError):
            raise
        raise FileError.from_os_error(path, err, "cannot read") from None


def _size(stream: IO[bytes]) -> int | None:
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _detect(path: str, stream: IO[bytes]) -> PayloadFile:
    size = _size(stream)
    lines = _numbered_lines(stream)
    head: list[tuple[int, bytes]] = []
    for number, raw in lines:  # the first non-blank line says what the file is
        head.append((number, raw))
        if raw.strip():
            break
    else:
        raise PayloadError(f"{path}: empty file ({_KINDS})")
    number, first = head[-1]
    if b"\x00" in first:
        raise PayloadError(f"{path}:{number}: a binary file, not payloads ({_KINDS})")
    made = PayloadFile(path, size=size, _stream=stream)
    first_stripped = first.strip().lstrip(b"\xef\xbb\xbf")
    if not first_stripped.startswith(b"{"):
        made._items = _document_blocks(path, _chain(head, lines))
        return made
    whole = _loads(first_stripped)
    if isinstance(whole, dict):
        if isinstance(whole.get("cases"), list):  # a vector file on one line
            _set_header(made, whole)
            made._items = _vector_cases(path, iter(whole["cases"]))
            return made
        if _recorded(path, number, whole) is not None:  # JSON lines after their {"aurora": ..} line
            made.aurora = _recorded(path, number, whole)
            nxt = next(((n, raw) for n, raw in lines if raw.strip()), None)
            made._items = iter(()) if nxt is None else _json_lines(path, nxt[0], nxt[1].strip(), lines)
            return made
        made._items = _json_lines(path, number, first_stripped, lines)
        return made
    second = next(((n, raw) for n, raw in lines if raw.strip()), None)
    rest = head + ([second] if second else [])
    start = b"".join(raw for _, raw in rest)
    key = _FIRST_KEY.match(start)
    if key and key.group(1) in _VECTOR_KEYS:  # a vector file, pretty or one case a line
        header, cases = stream_vector_file(path, start, stream)
        _set_header(made, header)
        made._items = _vector_cases(path, cases)
        return made
    pretty = first_stripped == b"{" or second is None or not second[1].strip().startswith(b"{")
    if not pretty:  # JSON lines whose first line is bad: report it and go on
        made._items = _json_lines(path, number, first_stripped, _chain(rest[-1:], lines))
        return made
    made._items = _single_event(path, start, stream)
    return made


def _numbered_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    # Binary lines end at b"\n" only: Gson leaves U+0085, U+2028 and friends
    # unescaped, and splitting at them would cut a payload.
    yield from enumerate(stream, 1)


def _chain(first: list[tuple[int, bytes]], rest: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
    yield from first
    yield from rest


def _loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:  # also what orjson raises for nesting deeper than 1024
        return None


def _text(raw: bytes, where: str) -> tuple[str | None, str | None]:
    """``(text, None)`` or ``(None, problem)`` for one line's bytes."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as err:
        return None, f"{where}: not UTF-8 text (byte {err.start})"


def _json_lines(path: str, number: int, first: bytes,
                lines: Iterator[tuple[int, bytes]]) -> Iterator[Payload]:
    nxt = next(((n, raw) for n, raw in lines if raw.strip()), None)
    if nxt is None:  # one compact event
        text, problem = _text(first, path)
        yield Payload(path, text or "", problem=problem)
        return
    yield _line_payload(path, number, first)
    for n, raw in _chain([nxt], lines):  # each line as soon as it is complete (stdin too)
        if raw.strip():
            yield _line_payload(path, n, raw)


def _line_payload(path: str, number: int, raw: bytes) -> Payload:
    label = f"{path}:{number}"
    text, problem = _text(raw.strip(), label)
    return Payload(label, text or "", problem=problem)


def _single_event(path: str, start: bytes, stream: IO[bytes]) -> Iterator[Payload]:
    data = start + stream.read()
    text, problem = _text(data.strip(), path)
    yield Payload(path, text or "", problem=problem)


def _document_blocks(path: str, lines: Iterator[tuple[int, bytes]]) -> Iterator[Payload]:
    """```json blocks whose text mentions "task", each as one payload."""
    found = 0
    block: list[str] | None = None
    for number, raw in lines:
        if b"\x00" in raw:
            raise PayloadError(f"{path}:{number}: a binary file, not payloads ({_KINDS})")
        text, problem = _text(raw, f"{path}:{number}")
        if text is None:
            raise PayloadError(f"{problem} ({_KINDS})")
        if block is None:
            at = text.find("```json")
            if at >= 0:
                block = []
            continue
        end = text.find("```")
        if end < 0:
            block.append(text)
            continue
        block.append(text[:end])
        body = "".join(block)
        block = None
        if '"task"' in body:
            found += 1
            yield Payload(f"{path}#block{found}", body.strip())
    if not found:
        raise PayloadError(f"{path}: found no payload ({_KINDS})")


def _recorded(path: str, number: int | None, header: dict[str, Any]) -> str | None:
    """The release a vector file's header or JSON lines' first line records (``releases.recorded_release``)."""
    try:
        return recorded_release(header)
    except ReleaseError as err:
        where = f"{path}:{number}" if number is not None else f'{path}: "aurora"'
        raise PayloadError(f"{where}: {err}") from None


def _set_header(made: PayloadFile, header: dict[str, Any]) -> None:
    optional, identity = header.get("optional"), header.get("identity")
    made.aurora = _recorded(made.path, None, header)
    made.optional = optional if isinstance(optional, str) else None
    made.identity = identity if isinstance(identity, dict) else None
    made.extra = {k: v for k, v in header.items() if k not in ("aurora", "optional", "identity", "cases")}


def _vector_cases(path: str, cases: Iterator[Any]) -> Iterator[Payload]:
    for index, case in enumerate(cases):
        yield _case_payload(path, index, case)


def _case_payload(path: str, index: int, case: Any) -> Payload:
    name = case.get("name", index) if isinstance(case, dict) else index
    label = f"{path}: case {name}"
    if not isinstance(case, dict) or not isinstance(case.get("payload"), str):
        return Payload(label, "", problem=f"{label}: no payload string")
    hashed, old = case.get("hashed"), case.get("oldState")
    return Payload(label, case["payload"], hashed if isinstance(hashed, str) else None,
                   old if isinstance(old, str) else None)
