"""Realistic Aurora jobs for the simulator: who runs what, with which resources.

A :class:`JobSpec` is one job as a user would have written it in an
``.aurora`` file and the client would have turned into a ``TaskConfig``:
role and environment, a job name in Aurora's alphabet (ASCII letters, digits,
``_``, ``.``, ``-``; the scheduler refuses anything else), metadata with
non-ASCII text (some outside ISO-8859-1 and outside the BMP, so the older
releases' wire rules have something to mangle), executor data in the JSON form the Aurora client sends (as in the
documented example), ``NUM_CPUS``/``RAM_MB``/``DISK_MB``/``NAMED_PORT``
resources, constraints, metadata and task links.

:func:`make_task_config` builds the job's ``TaskConfig`` for whichever
generated models are in use: the fields of Aurora 0.14 (``numCpus``,
``requestedPorts``, ...) and of 0.22 (``mesosFetcherUris``, ...) differ, so
only the fields the models declare are filled in.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Collection
from dataclasses import dataclass
from types import ModuleType
from typing import Any

ROLES = ("www-data", "search", "ads", "payments", "ml", "vagrant", "data-eng", "infra")
ENVIRONMENTS = ("prod", "staging", "devel", "test")
SERVICE_NAMES = ("http_example", "frontend", "api_gateway", "indexer", "nandu-cache", "koeln.feed",
                 "session-store", "tokyo-search", "hello_world", "senal_api", "api.v2")
BATCH_NAMES = ("batch-etl", "nightly_report", "reindex", "creme.export", "backfill", "model-train")
TEAMS = ("ñandú", "köln-feed", "東京-search", "crème")  # metadata values: Latin-1, and beyond it
CPUS = (0.1, 0.25, 0.3, 0.5, 1.0, 2.0, 4.0)
RAM_MB = (16, 128, 256, 512, 1024, 2048, 4096)
DISK_MB = (8, 64, 128, 256, 1024, 4096)
EXTRA_PORTS = ("admin", "health", "thrift", "tcp")


@dataclass(frozen=True)
class JobSpec:
    """One job, independent of the models it is written with."""

    role: str
    environment: str
    name: str
    cluster: str
    is_service: bool
    production: bool
    tier: str | None
    priority: int
    max_task_failures: int
    cpus: float
    ram_mb: int
    disk_mb: int
    ports: tuple[str, ...]  # named ports, in the order the config asks for them
    constraints: tuple[tuple[str, Any], ...]  # (name, n: a limit) or (name, (negated, values))
    metadata: tuple[tuple[str, str], ...]
    executor_data: str
    docker_image: str | None  # a Docker container instead of the Mesos one
    fetch_uris: tuple[str, ...]
    crash_loops: bool = False  # its tasks mostly fail soon after starting (flapping, THROTTLED)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.role, self.environment, self.name)

    @property
    def path(self) -> str:
        return f"{self.role}/{self.environment}/{self.name}"


def random_job(rng: random.Random, cluster: str = "dc1",
               taken: Collection[tuple[str, str, str]] = ()) -> JobSpec:
    """A job of ``cluster`` whose key is not in ``taken`` (the jobs alive at the same time)."""
    role = rng.choice(ROLES)
    environment = rng.choice(ENVIRONMENTS)
    is_service = rng.random() < 0.75
    name = rng.choice(SERVICE_NAMES if is_service else BATCH_NAMES)
    base, number = name, 1
    while (role, environment, name) in taken:
        number += 1
        name = f"{base}-{number}"
    production = environment == "prod"
    ports: tuple[str, ...] = ()
    if is_service:
        ports = ("http",) + tuple(p for p in EXTRA_PORTS if rng.random() < 0.3)
    elif rng.random() < 0.2:
        ports = ("metrics",)
    cpus, ram, disk = rng.choice(CPUS), rng.choice(RAM_MB), rng.choice(DISK_MB)
    spec = JobSpec(
        role=role, environment=environment, name=name, cluster=cluster,
        is_service=is_service, production=production,
        tier="preferred" if production else rng.choice((None, "preferred", "revocable")),
        priority=rng.choice((0, 0, 0, 10)) if production else 0,
        max_task_failures=1 if is_service else rng.choice((1, 3, 5, -1)),
        cpus=cpus, ram_mb=ram, disk_mb=disk, ports=ports,
        constraints=_constraints(rng, role, name),
        metadata=_metadata(rng),
        executor_data="",  # filled in below, from the rest of the spec
        docker_image=f"registry.example.com/{role}/{base}:{rng.randint(1, 40)}" if rng.random() < 0.1 else None,
        fetch_uris=(f"https://artifacts.example.com/{role}/{base}.tar.gz",) if rng.random() < 0.3 else (),
        crash_loops=rng.random() < 0.1,
    )
    return dataclasses.replace(spec, executor_data=executor_data(spec, rng))


def _constraints(rng: random.Random, role: str, name: str) -> tuple[tuple[str, Any], ...]:
    found: list[tuple[str, Any]] = []
    if rng.random() < 0.5:
        found.append(("host", 1))  # a limit of one instance per agent: Aurora's classic
    if rng.random() < 0.3:
        racks = rng.sample(("r1", "r2", "r3", "r4"), rng.randint(1, 3))
        found.append(("rack", (False, tuple(racks))))
    if rng.random() < 0.1:
        found.append(("dedicated", (False, (f"{role}/{name}",))))
    return tuple(found)


def _metadata(rng: random.Random) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    if rng.random() < 0.6:
        found.append(("build", str(rng.randint(100, 9999))))
    if rng.random() < 0.5:
        found.append(("sha", f"{rng.getrandbits(128):032x}"))
    if rng.random() < 0.3:
        found.append(("team", rng.choice(TEAMS)))
    if rng.random() < 0.15:
        # A character outside the BMP: two UTF-16 units for String.hashCode and the wire rules.
        found.append(("release-note", rng.choice(("🚀 launch", "fix <cache> & retry", "naïve 'quote' = ok"))))
    return tuple(found)


def executor_data(spec: JobSpec, rng: random.Random) -> str:
    """The Thermos config the Aurora client puts in ``ExecutorConfig.data`` (Python's json.dumps)."""
    processes = [{"daemon": False, "name": "fetch", "ephemeral": False, "max_failures": 1, "min_duration": 5,
                  "cmdline": f"curl -sSf https://artifacts.example.com/{spec.role}/{spec.name}.tar.gz | tar xz",
                  "final": False}]
    port_flags = " ".join(f"--{p}={{{{thermos.ports[{p}]}}}}" for p in spec.ports)
    processes.append({"daemon": False, "name": "run", "ephemeral": False, "max_failures": 1, "min_duration": 5,
                      "cmdline": f"./{spec.name} {port_flags} --env={spec.environment} && echo 'done' <ok>".strip(),
                      "final": False})
    health: dict[str, Any] = {}
    if spec.is_service:
        health = {"health_check_config": {
            "initial_interval_secs": float(rng.choice((5, 15, 30))),
            "health_checker": {"http": {"expected_response_code": 200, "endpoint": "/health",
                                        "expected_response": "ok"}},
            "max_consecutive_failures": rng.choice((0, 3)), "timeout_secs": 1.0, "interval_secs": 10.0}}
    data: dict[str, Any] = {"environment": spec.environment, **health, "name": spec.name,
                            "service": spec.is_service, "max_task_failures": spec.max_task_failures,
                            "cron_collision_policy": "KILL_EXISTING", "enable_hooks": False,
                            "cluster": spec.cluster,
                            "task": {"processes": processes, "name": spec.name, "finalization_wait": 30,
                                     "max_failures": 1, "max_concurrency": 0,
                                     "resources": {"disk": spec.disk_mb * 1048576, "ram": spec.ram_mb * 1048576,
                                                   "cpu": spec.cpus},
                                     "constraints": [{"order": [p["name"] for p in processes]}]},
                            "production": spec.production, "role": spec.role,
                            "contact": f"{spec.role}@example.com"}
    if spec.ports:
        data["announce"] = {"primary_port": spec.ports[0], "portmap": {"aurora": spec.ports[0]}}
    data["priority"] = spec.priority
    # ensure_ascii (the default), as the Aurora client wrote it.
    return json.dumps(data)


def make_task_config(spec: JobSpec, models: ModuleType) -> Any:
    """The job's TaskConfig in ``models``; build it under the right identity table (sets hash on build)."""
    m = models
    declared = {field.attr for field in m.TaskConfig._fields}
    resources = [m.Resource(numCpus=spec.cpus), m.Resource(ramMb=spec.ram_mb), m.Resource(diskMb=spec.disk_mb)]
    resources += [m.Resource(namedPort=port) for port in spec.ports]
    links = {}
    if "http" in spec.ports:
        links["http"] = "http://%host%:%port:http%"
    if "admin" in spec.ports:
        links["admin"] = "http://%host%:%port:admin%/vars"
    if spec.docker_image is not None:
        container = m.Container(docker=m.DockerContainer(
            image=spec.docker_image, parameters=[m.DockerParameter(name="label", value=f"role={spec.role}")]))
    else:
        container = m.Container(mesos=m.MesosContainer())
    fields: dict[str, Any] = {
        "job": m.JobKey(role=spec.role, environment=spec.environment, name=spec.name),
        "owner": m.Identity(user=spec.role),
        "isService": spec.is_service,
        "numCpus": spec.cpus, "ramMb": spec.ram_mb, "diskMb": spec.disk_mb,  # 0.14's scalar resources
        "priority": spec.priority,
        "maxTaskFailures": spec.max_task_failures,
        "production": spec.production,
        "tier": spec.tier,
        "resources": resources,
        "constraints": [_constraint(m, name, rule) for name, rule in spec.constraints],
        "requestedPorts": list(spec.ports),  # 0.14; 0.22 names its ports in resources only
        "mesosFetcherUris": [m.MesosFetcherURI(value=uri, extract=True, cache=False) for uri in spec.fetch_uris]
        if hasattr(m, "MesosFetcherURI") else [],
        "taskLinks": links,
        "contactEmail": f"{spec.role}@example.com",
        "executorConfig": m.ExecutorConfig(name="AuroraExecutor", data=spec.executor_data),
        "metadata": [m.Metadata(key=key, value=value) for key, value in spec.metadata],
        "container": container,
    }
    return m.TaskConfig(**{name: value for name, value in fields.items() if name in declared})


def _constraint(m: ModuleType, name: str, rule: Any) -> Any:
    if isinstance(rule, int):
        return m.Constraint(name=name, constraint=m.TaskConstraint(limit=m.LimitConstraint(limit=rule)))
    negated, values = rule
    return m.Constraint(name=name, constraint=m.TaskConstraint(value=m.ValueConstraint(negated=negated,
                                                                                        values=values)))
