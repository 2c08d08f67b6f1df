"""The relay figure for the suite, from benchmarks/bench_relay.py (owned by the relay work).

bench_relay's own ``run(quick)`` is used when it has one; until then this
starts nats-server (JetStream, a temporary folder, a free port on 127.0.0.1)
and calls its ``run_receiver`` and ``run_relay`` as its ``main`` does.
Skipped with the reason where nats-server is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from . import bench_relay
from .common import Figure

NATS = shutil.which("nats-server") or "/usr/sbin/nats-server"


def run(quick: bool = False, tiny: bool = False) -> list[Figure]:
    own = getattr(bench_relay, "run", None)
    if own is not None:
        result = own(quick=quick)
        return result if isinstance(result, list) else [result]
    count = 100 if tiny else 600 if quick else 3000
    name = f"relay -> JetStream -> consumer, {count:,} events, {bench_relay.CLIENTS} clients"
    if not Path(NATS).is_file():
        return [Figure("RELAY", name, "events/s", 0.0, 0.0, "receiver alone", "-", None,
                       skipped="no nats-server (install nats-server)")]
    bodies = bench_relay._bodies(count)
    with tempfile.TemporaryDirectory(prefix="aurorakit-bench-relay-") as folder:
        port = bench_relay._free_port()
        server = subprocess.Popen([NATS, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", f"{folder}/js"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)
            base = bench_relay.run_receiver(bodies, Path(folder))
            ours = bench_relay.run_relay(bodies, Path(folder), f"nats://127.0.0.1:{port}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    note = (f"p50/p99 latency: relay {ours[1]:.1f}/{ours[2]:.1f} ms (POST to consumer), "
            f"receiver alone {base[1]:.1f}/{base[2]:.1f} ms (POST round trip)")
    return [Figure("RELAY", name, "events/s", ours[0], base[0], "receiver alone, same POSTs", "-", None, note=note)]
