"""``aurorakit relay``: an endpoint Aurora's scheduler posts to, making its fire-and-forget webhook durable.

Each POST (the receiver's h11 server: same framing and limits) is:

1. decoded with the release's models; a payload that does not decode is kept
   in the dead-letter record with its reason and answered 400, which Aurora
   counts in ``webhooks_user_errors``;
2. refused with 503 and ``Retry-After`` when some sink already has
   ``max_pending`` accepted events it has not finished (the documented bound
   on what the relay holds for a sink that is down);
3. given a stable id derived from the event: ``evt_`` and the first 32 hex
   digits of SHA-256 over the cluster name, the release and the body bytes,
   NUL-separated (the same post, resent by Aurora's HTTP client, gets the same
   id and is recorded once; two clusters' identical bodies do not collide);
4. committed to the SQLite outbox, then answered 200; sink workers forward it
   from there (runtime/relay/sinks.py).

Who may post: with ``auth_token``, only requests carrying ``Authorization:
Bearer <token>`` (Aurora's ``webhook.json`` ``headers`` can send it; others
get 401). Aurora does not sign its posts, so a relay on an address other than
loopback without a token would take events from anyone who can reach it: that
is refused unless ``allow_unauthenticated`` says the network is trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import socket
from collections.abc import Sequence
from types import ModuleType

from ..aurora.event import decode_event
from ..aurora.profiles import Profile
from ..errors import AurorakitError
from ..webhook.payloads import body_text, header
from ..webhook.receiver_framing import Answer, Incoming, Limits, Refusal
from .outbox import Outbox, OutboxWriteError, RelayedEvent
from .sinks import Sink, SinkWorker, subject_for

log = logging.getLogger("aurorakit.relay")
DEFAULT_MAX_PENDING = 100_000


def relay_event_id(cluster: str, release: str, body: bytes) -> str:
    """The id of an event the relay received, from its scheduler cluster, release and body: ``evt_`` + 32 hex digits.

    The same request re-sent by the scheduler gets the same id, so sinks and
    consumers drop the repeat. Unlike the webhook's ``msg_`` ids
    (:func:`~aurorakit.runtime.webhook.outgoing.webhook_message_id`, made by a
    sender for one release) it includes the cluster: relays of several clusters
    share the sinks, and two clusters' identical bodies are different events.
    """
    return "evt_" + hashlib.sha256(b"\0".join((cluster.encode(), release.encode(), body))).hexdigest()[:32]


class RelayDecodeError(AurorakitError, ValueError):
    pass


class RelayConfigError(AurorakitError, ValueError):
    """A relay that must not start as asked (an open address without a token)."""


def describe(body: bytes, content_type: str | None, profile: Profile, models: ModuleType,
             cluster: str) -> tuple[str, str, str | None, str]:
    """(subject, task id, old status, new status) of one payload; RelayDecodeError naming the JSON path."""
    try:
        event = decode_event(body_text(body, profile, content_type), models)
    except AurorakitError as err:
        path = getattr(err, "path", None)
        message = str(getattr(err, "message", None) or err)
        raise RelayDecodeError(f"{path}: {message}" if path else message) from None
    assigned = event.task.assignedTask
    config = assigned.task if assigned is not None else None
    job = config.job if config is not None else None
    if assigned is None or not assigned.taskId or job is None or event.new_state is None:
        raise RelayDecodeError("task.assignedTask: a task id, its job key and the new status are needed to relay")
    subject = subject_for(cluster, job.role or "", job.environment or "", job.name or "")
    old = None if event.old_state is None else event.old_state.name
    return subject, str(assigned.taskId), old, event.new_state.name


def check_exposure(host: str, auth_token: str | None, allow_unauthenticated: bool) -> None:
    """RelayConfigError for a relay anyone could post to: not loopback, no token, not explicitly allowed."""
    if auth_token is not None and not auth_token:
        raise RelayConfigError("auth token: must not be empty")
    from ..webhook.receiver import is_loopback  # the server's modules (h11) load when a relay starts
    if auth_token is None and not allow_unauthenticated and not is_loopback(host):
        raise RelayConfigError(
            f"--host {host}: not a loopback address, and Aurora does not sign its posts: anyone who can reach "
            f"it could post events; give --auth-token-file FILE (and send \"Authorization\": \"Bearer "
            f"<token>\" in webhook.json's headers) or --allow-unauthenticated on a trusted network")


class Relay:
    """The relay's endpoint and its sink workers; ``start()`` runs them in background threads."""

    def __init__(self, outbox: Outbox, profile: Profile, models: ModuleType, sinks: Sequence[Sink], *,
                 host: str = "127.0.0.1", port: int = 0, cluster: str = "default",
                 max_pending: int = DEFAULT_MAX_PENDING, limits: Limits | None = None,
                 auth_token: str | None = None, allow_unauthenticated: bool = False) -> None:
        check_exposure(host, auth_token, allow_unauthenticated)
        self._authorization = None if auth_token is None else f"Bearer {auth_token}".encode()
        self.outbox = outbox
        self.profile = profile
        self.models = models
        self.cluster = cluster
        self.max_pending = max_pending
        self.workers = [SinkWorker(outbox, sink) for sink in sinks]
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host.strip("[]"), port), family=family, backlog=1024)
        self._address = sock.getsockname()
        from ..webhook.receiver_http import HttpServer  # not at import: `relay --help` needs no h11
        self._server = HttpServer(sock, limits or Limits(), self._handle, self._refused)
        self.accepted = 0

    @property
    def url(self) -> str:
        return f"http://{self._address[0]}:{self._address[1]}/"

    def start(self) -> Relay:
        for worker in self.workers:
            worker.start()
        self._server.start()
        return self

    def serve_forever(self) -> None:
        while not self._server.wait(0.5):
            pass

    def stop(self) -> None:
        self._server.stop()
        for worker in self.workers:
            worker.stop()

    def _handle(self, request: Incoming) -> Answer:
        if self._authorization is not None and not self._authorized(request):
            log.info("relay: 401 from %s", request.remote)
            return Answer(401, {"error": "missing or wrong Authorization header"},
                          (("www-authenticate", 'Bearer realm="aurorakit relay"'),))
        content_type = header(dict(request.headers), "Content-Type")
        try:
            subject, task_id, old, new = describe(request.body, content_type, self.profile, self.models, self.cluster)
        except RelayDecodeError as err:
            try:
                self.outbox.add_dead(reason=str(err), body=request.body)
            except OutboxWriteError as write_err:
                return _unavailable(str(write_err))
            log.info("relay: 400 %s from %s", err, request.remote)
            return Answer(400, {"error": str(err)})
        backlog = self.outbox.pending()
        full = [name for name, count in backlog.items() if count >= self.max_pending]
        if full:
            return _unavailable(f"{', '.join(full)}: {self.max_pending} events not yet forwarded")
        event = RelayedEvent(seq=0, event_id=relay_event_id(self.cluster, self.profile.version, request.body),
                             received_at=request.received_at, release=self.profile.version, subject=subject,
                             task_id=task_id, old_status=old, new_status=new, content_type=content_type,
                             body=request.body)
        try:
            seq = self.outbox.add(event)
        except OutboxWriteError as err:
            return _unavailable(str(err))
        self.accepted += seq is not None
        return Answer(200, {"id": event.event_id, "duplicate": seq is None})

    def _authorized(self, request: Incoming) -> bool:
        given = [value for name, value in request.headers if name.lower() == "authorization"]
        assert self._authorization is not None
        return len(given) == 1 and hmac.compare_digest(given[0].encode("utf-8", "replace"), self._authorization)

    def _refused(self, refusal: Refusal) -> None:
        if refusal.status is not None:
            log.info("relay: %s %s from %s", refusal.status, refusal.reason, refusal.remote)


def _unavailable(reason: str) -> Answer:
    return Answer(503, {"error": f"cannot accept now: {reason}"}, (("retry-after", "5"),))

