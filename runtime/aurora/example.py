"""The example payload of Aurora's webhook documentation, built from typed objects.

The document (``webhooks.md``, first form in ``../shared/seed``) shows one
event of Aurora 0.14/0.15: a PENDING task at scheduler startup (``oldState``
absent) whose TaskConfig had been hashed. Its union hashes give the identity
hashes of the arms it uses; :data:`DOCUMENT_UNIONS` records those numbers,
and :func:`documented_identity` calibrates a table from them (or from any
document or payload file given).
"""

from __future__ import annotations

from typing import Any

from ..codec import decode
from ..identity import IdentityTable, use_identity
from .event import TaskStateChange
from .releases import models_for
from .verify import calibrate

# The executor's data string exactly as the document prints it (it was edited
# after capture, so its hash no longer matches ExecutorConfig's recorded one).
EXECUTOR_DATA = (
    '{"environment": "test", "health_check_config": {"initial_interval_secs": 5.0, "health_chec'
    'ker": { "http": {"expected_response_code": 0, "endpoint": "/health", "expected_response": '
    '"ok"}}, "max_consecutive_failures": 0, "timeout_secs": 1.0, "interval_secs": 1.0}, "name":'
    ' "http_example", "service": true, "max_task_failures": 1, "cron_collision_policy": "KILL_E'
    'XISTING", "enable_hooks": false, "cluster": "devcluster", "task": {"processes": [{"daemon"'
    ': false, "name": "echo_ports", "ephemeral": false, "max_failures": 1, "min_duration": 5, "'
    'cmdline": "echo \\"tcp port: {{thermos.ports[tcp]}}; http port: {{thermos.ports[http]}}; al'
    'ias: {{thermos.ports[alias]}}\\"", "final": false}, {"daemon": false, "name": "stage_server'
    '", "ephemeral": false, "max_failures": 1, "min_duration": 5, "cmdline": "cp /vagrant/src/t'
    'est/sh/org/apache/aurora/e2e/http_example.py .", "final": false}, {"daemon": false, "name"'
    ': "run_server", "ephemeral": false, "max_failures": 1, "min_duration": 5, "cmdline": "pyth'
    'on http_example.py {{thermos.ports[http]}}", "final": false}], "name": "http_example", "fi'
    'nalization_wait": 30, "max_failures": 1, "max_concurrency": 0, "resources": {"disk": 83886'
    '08, "ram": 16777216, "cpu": 0.1}, "constraints": [{"order": ["echo_ports", "stage_server",'
    ' "run_server"]}]}, "production": false, "role": "vagrant", "contact": "vagrant@localhost",'
    ' "announce": {"primary_port": "http", "portmap": {"alias": "http"}}, "lifecycle": {"http":'
    ' {"graceful_shutdown_endpoint": "/quitquitquit", "port": "health", "shutdown_endpoint": "/'
    'abortabortabort"}}, "priority": 0}'
)

# The unions of the document's TaskConfig as recorded: (JSON, a fact of the capture).
DOCUMENT_UNIONS = (
    ("Resource", '{"cachedHashCode":729800451,"setField":"NUM_CPUS","value":0.1}'),
    ("Resource", '{"cachedHashCode":552899914,"setField":"RAM_MB","value":16}'),
    ("Resource", '{"cachedHashCode":-1547868317,"setField":"DISK_MB","value":8}'),
    ("Resource", '{"cachedHashCode":1957328227,"setField":"NAMED_PORT","value":"http"}'),
    ("Resource", '{"cachedHashCode":1954229436,"setField":"NAMED_PORT","value":"tcp"}'),
    ("Container", '{"cachedHashCode":-1955376216,"setField":"MESOS","value":{"cachedHashCode":31}}'),
)


def documented_identity() -> IdentityTable:
    """Identity hashes of the document's union arms, solved from their recorded hashes."""
    from aurorakit.generated import aurora_0_14 as models

    unions = [decode(getattr(models, type_name), text) for type_name, text in DOCUMENT_UNIONS]
    return calibrate(unions).table


def documented_example(identity: IdentityTable | None = None, release: str = "0.14") -> TaskStateChange[Any]:
    """The document's event, built from typed objects and hashed as the scheduler had (TaskConfig).

    The document shows Aurora 0.14; another ``release`` builds the same task
    with that release's models and writes its Optional form: TaskConfig
    fields the release does not have (``numCpus``, ``ramMb``, ``diskMb``,
    ``requestedPorts`` from 0.20) are left out, fields it added keep their
    defaults.
    """
    m = models_for(release)

    table = identity if identity is not None else documented_identity()
    with use_identity(table):  # building the resources set hashes its elements
        config = _made(
            m.TaskConfig,
            job=m.JobKey(role="vagrant", environment="test", name="http_example"),
            owner=m.Identity(user="vagrant"),
            isService=True,
            numCpus=0.1,
            ramMb=16,
            diskMb=8,
            priority=0,
            maxTaskFailures=1,
            production=False,
            resources=[m.Resource(numCpus=0.1), m.Resource(ramMb=16), m.Resource(diskMb=8),
                       m.Resource(namedPort="http"), m.Resource(namedPort="tcp")],
            requestedPorts=["http", "tcp"],
            taskLinks={"http": "http://%host%:%port:http%"},
            contactEmail="vagrant@localhost",
            executorConfig=m.ExecutorConfig(name="AuroraExecutor", data=EXECUTOR_DATA),
            container=m.Container(mesos=m.MesosContainer()),
        )
        task = m.ScheduledTask(
            assignedTask=m.AssignedTask(
                taskId="vagrant-test-http_example-8-a6cf7ec5-d793-49c7-b10f-0e14ab80bfff",
                task=config,
                instanceId=8,
            ),
            status=m.ScheduleStatus.PENDING,
            failureCount=0,
            taskEvents=[m.TaskEvent(timestamp=1464992060258, status=m.ScheduleStatus.PENDING, scheduler="aurora")],
        )
    return TaskStateChange(task, None, hashed="taskconfig", identity=table, release=release)


def _made(cls: Any, **fields: Any) -> Any:
    """``cls(**fields)`` with only the fields ``cls`` has."""
    known = {spec.attr for spec in cls._fields}
    return cls(**{name: value for name, value in fields.items() if name in known})


def calibrated_from(events: list[Any]) -> IdentityTable:
    """An identity table calibrated from decoded events (e.g. a document's payload)."""
    return calibrate([event.task for event in events]).table
