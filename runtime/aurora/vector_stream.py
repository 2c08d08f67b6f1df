"""A vector file read case by case (ijson), so that one of any size takes bounded memory.

:func:`stream_vector_file` gives the values before ``"cases"`` (the header:
release, identity table, ...) and then the cases one at a time, each built
without recursion; a file that breaks off, nests too deeply or holds a value
too large for a vector file raises :class:`PayloadError` naming the file and
the case. ``payload_files.py`` decides that a file is a vector file and turns
each case into a payload.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import ijson  # type: ignore[import-untyped]  # (no stubs; used through basic_parse() and ObjectBuilder)
from ijson.common import ObjectBuilder  # type: ignore[import-untyped]

from ..errors import PayloadError

__all__ = ["stream_vector_file"]

_HEADER_LIMIT = 1 << 20  # header values (the identity table) bigger than this are not a vector file's
_Events = Iterator[tuple[str, Any]]  # ijson.basic_parse: (event, value), no prefixes (they grow with depth)
_STARTS = ("start_map", "start_array")
_ENDS = ("end_map", "end_array")
_MAX_DEPTH = 64  # a vector file is 3 levels deep; deeper is not one (and must not cost memory or recursion)


def stream_vector_file(path: str, start: bytes, rest: IO[bytes]) -> tuple[dict[str, Any], Iterator[Any]]:
    """The header of the vector file whose first bytes are ``start`` (already read from ``rest``), and its cases."""
    events = ijson.basic_parse(_Replay(start, rest), use_float=True)
    header, has_cases = _vector_header(path, events)
    return header, _streamed_cases(path, events) if has_cases else iter(())


def _vector_header(path: str, events: _Events) -> tuple[dict[str, Any], bool]:
    """The top-level values before ``cases`` and whether a ``cases`` array follows."""
    header: dict[str, Any] = {}
    try:
        event, value = next(events)
        if event != "start_map":
            raise PayloadError(f"{path}: expected a vector file's object")
        for event, value in events:
            if event == "end_map":
                return header, False
            key = value  # a map_key: the value follows
            event, value = next(events)
            if key == "cases":
                if event != "start_array":
                    raise PayloadError(f"{path}: cases: expected an array of cases")
                return header, True
            header[key] = _build(event, value, events, path, key, 1)
    except (ijson.JSONError, StopIteration, UnicodeDecodeError) as err:
        raise PayloadError(f"{path}: not a complete vector file ({_reason(err)})") from None
    raise PayloadError(f"{path}: not a complete vector file (it ends early)")


def _build(event: str, value: Any, events: _Events, path: str, where: str, depth: int) -> Any:
    """The value whose first event is ``event``, ``depth`` levels down, built without recursion."""
    builder = ObjectBuilder()
    builder.event(event, value)
    level = 1 if event in _STARTS else 0
    count = 0
    while level:
        event, value = next(events)
        builder.event(event, value)
        level += (event in _STARTS) - (event in _ENDS)
        count += 1
        if depth + level > _MAX_DEPTH:
            raise PayloadError(f"{path}: {where}: nested too deeply for a vector file")
        if count > _HEADER_LIMIT:
            raise PayloadError(f"{path}: {where}: too large for a vector file's header or case")
    return builder.value


def _streamed_cases(path: str, events: _Events) -> Iterator[Any]:
    index = 0
    try:
        for event, value in events:
            if event == "end_array":  # the end of "cases"
                break
            yield _build(event, value, events, path, f"case {index}", 2)
            index += 1
        level = 1
        for event, _ in events:  # the rest must be well-formed too
            level += (event in _STARTS) - (event in _ENDS)
            if level > _MAX_DEPTH:
                raise PayloadError(f"{path}: after the cases: nested too deeply for a vector file")
    except (ijson.JSONError, StopIteration, UnicodeDecodeError) as err:
        raise PayloadError(f"{path}: case {index}: the file breaks off or is not JSON ({_reason(err)}); "
                           f"{index} case(s) read before it") from None


def _reason(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else "the file ends early"


class _Replay:
    """The bytes already read from a stream, then the rest of the stream (what ijson reads)."""

    def __init__(self, start: bytes, rest: IO[bytes]) -> None:
        self._start = start
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._start:
            if size < 0 or size >= len(self._start):
                out, self._start = self._start, b""
                return out
            out, self._start = self._start[:size], self._start[size:]
            return out
        return self._rest.read(size)
