"""Aurora's task state change webhook: config, delivery (Aurora-exact or
reliable), Standard Webhooks signing, and a receiver.

Modules: ``webhook_json`` (webhook.json as each release read it), ``settings``
(aurorakit's own settings: flags, ``AURORAKIT_*``, a settings file), ``config`` (the two joined),
``check_config`` (``aurorakit check-config``), ``spool`` (SQLite outbox), ``signing``,
``sender`` (``ReliableSender``), ``aurora_delivery``
(``AuroraSender``: each release's client, with ``aurora_clients`` and ``aurora_http``),
``delivery_run`` (one run of either sender, as ``send`` and ``simulate`` use it),
``receiver`` (``WebhookReceiver``, ``ReceiverStore``, ``serve``), ``payloads`` (events and
captured payloads into deliveries, bodies back into events). The simulator is
``aurorakit.runtime.simulate``; the commands are in ``aurorakit.runtime.cli``.
"""

from .aurora_delivery import AuroraSender
from .check_config import CheckReport, check_config
from .config import AURORA_0_22_STATUSES, RetryPolicy, WebhookConfig, load_config, parse_config
from .outgoing import OutgoingEvent, event_id_for, new_event_id
from .receiver import ReceiverStore, StoredDelivery, WebhookReceiver, serve
from .sender import ReliableSender, SenderClosedError, SubmitQueueFullError, make_sender
from .settings import Settings, SettingsError, settings_from_dict
from .signing import SignatureError, sign, signature_headers, verify
from .spool import Spool, SpoolBusyError, SpoolError, SpoolWriteError
from .webhook_json import AuroraConfig, WebhookConfigError, describe_keys, read_aurora_config

__all__ = [
    "AURORA_0_22_STATUSES", "AuroraConfig", "AuroraSender", "CheckReport", "OutgoingEvent",
    "ReceiverStore", "ReliableSender", "RetryPolicy", "SenderClosedError", "Settings",
    "SettingsError", "SignatureError", "Spool", "SpoolBusyError", "SpoolError", "SpoolWriteError",
    "StoredDelivery", "SubmitQueueFullError", "WebhookConfig", "WebhookConfigError", "WebhookReceiver",
    "check_config", "describe_keys", "event_id_for", "load_config", "make_sender", "new_event_id",
    "parse_config", "read_aurora_config", "serve", "settings_from_dict", "sign", "signature_headers",
    "verify",
]
