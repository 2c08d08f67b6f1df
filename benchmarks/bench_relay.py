"""R1: events/s and latency through relay -> NATS JetStream -> consumer, against the receiver alone.

``python -m benchmarks.bench_relay [--events N]`` starts its own nats-server
(JetStream, storage in a temporary folder, a free port on 127.0.0.1), then
posts the shared lifecycle payloads from ``CLIENTS`` threads, each payload
made distinct by its task id:

- relay path: POST to ``Relay`` (answered once in its SQLite outbox) -> NATS
  sink -> a consumer reading the stream in this process; latency is from the
  start of the POST to the consumer having the message;
- baseline: the same POSTs to ``WebhookReceiver`` with its SQLite store
  (decode, store, 200); latency is the POST's round trip.

Both servers run in this process, sharing the 2 cores with the clients.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from aurorakit.runtime.profiles import profile_for
from aurorakit.runtime.relay.consume import messages
from aurorakit.runtime.relay.outbox import Outbox
from aurorakit.runtime.relay.relay import Relay
from aurorakit.runtime.relay.sinks import NatsSink
from aurorakit.runtime.webhook.payloads import models_for, request_decoder
from aurorakit.runtime.webhook.receiver import ReceiverStore, WebhookReceiver

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
    models, _ = models_for(profile)
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


def run_relay(bodies: list[bytes], folder: Path, nats_url: str) -> tuple[float, float, float]:
    profile = profile_for("0.22")
    models, _ = models_for(profile)
    outbox = Outbox(folder / "relay.db")
    relay = Relay(outbox, profile, models, [NatsSink(nats_url)], cluster="bench").start()
    index_of = {body: n for n, body in enumerate(bodies)}
    sent: dict[int, float] = {}
    arrived: dict[int, float] = {}
    done = threading.Event()

    def consume() -> None:
        for message in messages(nats_url, "aurora.bench.>", follow=True, idle_timeout=0.2):
            arrived[index_of[message.body]] = time.perf_counter()
            if len(arrived) == len(bodies):
                done.set()
                return
    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    try:
        start = time.perf_counter()
        _post_all(relay.url, bodies, sent)
        if not done.wait(600):
            raise RuntimeError(f"only {len(arrived)} of {len(bodies)} events reached the consumer")
        elapsed = time.perf_counter() - start
    finally:
        relay.stop()
        outbox.close()
    return (len(bodies) / elapsed, *_quantiles([arrived[n] - sent[n] for n in range(len(bodies))]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_relay", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=3000)
    args = parser.parse_args(argv)
    binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
    bodies = _bodies(args.events)
    with tempfile.TemporaryDirectory(prefix="aurorakit-bench-relay-") as name:
        folder = Path(name)
        port = _free_port()
        server = subprocess.Popen([binary, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(folder / "js")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)
            base = run_receiver(bodies, folder)
            ours = run_relay(bodies, folder, f"nats://127.0.0.1:{port}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"R1  {args.events} events, {CLIENTS} clients")
    print(f"    relay -> JetStream -> consumer: {ours[0]:,.0f} events/s, p50 {ours[1]:.1f} ms, p99 {ours[2]:.1f} ms")
    print(f"    receiver alone (baseline):      {base[0]:,.0f} events/s, p50 {base[1]:.1f} ms, p99 {base[2]:.1f} ms")
    print(f"    ratio (throughput): {ours[0] / base[0]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
