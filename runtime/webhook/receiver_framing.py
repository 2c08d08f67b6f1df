"""What the receiver's HTTP server accepts: its limits, the values it passes on, the framing rules.

h11 checks the syntax (request line, header lines, Content-Length as digits,
chunk sizes as hex, no Transfer-Encoding but ``chunked``). :func:`check_framing`
adds what h11 lets through but a proxy in front could frame differently, so
that one request can never be read as two (request smuggling): a second
Content-Length line or a list in one (h11 merges equal ones), Transfer-Encoding
together with Content-Length; and what this receiver takes at all: POST only,
a length or chunked body, the body and head limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # h11 is the server's (receiver_http); a command reading Limits for --help needs none
    import h11


@dataclass(frozen=True)
class Limits:
    """What one client may cost the server."""

    max_body_bytes: int = 1024 * 1024
    max_buffered_bytes: int = 64 * 1024 * 1024  # all bodies in memory at once; beyond it new bodies get 503
    max_header_bytes: int = 16 * 1024  # request line and headers together; more is 431
    header_timeout: float = 10.0  # from connect (or the previous answer) to the end of the head
    body_timeout: float = 30.0  # from the end of the head to the end of the body
    max_connections: int = 1000  # beyond it the idle or slow connection waiting longest is shed
    workers: int = 8  # threads running the request handler
    linger: float = 1.0  # after an early answer, how long to drain the client's input

    def __post_init__(self) -> None:
        if self.max_buffered_bytes < self.max_body_bytes:
            raise ValueError("max_buffered_bytes must be at least max_body_bytes")
        for name in ("max_body_bytes", "max_header_bytes", "max_connections", "workers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("header_timeout", "body_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")


@dataclass(frozen=True)
class Incoming:
    """A complete request, handed to the handler in a worker thread."""

    method: str
    path: str
    remote: str
    headers: list[tuple[str, str]]  # as received: order, repeats and the client's spelling kept
    body: bytes
    received_at: float  # wall clock, when the head was complete
    started: float  # monotonic, when the head was complete (for latency)


@dataclass(frozen=True)
class Answer:
    status: int
    payload: Mapping[str, Any]
    headers: tuple[tuple[str, str], ...] = ()
    close: bool = False


@dataclass(frozen=True)
class Refusal:
    """A request (or connection) the server itself refused or lost, for the log and the store."""

    status: int | None  # None: nothing was answered (the client left, or was shed)
    reason: str
    remote: str
    method: str = ""
    path: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    size: int | None = None
    started: float = 0.0  # monotonic


class EarlyAnswer(Exception):
    """Answer now and close: the rest of the request is not read."""

    def __init__(self, status: int, reason: str, size: int | None = None,
                 headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.size = size
        self.headers = headers


def check_framing(request: h11.Request, raw_head: bytes, limits: Limits) -> None:
    """Refuse what h11 lets through but a proxy in front could frame differently."""
    names = [name for name, _ in request.headers]
    method = request.method.decode("ascii", "replace")
    # h11 bounds a head that arrives in pieces; one that arrives whole in a read is measured here.
    if _head_end(raw_head) > limits.max_header_bytes:
        raise EarlyAnswer(431, f"malformed request: head larger than {limits.max_header_bytes} bytes")
    if _content_length_lines(raw_head) > 1:
        raise EarlyAnswer(400, "more than one Content-Length")
    if b"transfer-encoding" in names and b"content-length" in names:
        raise EarlyAnswer(400, "both Transfer-Encoding and Content-Length")
    if method != "POST":
        raise EarlyAnswer(405, f"method {method} not allowed, only POST", headers=(("allow", "POST"),))
    if b"transfer-encoding" not in names and b"content-length" not in names:
        raise EarlyAnswer(411, "Content-Length required")
    for name, value in request.headers:
        if name == b"content-length" and int(value) > limits.max_body_bytes:
            raise EarlyAnswer(413, f"body larger than {limits.max_body_bytes} bytes", int(value))


def _head_end(raw_head: bytes) -> int:
    """Where the head ends: the first empty line (h11 also takes a bare LF as a line end)."""
    return min((i for i in (raw_head.find(b"\r\n\r\n"), raw_head.find(b"\n\n")) if i >= 0), default=len(raw_head))


def _content_length_lines(raw_head: bytes) -> int:
    """How many Content-Length values the head gives (a comma-separated list counts each)."""
    count = 0
    for line in raw_head[:_head_end(raw_head)].split(b"\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"content-length":
            count += 1 + value.count(b",")
    return count
