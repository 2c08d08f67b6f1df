"""R1: events/s and latency through relay -> NATS JetStream -> consumer, against the receiver alone.

``python -m benchmarks.bench_relay [--events N]`` starts its own nats-server
(JetStream, storage in a temporary folder, a free port on 127.0.0.1), then
posts the shared lifecycle payloads from ``CLIENTS`` threads, each payload
made distinct by its task id:

- relay path: POST to ``Relay`` (answered once in its SQLite outbox) -> NATS
  sink -> a consumer reading the stream in a process of its own (as on
  another machine); latency is from the start of the POST to the consumer
  having the message;
- the same relay publishing one event at a time (``window=1``: each publish
  waits for the previous ack), the relay before pipelining;
- baseline: the same POSTs to ``WebhookReceiver`` with its SQLite store
  (decode, store, 200); latency is the POST's round trip.

All servers run in this process, sharing the cores with the clients.
``run(quick)`` gives the figures for ``python -m benchmarks`` (R1: the relay
against the receiver alone; R2: pipelined against one at a time).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.relay.nats_sink import DEFAULT_WINDOW, NatsSink
from aurorakit.runtime.relay.outbox import Outbox
from aurorakit.runtime.relay.relay import Relay, relay_event_id
from aurorakit.runtime.webhook.payloads import request_decoder
from aurorakit.runtime.webhook.receiver import ReceiverStore, WebhookReceiver

from .common import Figure
from .data import lifecycle_payloads

CLIENTS = 4
CONTENT_TYPE = "application/vnd.kafka.json.v1+json; charset=utf-8"


def _bodies(count: int) -> list[bytes]:
    base = lifecycle_payloads("0.22.0")
    out = []
    for n in range(count):
        text = base[n % len(base)]
        out.append(text.replace('"taskId":"', f'"taskId":"b{n // len(base)}-', 1).encode("utf-8"))
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post_all(url: str, bodies: list[bytes], sent: dict[int, float]) -> list[float]:
    local = threading.local()

    def post(index: int) -> float:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        start = time.perf_counter()
        sent[index] = start
        answer = session.post(url, data=bodies[index], headers={"Content-Type": CONTENT_TYPE}, timeout=60)
        if answer.status_code != 200:
            raise RuntimeError(f"HTTP {answer.status_code}: {answer.text}")
        return time.perf_counter() - start
    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(post, range(len(bodies))))


def _quantiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def run_receiver(bodies: list[bytes], folder: Path) -> tuple[float, float, float]:
    profile = profile_for("0.22")
    models = profile.models()
    store = ReceiverStore(folder / "receiver.db")
    receiver = WebhookReceiver(store, decode_request=request_decoder(profile, models), on_request=lambda e: None)
    receiver.start()
    try:
        start = time.perf_counter()
        latencies = _post_all(receiver.url, bodies, {})
        elapsed = time.perf_counter() - start
    finally:
        receiver.stop()
        store.close()
    return (len(bodies) / elapsed, *_quantiles(latencies))


# The consumer runs in a process of its own, as it would on another machine; it writes, per message,
# the monotonic clock (system-wide on Linux, so comparable with the poster's) and the event id to a
# file (not its stdout: a full pipe nobody reads while posting would stall it, and its connection).
_CONSUMER = """
import sys, time
from aurorakit.runtime.relay.consume import messages
list(messages(sys.argv[1], "aurora.warm-up.none"))  # imports and a first connection before the clock starts
print("ready", flush=True)
count = int(sys.argv[3])
with open(sys.argv[4], "w") as out:
    for n, message in enumerate(messages(sys.argv[1], sys.argv[2], follow=True, idle_timeout=0.2), 1):
        out.write(f"{time.perf_counter()} {message.id}\\n")
        if n == count:
            break
"""


def run_relay(bodies: list[bytes], folder: Path, nats_url: str, window: int = DEFAULT_WINDOW,
              cluster: str = "bench") -> tuple[float, float, float]:
    profile = profile_for("0.22")
    models = profile.models()
    outbox = Outbox(folder / f"relay-{cluster}.db")
    relay = Relay(outbox, profile, models, [NatsSink(nats_url, window=window)], cluster=cluster).start()
    index_of = {relay_event_id(cluster, profile.version, body): n for n, body in enumerate(bodies)}
    sent: dict[int, float] = {}
    arrivals = folder / f"arrivals-{cluster}.txt"
    consumer = subprocess.Popen([sys.executable, "-c", _CONSUMER, nats_url, f"aurora.{cluster}.>", str(len(bodies)),
                                 str(arrivals)], stdout=subprocess.PIPE, text=True)
    assert consumer.stdout is not None
    try:
        if consumer.stdout.readline().strip() != "ready":
            raise RuntimeError("the consumer did not start")
        start = time.perf_counter()
        _post_all(relay.url, bodies, sent)
        consumer.communicate(timeout=600)
        lines = [line.split() for line in arrivals.read_text().splitlines()]
        arrived = {index_of[event_id]: float(when) for when, event_id in lines}
        if len(arrived) != len(bodies):
            raise RuntimeError(f"only {len(arrived)} of {len(bodies)} events reached the consumer")
        elapsed = max(arrived.values()) - start
    finally:
        if consumer.poll() is None:
            consumer.kill()
            consumer.wait()
        relay.stop()
        outbox.close()
    return (len(bodies) / elapsed, *_quantiles([arrived[n] - sent[n] for n in range(len(bodies))]))


Measured = tuple[float, float, float]  # events/s, p50 ms, p99 ms


def measure(count: int) -> tuple[Measured, Measured, Measured]:
    """(relay pipelined, relay one at a time, receiver alone), in one run against one nats-server."""
    binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
    bodies = _bodies(count)
    with tempfile.TemporaryDirectory(prefix="aurorakit-bench-relay-") as name:
        folder = Path(name)
        port = _free_port()
        server = subprocess.Popen([binary, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(folder / "js")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)
            url = f"nats://127.0.0.1:{port}"
            base = run_receiver(bodies, folder)
            ours = run_relay(bodies, folder, url, cluster="pipelined")
            serial = run_relay(bodies, folder, url, window=1, cluster="serial")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return ours, serial, base


def _latency(m: Measured) -> str:
    return f"p50 {m[1]:.1f} ms, p99 {m[2]:.1f} ms"


def run(quick: bool = False, tiny: bool = False) -> list[Figure]:
    count = 60 if tiny else 600 if quick else 3000
    if not Path(shutil.which("nats-server") or "/usr/sbin/nats-server").is_file():
        return [Figure("R1", "relay -> JetStream -> consumer", "events/s", 0.0, 0.0, "receiver alone", "-", None,
                       skipped="no nats-server (install Debian's nats-server)")]
    ours, serial, base = measure(count)
    return [
        Figure("R1", "relay -> JetStream -> consumer", "events/s", ours[0], base[0], "receiver alone", "-", None,
               note=f"{count} events, {CLIENTS} clients; relay POST-to-consumer {_latency(ours)}; "
                    f"receiver round trip {_latency(base)}"),
        Figure("R2", "relay NATS publishing pipelined", "events/s", ours[0], serial[0], "one publish at a time",
               "-", None, note=f"one at a time: {_latency(serial)}"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_relay", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=3000)
    args = parser.parse_args(argv)
    ours, serial, base = measure(args.events)
    print(f"R1  {args.events} events, {CLIENTS} clients")
    print(f"    relay -> JetStream -> consumer:   {ours[0]:,.0f} events/s, {_latency(ours)}")
    print(f"    same, one publish at a time:      {serial[0]:,.0f} events/s, {_latency(serial)}")
    print(f"    receiver alone (baseline):        {base[0]:,.0f} events/s, {_latency(base)}")
    print(f"    ratio (throughput): {ours[0] / base[0]:.2f}x the receiver, {ours[0] / serial[0]:.2f}x one at a time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
