"""Reading one HTTP/1.1 answer off a socket: the status, ``Retry-After``, and whether the
connection can carry the next request.

http.client parses every answer's head with the email package, which costs
about ten times the request itself; the sender needs only three facts from
it. httptools (llhttp, the parser under uvicorn) reads the answer here, body
included, as the bytes arrive. Where the framing is in doubt (a parse error
once the status line is in, no length, bytes nobody asked for) the
connection is not reused: the status is still the answer.

Troubles before the status is known raise http.client's own exception types
(``BadStatusLine``, ``RemoteDisconnected``, ``LineTooLong``), so they are
described as before.
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import httptools

from .http_attempt import MAX_RESPONSE_BYTES

MAX_HEAD_BYTES = 64 * 1024  # http.client's limit for one header line; here for the whole head
_RECV_BYTES = 65536


@dataclass(frozen=True)
class Answer:
    """The facts of one answer the sender uses; ``reusable``: the connection may carry another request."""

    status: int
    retry_after: str | None
    reusable: bool


class _Reading:
    """httptools' callbacks for one answer; informational (1xx) answers before it are skipped."""

    __slots__ = ("body", "complete", "extra", "head_done", "head_size", "keep_alive", "parser", "retry_after",
                 "status")

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.status = 0  # the final answer's, once its status line is in
        self.retry_after: str | None = None
        self.keep_alive = False
        self.head_done = False  # the final answer's status line and headers are in
        self.head_size = 0  # bytes of the heads' lines, as read
        self.body = 0
        self.complete = False
        self.extra = False  # something began after the answer ended

    def on_message_begin(self) -> None:
        self.extra = self.extra or self.complete

    def on_status(self, reason: bytes) -> None:
        self.head_size += len(reason) + 15
        code = self.parser.get_status_code()
        self.status = 0 if 100 <= code < 200 and code != 101 else code

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_size += len(name) + len(value) + 4
        if self.status and self.retry_after is None and name.lower() == b"retry-after":
            self.retry_after = value.strip().decode("latin-1")

    def on_headers_complete(self) -> None:
        if self.status:
            self.keep_alive = self.parser.should_keep_alive() and self.status != 101
            self.head_done = True

    def on_body(self, body: bytes) -> None:
        self.body += len(body)

    def on_message_complete(self) -> None:
        self.complete = self.complete or bool(self.status)


def read_answer(sock: socket.socket, within: float, head_arrived: Callable[[], None] | None = None) -> Answer:
    """Read the answer to the request just sent on ``sock``; the body is read and dropped.

    ``head_arrived`` (no arguments) is called once the status line and headers
    are in; reading the body then stops after ``within`` seconds in all.
    """
    reading = _Reading()
    give_up_at: float | None = None  # set once the head is in
    head_bytes = 0
    broken = False
    while not reading.complete:
        if give_up_at is not None and (time.monotonic() > give_up_at or reading.body > MAX_RESPONSE_BYTES):
            break  # not worth reading on: the connection is dropped instead
        try:
            chunk = sock.recv(_RECV_BYTES)
        except OSError:
            if give_up_at is None:
                raise
            break  # the head arrived; a broken body does not change the answer
        if not chunk:
            if give_up_at is None:
                if head_bytes:
                    raise http.client.BadStatusLine("answer cut off in its head")
                raise http.client.RemoteDisconnected("closed without an answer")
            break
        try:
            reading.parser.feed_data(chunk)
        except httptools.HttpParserError as err:
            if not reading.status:
                raise http.client.BadStatusLine(f"not an HTTP/1.x answer ({err})") from None
            broken = True  # the status is in; what follows cannot be framed
        if give_up_at is None:
            if reading.head_size > MAX_HEAD_BYTES:
                raise http.client.LineTooLong("answer head")
            if reading.head_done or broken:
                give_up_at = _head_arrived(head_arrived, within)
            else:
                head_bytes += len(chunk)
                if head_bytes > MAX_HEAD_BYTES:
                    raise http.client.LineTooLong("answer head")
        if broken:
            break
    reusable = reading.complete and reading.keep_alive and not reading.extra and not broken
    return Answer(reading.status, reading.retry_after, reusable)


def _head_arrived(callback: Callable[[], None] | None, within: float) -> float:
    if callback is not None:
        callback()
    return time.monotonic() + within
