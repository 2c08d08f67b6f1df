"""An HTTP server that receives Aurora (or aurorakit) webhooks and stores them.

For every POST, on any path:

1. the body is read with a size limit: a ``Content-Length`` over the limit is
   answered 413 before anything is read; a chunked body is cut off with 413
   as soon as it passes the limit; no length at all is 411;
2. with a secret, the Standard Webhooks signature is checked (401 if it is
   missing, wrong or outside the timestamp tolerance);
3. a ``webhook-id`` already stored is answered 200 and not stored again;
4. the injected ``decode(body) -> dict`` (or ``decode_request(body,
   headers) -> dict``, for decoders that need the Content-Type's charset)
   makes the summary; a ``ValueError`` (carrying ``.path`` when it can)
   becomes 400 with the path and message;
5. raw bytes, headers and summary go to the :class:`ReceiverStore`; 200.

Answers are small JSON objects. The store is written in the request thread
(one short SQLite transaction), so the sender gets its answer fast.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .receiver_store import ReceiverStore, StoredDelivery
from .redaction import redact_headers
from .signing import WEBHOOK_ID, SignatureError, decode_secret, verify

__all__ = ["Decoder", "RequestDecoder", "ReceiverStore", "StoredDelivery", "WebhookReceiver", "serve",
           "DEFAULT_MAX_BODY_BYTES"]

log = logging.getLogger("aurorakit.webhook.receiver")
Decoder = Callable[[bytes], Mapping[str, Any]]
RequestDecoder = Callable[[bytes, Mapping[str, str]], Mapping[str, Any]]
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
_LINGER_SECONDS = 1.0  # after a 413, read a little more so the client sees the answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    receiver: WebhookReceiver

    def server_activate(self) -> None:
        self._open_connections: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().server_activate()

    # Kept-alive connections outlive serve_forever(); track them so that
    # stopping the receiver really stops it.
    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open_connections.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        with self._open_lock:
            connections = list(self._open_connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "aurorakit-receiver"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Headers and body are written separately; without NODELAY, Nagle plus
        # the client's delayed ACK stalls every answer by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._reply(405, {"error": "only POST is accepted"}, extra={"Allow": "POST"})

    do_PUT = do_DELETE = do_PATCH = do_GET

    def do_POST(self) -> None:
        receiver = self.server.receiver
        try:
            body = self._read_body(receiver.max_body_bytes)
        except (TimeoutError, socket.timeout, ConnectionError):
            self.close_connection = True
            return
        if body is None:
            return
        headers = {name: value for name, value in self.headers.items()}
        webhook_id = self.headers.get(WEBHOOK_ID)
        if receiver.key is not None:
            try:
                verify(receiver.key, {k.lower(): v for k, v in headers.items()}, body,
                       tolerance_sec=receiver.tolerance_sec)
            except SignatureError as exc:
                self._reply(401, {"error": f"signature refused: {exc}"})
                return
        if webhook_id is not None and receiver.store.has(webhook_id):
            self._reply(200, {"stored": False, "duplicate": True})
            return
        summary: Mapping[str, Any] | None = None
        decoder = receiver.request_decoder()
        if decoder is not None:
            try:
                summary = decoder(body, headers)
            except ValueError as exc:
                # The payload layer's PayloadError carries .message and .path.
                path = getattr(exc, "path", None)
                message = getattr(exc, "message", None) or str(exc)
                self._reply(400, {"error": str(message), "path": str(path) if path else None})
                return
            except Exception:
                log.exception("webhook decoder failed")
                self._reply(500, {"error": "decoder failed"})
                return
        seq = receiver.store.add(webhook_id=webhook_id, path=self.path, remote=self.client_address[0],
                                 headers=redact_headers(headers), body=body, summary=summary)
        self._reply(200, {"stored": seq is not None, "duplicate": seq is None})

    # -- body reading ------------------------------------------------------------

    def _read_body(self, limit: int) -> bytes | None:
        """The request body, or None after an error answer was sent."""
        encoding = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if encoding and encoding != "identity":
            if encoding != "chunked":
                self._reply(501, {"error": f"unsupported Transfer-Encoding {encoding!r}"}, close=True)
                return None
            return self._read_chunked(limit)
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            self._reply(411, {"error": "Content-Length required"}, close=True)
            return None
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError(length_text)
        except ValueError:
            self._reply(400, {"error": "invalid Content-Length"}, close=True)
            return None
        if length > limit:
            self._refuse_too_large(limit)
            return None
        body = self.rfile.read(length)
        if len(body) < length:  # the client went away
            self.close_connection = True
            return None
        return body

    def _read_chunked(self, limit: int) -> bytes | None:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1026)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self._reply(400, {"error": "malformed chunked body"}, close=True)
                return None
            if size == 0:
                while self.rfile.readline(1026).strip():  # trailers
                    pass
                return b"".join(parts)
            total += size
            if total > limit:
                self._refuse_too_large(limit)
                return None
            chunk = self.rfile.read(size)
            self.rfile.readline(3)  # CRLF after the chunk
            if len(chunk) < size:
                self.close_connection = True
                return None
            parts.append(chunk)

    def _refuse_too_large(self, limit: int) -> None:
        self._reply(413, {"error": f"body larger than {limit} bytes"}, close=True)
        # A bounded "lingering close": closing with unread input would make the
        # kernel reset the connection, and the client might never see the 413.
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.2)
            deadline = time.monotonic() + _LINGER_SECONDS
            while time.monotonic() < deadline and self.connection.recv(65536):
                pass
        except OSError:
            pass

    def _reply(self, status: int, payload: Mapping[str, Any], *, close: bool = False,
               extra: Mapping[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)


class WebhookReceiver:
    """A webhook receiving server; ``start()`` runs it in a background thread."""

    def __init__(self, store: ReceiverStore, *, host: str = "127.0.0.1", port: int = 0,
                 secret: str | bytes | None = None, decode: Decoder | None = None,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, tolerance_sec: float = 300.0,
                 read_timeout: float = 10.0, decode_request: RequestDecoder | None = None) -> None:
        if decode is not None and decode_request is not None:
            raise ValueError("give decode or decode_request, not both")
        self.store = store
        self.key = None if secret is None else decode_secret(secret)
        self.decode = decode
        self.decode_request = decode_request
        self.max_body_bytes = max_body_bytes
        self.tolerance_sec = tolerance_sec
        self.read_timeout = read_timeout
        # The handler's socket timeout bounds slow or idle clients.
        handler = type("_TimedHandler", (_Handler,), {"timeout": read_timeout})
        self._server = _Server((host, port), handler)
        self._server.receiver = self
        self._thread: threading.Thread | None = None

    def request_decoder(self) -> RequestDecoder | None:
        """The decoder to use now, as ``(body, headers) -> summary`` (either attribute may be swapped)."""
        if self.decode_request is not None:
            return self.decode_request
        plain = self.decode
        if plain is None:
            return None
        return lambda body, headers: plain(body)

    def __repr__(self) -> str:
        return f"WebhookReceiver(url={self.url!r}, store={self.store!r}, signed={self.key is not None})"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = str(self._server.server_address[0])
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}/"

    def start(self) -> WebhookReceiver:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"webhook-receiver-{self.port}", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop listening and cut the connections clients keep open."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
        self._server.close_open_connections()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve(port: int, store: ReceiverStore | str | Path, *, host: str = "127.0.0.1",
          secret: str | bytes | None = None, decode: Decoder | None = None,
          max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
          on_ready: Callable[[WebhookReceiver], None] | None = None,
          decode_request: RequestDecoder | None = None) -> None:
    """Receive webhooks until interrupted (Ctrl-C); for the ``aurorakit receive`` CLI."""
    owned = not isinstance(store, ReceiverStore)
    the_store = store if isinstance(store, ReceiverStore) else ReceiverStore(store)
    receiver = WebhookReceiver(the_store, host=host, port=port, secret=secret, decode=decode,
                               decode_request=decode_request,
                               max_body_bytes=max_body_bytes)
    if on_ready is not None:
        on_ready(receiver)
    try:
        receiver.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()
        if owned:
            the_store.close()
