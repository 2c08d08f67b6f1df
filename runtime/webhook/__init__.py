"""Aurora's task state change webhook: config, delivery (Aurora-exact or
reliable), Standard Webhooks signing, and a receiver.

Modules: ``config`` (webhook.json), ``spool`` (SQLite outbox), ``signing``,
``sender`` (``ReliableSender``), ``aurora_delivery``
(``AuroraSender``: each release's client, with ``aurora_clients`` and ``aurora_http``), ``receiver``
(``WebhookReceiver``, ``ReceiverStore``, ``serve``), ``payloads`` (events and
captured payloads into deliveries, bodies back into events), ``simulate``
(``Simulator``: a simulated scheduler's events; with ``simulate_lifecycle``
(Aurora's lifecycle rules as facts), ``simulate_rules`` (the simulator's
choices), ``simulate_jobs`` and ``simulate_state``) and ``cli``
(``aurorakit receive``, ``send``, ``simulate``).
"""

from .config import (AURORA_0_22_STATUSES, RetryPolicy, WebhookConfig, WebhookConfigError,
                     describe_keys, load_config, parse_config)
from .outgoing import OutgoingEvent, event_id_for, new_event_id
from .receiver import ReceiverStore, StoredDelivery, WebhookReceiver, serve
from .aurora_delivery import AuroraSender
from .sender import ReliableSender, SenderClosedError, SubmitQueueFullError, make_sender
from .signing import SignatureError, sign, signature_headers, verify
from .spool import Spool, SpoolBusyError, SpoolError, SpoolWriteError

__all__ = [
    "AURORA_0_22_STATUSES", "AuroraSender", "OutgoingEvent", "ReceiverStore", "ReliableSender",
    "RetryPolicy", "SenderClosedError", "SignatureError", "Spool", "SpoolBusyError", "SpoolError",
    "SpoolWriteError", "StoredDelivery",
    "SubmitQueueFullError", "WebhookConfig", "WebhookConfigError", "WebhookReceiver",
    "describe_keys", "event_id_for", "load_config", "make_sender", "new_event_id", "parse_config", "serve",
    "sign", "signature_headers", "verify",
]
