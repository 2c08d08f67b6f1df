"""Reading one HTTP/1.1 answer off a socket, by hand: the status, ``Retry-After``, and whether the
connection can carry the next request.

http.client parses every answer's head with the email package, which costs
about ten times the request itself; the sender needs only three facts from
it. This reader takes the head in as few ``recv`` calls as the server's
segments allow, reads only the framing headers, and discards the body (up
to ``MAX_RESPONSE_BYTES``, within the read timeout). Where the framing is in
doubt (no length, a bad length, bytes nobody asked for) the connection is
not reused: the status is still the answer.

Troubles raise http.client's own exception types (``BadStatusLine``,
``RemoteDisconnected``, ``LineTooLong``), so they are described as before.
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from .http_attempt import MAX_RESPONSE_BYTES

MAX_HEAD_BYTES = 64 * 1024  # http.client's limit for one header line; here for the whole head
_RECV_BYTES = 65536
_NO_BODY = frozenset({204, 304})


@dataclass(frozen=True)
class Answer:
    """The facts of one answer the sender uses; ``reusable``: the connection may carry another request."""

    status: int
    retry_after: str | None
    reusable: bool


class _Head:
    """The parts of an answer's head that frame it."""

    __slots__ = ("chunked", "close", "length", "retry_after", "status")

    def __init__(self, status: int) -> None:
        self.status = status
        self.retry_after: str | None = None
        self.length: int | None = None  # None: unknown (read to the close)
        self.chunked = False
        self.close = False


def read_answer(sock: socket.socket, within: float, head_arrived: Callable[[], None] | None = None) -> Answer:
    """Read the answer to the request just sent on ``sock``; the body is read and dropped.

    ``head_arrived`` (no arguments) is called once the status line and headers
    are in; reading the body then stops after ``within`` seconds in all.
    """
    buffer = b""
    while True:  # informational (1xx) answers come before the real one: skipped, as http.client does
        buffer, end, skip = _take_head(sock, buffer)
        head = _parse_head(buffer[:end])
        buffer = buffer[end + skip:]
        if head.status >= 200 or head.status == 101:
            break
    if head_arrived is not None:
        head_arrived()
    reusable = _discard_body(sock, head, buffer, time.monotonic() + within)
    return Answer(head.status, head.retry_after, reusable)


def _take_head(sock: socket.socket, buffer: bytes) -> tuple[bytes, int, int]:
    """Receive until the head's blank line; the buffer, where the head ends, and the blank line's length."""
    while True:
        end, skip = buffer.find(b"\r\n\r\n"), 4
        if end < 0:
            end, skip = buffer.find(b"\n\n"), 2  # bare LF line ends, which RFC 9112 lets a client accept
        if 0 <= end <= MAX_HEAD_BYTES:
            return buffer, end, skip
        if len(buffer) > MAX_HEAD_BYTES:
            raise http.client.LineTooLong("answer head")
        chunk = sock.recv(_RECV_BYTES)
        if not chunk:
            if buffer:
                raise http.client.BadStatusLine("answer cut off in its head")
            raise http.client.RemoteDisconnected("closed without an answer")
        buffer += chunk


def _parse_head(raw: bytes) -> _Head:
    lines = raw.split(b"\n")
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or len(parts[1]) != 3 or not parts[1].isdigit():
        raise http.client.BadStatusLine("not an HTTP/1.x status line")
    head = _Head(int(parts[1]))
    closes = keep_alive = False
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            continue  # a folded or broken line: none of the framing headers
        name = name.strip().lower()
        if name == b"content-length":
            head.length = _length(value, head.length)
        elif name == b"transfer-encoding":
            head.chunked = value.strip().lower().endswith(b"chunked")
        elif name == b"connection":
            tokens = value.lower()
            closes = closes or b"close" in tokens
            keep_alive = keep_alive or b"keep-alive" in tokens
        elif name == b"retry-after" and head.retry_after is None:
            head.retry_after = value.strip().decode("latin-1")
    head.close = closes or (parts[0] == b"HTTP/1.0" and not keep_alive)  # 1.0 closes unless it says not
    return head


def _length(value: bytes, before: int | None) -> int | None:
    """A Content-Length; -1 marks one that cannot frame the body (bad, or two that differ)."""
    text = value.strip()
    if not text.isdigit() or len(text) > 18 or (before is not None and before != int(text)):
        return -1
    return int(text)


def _discard_body(sock: socket.socket, head: _Head, buffer: bytes, give_up_at: float) -> bool:
    """Read the body to its end; True when the connection can be reused."""
    if head.status in _NO_BODY or 100 <= head.status < 200:
        return not head.close and not buffer and head.status != 101
    try:
        if head.chunked:
            return _discard_chunks(sock, buffer, give_up_at) and not head.close
        if head.length is None or head.length < 0:
            _drain_to_close(sock, buffer, give_up_at)
            return False
        left = head.length - len(buffer)
        if left < 0:
            return False  # bytes beyond the body: the framing cannot be trusted
        if head.length > MAX_RESPONSE_BYTES:
            return False  # not worth reading: the connection is dropped instead
        while left > 0:
            if time.monotonic() > give_up_at:
                return False
            chunk = sock.recv(min(left, _RECV_BYTES))
            if not chunk:
                return False
            left -= len(chunk)
        return not head.close
    except OSError:
        return False  # the status line arrived; a broken body does not change the answer


def _drain_to_close(sock: socket.socket, buffer: bytes, give_up_at: float) -> None:
    received = len(buffer)
    while received <= MAX_RESPONSE_BYTES and time.monotonic() <= give_up_at:
        chunk = sock.recv(_RECV_BYTES)
        if not chunk:
            return
        received += len(chunk)


def _discard_chunks(sock: socket.socket, buffer: bytes, give_up_at: float) -> bool:
    """Read a chunked body to its last chunk and trailers; False if it is broken, too long or too slow."""
    received = 0
    while True:
        line_end = buffer.find(b"\n")
        while line_end < 0:
            more = _more(sock, buffer, give_up_at)
            if more is None:
                return False
            buffer = more
            line_end = buffer.find(b"\n")
        size_text = buffer[:line_end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return False
        if size < 0:
            return False
        buffer = buffer[line_end + 1:]
        if size == 0:
            break
        received += size
        if received > MAX_RESPONSE_BYTES:
            return False
        while len(buffer) < size + 2:  # the chunk and its CRLF
            more = _more(sock, buffer, give_up_at)
            if more is None:
                return False
            buffer = more
        buffer = buffer[size:].lstrip(b"\r")
        if not buffer.startswith(b"\n"):
            return False
        buffer = buffer[1:]
    while True:  # trailers, up to the blank line
        line_end = buffer.find(b"\n")
        while line_end < 0:
            more = _more(sock, buffer, give_up_at)
            if more is None:
                return False
            buffer = more
            line_end = buffer.find(b"\n")
        line, buffer = buffer[:line_end].strip(), buffer[line_end + 1:]
        if not line:
            return not buffer
        if len(buffer) > MAX_HEAD_BYTES:
            return False


def _more(sock: socket.socket, buffer: bytes, give_up_at: float) -> bytes | None:
    if time.monotonic() > give_up_at or len(buffer) > MAX_RESPONSE_BYTES:
        return None
    chunk = sock.recv(_RECV_BYTES)
    return buffer + chunk if chunk else None
