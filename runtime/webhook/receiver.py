"""An HTTP server that receives Aurora (or aurorakit) webhooks and stores them.

The HTTP side (framing, limits, slow clients) is :mod:`.receiver_http`; this
module decides what each complete POST, on any path, gets:

1. a ``webhook-id``, ``webhook-timestamp`` or ``webhook-signature`` header
   given twice is 400: the signature check and the duplicate check must read
   the same single values;
2. with a secret, the Standard Webhooks signature is checked (401 if it is
   missing, wrong or outside the timestamp tolerance);
3. a ``webhook-id`` already stored is answered 200 and not stored again (ids
   are kept as long as their deliveries, longer than the tolerance);
4. the injected ``decode(body) -> dict`` (or ``decode_request(body,
   headers) -> dict``, for decoders that need the Content-Type's charset)
   makes the summary; a ``ValueError`` (carrying ``.path`` when it can)
   becomes 400 with the path and message;
5. raw bytes, headers and summary go to the :class:`ReceiverStore`; 200 once
   the row is committed, 503 if the store cannot write (the sender retries).

Every request ends in one :class:`RequestLog` (to ``on_request``, else the
log at INFO); refused ones (400, 401, 413, ...) are also recorded in the
store with their reason.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import AurorakitError, FieldError
from .receiver_framing import Answer, Incoming, Limits, Refusal
from .receiver_http import HttpServer
from .receiver_store import ReceiverStore, StoredDelivery, StoreWriteError
from .redaction import redact_headers
from .signing import WEBHOOK_ID, RepeatedHeaderError, SignatureError, decode_secret, verify, webhook_headers

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "Decoder",
    "Limits",
    "ReceiverConfigError",
    "ReceiverStore",
    "RequestDecoder",
    "RequestLog",
    "StoredDelivery",
    "WebhookReceiver",
    "is_loopback",
    "serve",
]

log = logging.getLogger("aurorakit.webhook.receiver")
Decoder = Callable[[bytes], Mapping[str, Any]]
RequestDecoder = Callable[[bytes, Mapping[str, str]], Mapping[str, Any]]
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
_RECORDED = frozenset({400, 401, 405, 408, 411, 413, 431, 501})  # refusals kept in the store


class ReceiverConfigError(AurorakitError):
    """A receiver that must not start as configured."""


@dataclass(frozen=True)
class RequestLog:
    """What happened to one request (or connection), for the one log line it gets."""

    at: float  # wall clock
    status: int | None  # None: nothing was answered
    outcome: str  # "stored", "duplicate", "rejected", "unavailable", "error", "dropped"
    remote: str
    size: int | None
    latency: float | None  # seconds from the complete head to the answer
    task_id: str | None = None
    new_status: str | None = None
    webhook_id: str | None = None
    reason: str | None = None

    def line(self) -> str:
        when = datetime.fromtimestamp(self.at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        parts = [when, str(self.status) if self.status is not None else "---", self.outcome]
        if self.task_id or self.new_status:
            parts.append(f"{self.task_id or '-'} {self.new_status or '-'}")
        if self.size is not None:
            parts.append(f"{self.size}B")
        if self.latency is not None:
            parts.append(f"{self.latency * 1000:.1f}ms")
        if self.webhook_id:
            parts.append(f"id={self.webhook_id}")
        parts.append(f"from {self.remote}")
        if self.reason:
            parts.append(f"({self.reason})")
        return "  ".join(parts)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class WebhookReceiver:
    """A webhook receiving server; ``start()`` runs it in a background thread.

    Binding an address other than loopback without a ``secret`` is refused
    unless ``allow_unsigned`` is given (then it is logged as a warning): anyone
    who can reach the port could store events.
    """

    def __init__(self, store: ReceiverStore, *, host: str = "127.0.0.1", port: int = 0,
                 secret: str | bytes | None = None, decode: Decoder | None = None,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, tolerance_sec: float = 300.0,
                 decode_request: RequestDecoder | None = None, limits: Limits | None = None,
                 allow_unsigned: bool = False, on_request: Callable[[RequestLog], None] | None = None) -> None:
        if decode is not None and decode_request is not None:
            raise FieldError("WebhookReceiver", "give decode or decode_request, not both")
        self.store = store
        self.key = None if secret is None else decode_secret(secret)
        if self.key is None and not is_loopback(host):
            if not allow_unsigned:
                raise ReceiverConfigError(f"refusing to listen on {host} without a signing secret: anyone who can "
                                          f"reach it could store events (give a signing secret, or allow "
                                          f"unsigned requests: receive --allow-unsigned)")
            log.warning("listening on %s without a signing secret: any client that can reach it can store events",
                        host)
        self.decode = decode
        self.decode_request = decode_request
        self.limits = limits if limits is not None else Limits(max_body_bytes=max_body_bytes)
        self.tolerance_sec = tolerance_sec
        self.on_request = on_request
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host.strip("[]"), port), family=family, backlog=1024)
        self._server = HttpServer(sock, self.limits, self._handle, self._refused)
        self._address = sock.getsockname()
        self._started = False

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
        return int(self._address[1])

    @property
    def url(self) -> str:
        host = str(self._address[0])
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}/"

    def start(self) -> WebhookReceiver:
        self._server.start()
        self._started = True
        return self

    def serve_forever(self) -> None:
        """Serve until :meth:`stop` (from another thread) or Ctrl-C."""
        if not self._started:
            self.start()
        while not self._server.wait(0.5):
            pass

    def stop(self) -> None:
        """Stop listening and cut the connections clients keep open."""
        self._server.stop()
        self._started = False

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- requests (worker threads) -----------------------------------------------------

    def _handle(self, request: Incoming) -> Answer:
        try:
            found = webhook_headers(request.headers)
        except RepeatedHeaderError as err:
            return self._refuse(request, 400, str(err), None)
        webhook_id = found.get(WEBHOOK_ID)
        if self.key is not None:
            try:
                verify(self.key, found, request.body, tolerance_sec=self.tolerance_sec)
            except SignatureError as err:
                return self._refuse(request, 401, f"signature refused: {err}", webhook_id)
        headers = dict(request.headers)
        try:
            if webhook_id is not None and self.store.has(webhook_id):
                self._log(request, 200, "duplicate", webhook_id)
                return Answer(200, {"stored": False, "duplicate": True})
        except sqlite3.Error as err:
            return self._unavailable(request, f"{self.store.path}: cannot read the store: {err}", webhook_id)
        except StoreWriteError as err:  # a PostgreSQL store that cannot be read (runtime/relay/pg_store.py)
            return self._unavailable(request, str(err), webhook_id)
        summary: Mapping[str, Any] | None = None
        decoder = self.request_decoder()
        if decoder is not None:
            try:
                summary = decoder(request.body, headers)
            except ValueError as exc:
                # The payload layer's PayloadError carries .message and .path.
                path = getattr(exc, "path", None)
                message = str(getattr(exc, "message", None) or exc)
                reason = f"{path}: {message}" if path else message
                return self._refuse(request, 400, reason, webhook_id,
                                    {"error": message, "path": str(path) if path else None})
            except Exception:
                log.exception("webhook decoder failed")
                self._log(request, 500, "error", webhook_id, reason="decoder failed")
                return Answer(500, {"error": "decoder failed"})
        try:
            seq = self.store.add(webhook_id=webhook_id, path=request.path, remote=request.remote,
                                 headers=redact_headers(headers), body=request.body, summary=summary,
                                 received_at=request.received_at)
        except StoreWriteError as err:
            return self._unavailable(request, str(err), webhook_id, summary)
        self._log(request, 200, "stored" if seq is not None else "duplicate", webhook_id, summary)
        return Answer(200, {"stored": seq is not None, "duplicate": seq is None})

    def _refuse(self, request: Incoming, status: int, reason: str, webhook_id: str | None,
                payload: Mapping[str, Any] | None = None) -> Answer:
        self._record(Refusal(status, reason, request.remote, request.method, request.path, request.headers,
                             len(request.body), request.started), webhook_id)
        self._log(request, status, "rejected", webhook_id, reason=reason)
        return Answer(status, payload if payload is not None else {"error": reason})

    def _unavailable(self, request: Incoming, reason: str, webhook_id: str | None,
                     summary: Mapping[str, Any] | None = None) -> Answer:
        self._log(request, 503, "unavailable", webhook_id, summary, reason)
        return Answer(503, {"error": f"cannot store now: {reason}"}, (("retry-after", "5"),))

    def _refused(self, refusal: Refusal) -> None:
        """A refusal (or a lost connection) from the HTTP side."""
        try:
            webhook_id = webhook_headers(refusal.headers).get(WEBHOOK_ID)
        except RepeatedHeaderError:
            webhook_id = None
        if refusal.status is not None:
            self._record(refusal, webhook_id)
        latency = (time.monotonic() - refusal.started) if refusal.started else None
        self._emit(RequestLog(time.time(), refusal.status, "rejected" if refusal.status else "dropped", refusal.remote,
                              refusal.size, latency, webhook_id=webhook_id, reason=refusal.reason))

    def _record(self, refusal: Refusal, webhook_id: str | None) -> None:
        if refusal.status not in _RECORDED or (refusal.status == 408 and not refusal.method):
            return  # a head that never came is a slow client, not a request: the log line is enough
        try:
            self.store.add_rejected(status=refusal.status, reason=refusal.reason, method=refusal.method,
                                    path=refusal.path, remote=refusal.remote, webhook_id=webhook_id,
                                    size=refusal.size, headers=redact_headers(dict(refusal.headers)))
        except StoreWriteError as err:
            log.warning("%s", err)

    def _log(self, request: Incoming, status: int, outcome: str, webhook_id: str | None,
             summary: Mapping[str, Any] | None = None, reason: str | None = None) -> None:
        task_id = summary.get("taskId") if summary else None
        new_status = summary.get("status") if summary else None
        self._emit(RequestLog(time.time(), status, outcome, request.remote, len(request.body),
                              time.monotonic() - request.started,
                              task_id=str(task_id) if task_id is not None else None,
                              new_status=str(new_status) if new_status is not None else None,
                              webhook_id=webhook_id, reason=reason))

    def _emit(self, entry: RequestLog) -> None:
        try:
            if self.on_request is not None:
                self.on_request(entry)
            elif log.isEnabledFor(logging.INFO):
                log.info("%s", entry.line())
        except Exception:  # a broken log sink must not fail the request
            log.exception("webhook receiver: request log failed")


def serve(port: int, store: ReceiverStore | str | Path, *, host: str = "127.0.0.1",
          secret: str | bytes | None = None, decode: Decoder | None = None,
          max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
          on_ready: Callable[[WebhookReceiver], None] | None = None,
          decode_request: RequestDecoder | None = None, limits: Limits | None = None,
          allow_unsigned: bool = False, on_request: Callable[[RequestLog], None] | None = None) -> None:
    """Receive webhooks until interrupted (Ctrl-C); for the ``aurorakit receive`` CLI."""
    owned = not isinstance(store, ReceiverStore)
    the_store = store if isinstance(store, ReceiverStore) else ReceiverStore(store)
    try:
        receiver = WebhookReceiver(the_store, host=host, port=port, secret=secret, decode=decode,
                                   decode_request=decode_request, max_body_bytes=max_body_bytes, limits=limits,
                                   allow_unsigned=allow_unsigned, on_request=on_request)
    except BaseException:
        if owned:
            the_store.close()
        raise
    try:
        receiver.start()
        if on_ready is not None:
            on_ready(receiver)
        receiver.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()
        if owned:
            the_store.close()
