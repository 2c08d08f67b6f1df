"""Aurora's task state change webhook: config, delivery (Aurora-exact or
reliable), Standard Webhooks signing, and a receiver.

Modules: ``config`` (webhook.json as each release read it), ``settings``
(aurorakit's own settings: flags, ``AURORAKIT_*``, a settings file),
``check_config`` (``aurorakit check-config``), ``spool`` (SQLite outbox), ``signing``,
``sender`` (``ReliableSender``), ``aurora_delivery``
(``AuroraSender``: each release's client, with ``aurora_clients`` and ``aurora_http``),
``delivery_run`` (one run of either sender, as ``send`` and ``simulate`` use it),
``receiver`` (``WebhookReceiver``, ``ReceiverStore``, ``serve``), ``payloads`` (events and
captured payloads into deliveries, bodies back into events). The simulator is
``aurorakit.runtime.simulate``; the commands are in ``aurorakit.runtime.cli``.
"""

# Nothing is imported here: import the module you use (``from aurorakit.runtime.webhook.sender import
# ReliableSender``), so that a command loads requests, h11 and the rest only when it sends or receives.
