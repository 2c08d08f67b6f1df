"""The receiver's HTTP/1.1 server: h11 speaks the protocol, one asyncio loop holds the connections.

Why h11 under our own loop rather than uvicorn or aiohttp: what this server
must guarantee are limits on connections, not on an application: a time limit
on the request head and another on the body, a body limit applied before a
byte of the body is read, and a cap on open connections that sheds the slow
ones instead of turning new clients away. h11 does the strict part of HTTP
(request line and header syntax, Content-Length as digits only, chunk sizes as
hex only, no Transfer-Encoding but ``chunked``, a bounded head) and leaves all
I/O to the caller, so each limit is a few lines below instead of a setting a
server framework may or may not have: uvicorn's limit-concurrency answers new
clients 503 once slow ones fill it, and its keep-alive timeout restarts with
every byte received, so a client trickling a head is never timed out (a time
limit on the request start and on the body is still an open item, uvicorn
issue #157). The loop holds thousands of idle sockets at no cost; only whole
requests reach the worker threads.

The framing rules added on top of h11 (request smuggling guards) are in
:mod:`.receiver_framing`. A request answered before its body was read (405,
411, 413, any framing error) is answered with ``Connection: close`` and the
connection is closed after a bounded lingering read, so its body can never be
taken for the next request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any

import h11

from .receiver_framing import Answer, EarlyAnswer, Incoming, Limits, Refusal, check_framing

__all__ = ["Answer", "HttpServer", "Incoming", "Limits", "Refusal"]

log = logging.getLogger("aurorakit.webhook.receiver")

_READ_SIZE = 65536
_LINGER_BYTES = 8 * 1024 * 1024  # read (and drop) at most this much after an early answer


Handler = Callable[[Incoming], Answer]
Reporter = Callable[[Refusal], None]


class _ClientGone(Exception):
    """The client closed or reset the connection."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, max_header_bytes: int) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=max_header_bytes)
        peer = writer.get_extra_info("peername")
        self.remote = str(peer[0]) if isinstance(peer, tuple) else str(peer or "")
        # When this request cycle began, while it is still arriving (head or body); None
        # while the handler works on it or the answer goes out: such a connection is never shed.
        self.waiting_since: float | None = time.monotonic()
        self.shed = False
        self.buffered = 0  # body bytes of this connection held in memory, counted in the server's budget

    async def receive(self) -> bytes:
        try:
            data = await self.reader.read(_READ_SIZE)
        except (ConnectionError, OSError):
            data = b""
        self.h11.receive_data(data)
        return data

    def abort(self) -> None:
        self.shed = True
        self.writer.transport.abort()


class HttpServer:
    """Serves ``handler`` on an already listening socket, in a loop of its own thread."""

    def __init__(self, sock: socket.socket, limits: Limits, handler: Handler, reporter: Reporter) -> None:
        self.sock = sock
        self.limits = limits
        self.handler = handler
        self.reporter = reporter
        self._pool = ThreadPoolExecutor(max_workers=limits.workers, thread_name_prefix="webhook-receiver")
        self._connections: dict[_Connection, None] = {}  # in order of arrival
        self._buffered = 0  # body bytes held by all connections (read, or being handled)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    # -- running -------------------------------------------------------------------

    def start(self) -> None:
        port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._run, name=f"webhook-receiver-{port}", daemon=True)
        self._thread.start()
        self._ready.wait()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the server to stop; False on timeout."""
        if self._thread is None:
            return True
        # An Event, not Thread.join(timeout): a Ctrl-C landing inside join() can leave the
        # thread looking finished, and the join in stop() would then not wait for it.
        return self._done.wait(timeout)

    def stop(self) -> None:
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stopping.set)
            except RuntimeError:  # the loop closed in between
                pass
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        # Requests already being handled finish (their rows are committed) before the
        # caller closes the store; those not started are dropped unanswered.
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.sock.close()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        finally:
            self._ready.set()
            self._done.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        tasks: set[asyncio.Task[None]] = set()

        def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.ensure_future(self._serve(reader, writer))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        server = await asyncio.start_server(accepted, sock=self.sock, backlog=1024,
                                            limit=_READ_SIZE)
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            server.close()
            for connection in list(self._connections):
                connection.abort()
            for task in list(tasks):
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _report(self, refusal: Refusal) -> None:
        try:
            self._pool.submit(self.reporter, refusal)
        except RuntimeError:  # the pool is shut down: the server is stopping
            pass

    # -- one connection --------------------------------------------------------------

    def _make_room(self) -> bool:
        """At the cap, shed the connection whose request has been arriving the longest.

        False if none can go (every open connection has a request being handled).
        """
        if len(self._connections) < self.limits.max_connections:
            return True
        waiting = [c for c in self._connections if c.waiting_since is not None]
        if not waiting:
            return False
        victim = min(waiting, key=lambda c: c.waiting_since or 0.0)
        waited = time.monotonic() - (victim.waiting_since or 0.0)
        self._report(Refusal(None, f"connection shed after {waited:.1f} s without a complete request "
                                   f"({self.limits.max_connections} connections open)", victim.remote))
        victim.abort()
        del self._connections[victim]
        return True

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(reader, writer, self.limits.max_header_bytes)
        if not self._make_room():
            await self._answer_and_close(connection, 503, {"error": "too many connections"}, (("retry-after", "1"),))
            return
        self._connections[connection] = None
        try:
            await self._cycles(connection)
        except asyncio.CancelledError:
            pass
        except Exception:  # a bug in this module: one line with its traceback, the connection closed
            log.exception("webhook receiver connection from %s failed", connection.remote)
        finally:
            self._release(connection)
            self._connections.pop(connection, None)
            writer.transport.abort() if connection.shed else writer.close()

    async def _cycles(self, connection: _Connection) -> None:
        limits = self.limits
        while True:
            connection.waiting_since = time.monotonic()
            try:
                request, raw_head = await asyncio.wait_for(self._read_head(connection), limits.header_timeout)
            except asyncio.TimeoutError:
                if connection.h11.trailing_data[0]:
                    reason = f"request head not complete after {limits.header_timeout:g} s"
                    self._report(Refusal(408, reason, connection.remote))
                    await self._answer_and_close(connection, 408, {"error": reason})
                return  # an idle kept-alive connection just ends
            except _ClientGone as gone:
                if str(gone) and not connection.shed:
                    self._report(Refusal(None, str(gone), connection.remote))
                return
            except h11.RemoteProtocolError as err:
                if connection.shed:
                    return
                reason = f"malformed request: {err}"
                self._report(Refusal(err.error_status_hint, reason, connection.remote))
                await self._answer_and_close(connection, err.error_status_hint, {"error": reason})
                return
            started, received_at = time.monotonic(), time.time()
            method = request.method.decode("ascii", "replace")
            path = request.target.decode("latin-1")
            headers = [(name.decode("latin-1"), value.decode("latin-1"))
                       for name, value in request.headers.raw_items()]
            try:
                check_framing(request, raw_head, self.limits)
                body = await asyncio.wait_for(self._read_body(connection), limits.body_timeout)
            except asyncio.TimeoutError:
                reason = f"body not complete after {limits.body_timeout:g} s"
                await self._refuse(connection, Refusal(408, reason, connection.remote, method, path, headers,
                                                       started=started))
                return
            except EarlyAnswer as early:
                await self._refuse(connection, Refusal(early.status, early.reason, connection.remote, method, path,
                                                       headers, early.size, started), early.headers)
                return
            except h11.RemoteProtocolError as err:
                await self._refuse(connection, Refusal(err.error_status_hint, f"malformed body: {err}",
                                                       connection.remote, method, path, headers, started=started))
                return
            except _ClientGone as gone:
                if not connection.shed:
                    self._report(Refusal(None, str(gone) or "client closed the connection",
                                         connection.remote, method, path, headers, started=started))
                return
            incoming = Incoming(method, path, connection.remote, headers, body, received_at, started)
            connection.waiting_since = None
            try:
                future = self._pool.submit(self.handler, incoming)
            except RuntimeError:  # the pool was shut down: the server is stopping
                return
            try:
                answer = await asyncio.wrap_future(future)
            except Exception:  # a bug in the handler: its traceback in the log, a 500 to the client
                log.exception("webhook receiver: handling %s %s from %s failed", method, path, connection.remote)
                answer = Answer(500, {"error": "internal error"}, close=True)
            self._release(connection)
            if not await self._send(connection, answer):
                return
            if answer.close or connection.h11.our_state is h11.MUST_CLOSE:
                return
            try:
                connection.h11.start_next_cycle()
            except h11.LocalProtocolError:
                return

    async def _read_head(self, connection: _Connection) -> tuple[h11.Request, bytes]:
        # The raw head is kept (bounded by h11's own limit) to count Content-Length
        # lines, which h11 merges when they are equal.
        raw = bytearray(connection.h11.trailing_data[0])
        while True:
            event = connection.h11.next_event()
            if event is h11.NEED_DATA:
                data = await connection.receive()
                if not data and raw:
                    raise _ClientGone("client closed the connection before the request head was complete")
                if len(raw) <= self.limits.max_header_bytes + _READ_SIZE:
                    raw += data
                continue
            if isinstance(event, h11.Request):
                return event, bytes(raw)
            raise _ClientGone()

    def _release(self, connection: _Connection) -> None:
        self._buffered -= connection.buffered
        connection.buffered = 0

    async def _read_body(self, connection: _Connection) -> bytes:
        if connection.h11.they_are_waiting_for_100_continue:
            go_on = h11.InformationalResponse(status_code=100, headers=[], reason=_phrase(100))
            await self._write(connection, connection.h11.send(go_on))
        parts: list[bytes] = []
        total = 0
        while True:
            event = connection.h11.next_event()
            if event is h11.NEED_DATA:
                if not await connection.receive():
                    raise _ClientGone("client closed the connection before the body was complete")
            elif isinstance(event, h11.Data):
                total += len(event.data)
                if total > self.limits.max_body_bytes:
                    raise EarlyAnswer(413, f"body larger than {self.limits.max_body_bytes} bytes", total)
                if self._buffered + len(event.data) > self.limits.max_buffered_bytes:
                    # Many bodies at once, each within the limit, must not add up without bound.
                    raise EarlyAnswer(503, f"busy: {self.limits.max_buffered_bytes} bytes of bodies in memory",
                                      total, (("retry-after", "1"),))
                self._buffered += len(event.data)
                connection.buffered += len(event.data)
                parts.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(parts)
            else:
                raise _ClientGone()

    # -- answering -------------------------------------------------------------------

    async def _refuse(self, connection: _Connection, refusal: Refusal,
                      headers: tuple[tuple[str, str], ...] = ()) -> None:
        self._report(refusal)
        assert refusal.status is not None
        await self._answer_and_close(connection, refusal.status, {"error": refusal.reason}, headers)

    async def _answer_and_close(self, connection: _Connection, status: int, payload: Mapping[str, Any],
                                headers: tuple[tuple[str, str], ...] = ()) -> None:
        """Answer, then drain the client's input a little: closing with unread input makes the
        kernel reset the connection, and the client might never read the answer."""
        if not await self._send(connection, Answer(status, payload, headers, close=True)):
            return
        writer = connection.writer
        try:
            if writer.can_write_eof():
                writer.write_eof()
            deadline = time.monotonic() + self.limits.linger
            drained = 0
            while drained < _LINGER_BYTES:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                data = await asyncio.wait_for(connection.reader.read(_READ_SIZE), left)
                if not data:
                    break
                drained += len(data)
        except (asyncio.TimeoutError, ConnectionError, OSError):
            pass

    async def _send(self, connection: _Connection, answer: Answer) -> bool:
        """Write the answer; False if it could not be (the client left, or h11 cannot frame it)."""
        if connection.shed:
            return False
        data = json.dumps(dict(answer.payload)).encode("utf-8")
        headers = [("content-type", "application/json"), ("content-length", str(len(data))),
                   *answer.headers]
        if answer.close:
            headers.append(("connection", "close"))
        try:
            wire = (connection.h11.send(h11.Response(status_code=answer.status, headers=headers,
                                                     reason=_phrase(answer.status)))
                    + connection.h11.send(h11.Data(data=data))
                    + connection.h11.send(h11.EndOfMessage()))
        except h11.LocalProtocolError:
            return False
        return await self._write(connection, wire)

    async def _write(self, connection: _Connection, data: bytes) -> bool:
        try:
            connection.writer.write(data)
            await connection.writer.drain()
            return True
        except (ConnectionError, OSError):
            return False


def _phrase(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""
