"""``aurorakit receive`` as a process on 127.0.0.1: memory under attack, SIGKILL, its log, export, secrets."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.cli.main import main
from aurorakit.runtime.simulate.simulator import Simulator
from aurorakit.runtime.webhook.receive_tools import SECRET_ENV, SecretSourceError, read_secret
from aurorakit.runtime.webhook.receiver_store import ReceiverStore
from aurorakit.runtime.webhook.signing import decode_secret, signature_headers

PROFILE = profile_for("0.22")


def texts(count: int, seed: int = 3) -> list[str]:
    """Real 0.22 payloads (Java strings) from the simulated scheduler."""
    found: list[str] = []
    for event in Simulator(4, 3, "0.22", seed=seed, renew_jobs=False).events():
        found.append(event.encode())
        if len(found) == count:
            break
    return found


@dataclass
class Process:
    url: str
    port: int
    store: Path
    popen: subprocess.Popen[str]
    lines: list[str]

    def rss_kb(self) -> int:
        status = Path(f"/proc/{self.popen.pid}/status").read_text()
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        assert found, status
        return int(found.group(1))

    reader: threading.Thread

    def stop(self) -> tuple[str, str]:
        """Ctrl-C; stdout (all of it, read by ``reader``) and stderr."""
        self.popen.send_signal(signal.SIGINT)
        self.popen.wait(20)
        self.reader.join(10)
        assert self.popen.stderr is not None
        return "".join(self.lines), self.popen.stderr.read()


@contextmanager
def receive(tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> Iterator[Process]:
    store = tmp_path / "received.db"
    popen = subprocess.Popen([sys.executable, "-m", "aurorakit.runtime.cli.main", "receive", "--port", "0",
                              "--store", str(store), *extra], cwd=tmp_path, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    lines: list[str] = []
    first = threading.Event()

    def read() -> None:
        assert popen.stdout is not None
        for line in popen.stdout:
            lines.append(line)
            first.set()
        first.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert first.wait(30), "receiver did not start"
        found = re.search(r"listening on (http://127\.0\.0\.1:(\d+)/)", lines[0] if lines else "")
        assert found, f"unexpected output {lines!r}; stderr: {popen.stderr.read() if popen.stderr else ''}"
        yield Process(found.group(1), int(found.group(2)), store, popen, lines, reader)
    finally:
        if popen.poll() is None:
            popen.kill()
            popen.communicate()
        reader.join(5)


def stream_after(port: int, head: bytes, total: int) -> int:
    """Send ``head`` then up to ``total`` bytes of junk; how many the server took before it closed."""
    sent = 0
    block = b"a" * 65536
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        try:
            conn.sendall(head)
            while sent < total:
                conn.sendall(block)
                sent += len(block)
        except OSError:
            pass
    return sent


@pytest.mark.parametrize("chunk_size", [b"-1", b"-2", b"ffffffffffffffff"])
def test_a_bogus_chunk_size_does_not_grow_the_receivers_memory(tmp_path: Path, chunk_size: bytes) -> None:
    with receive(tmp_path, "-q") as receiver:
        assert requests.post(receiver.url, data=PROFILE.wire_bytes(texts(1)[0]), timeout=10).status_code == 200
        before = receiver.rss_kb()
        head = (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk_size + b"\r\n")
        sent = stream_after(receiver.port, head, 200 * 1024 * 1024)
        after = receiver.rss_kb()
        # The server stopped reading (answer, a short drain, close) long before 200 MB.
        assert sent < 50 * 1024 * 1024
        assert after - before < 20 * 1024, (before, after)
        assert requests.post(receiver.url, data=PROFILE.wire_bytes(texts(2)[1]), timeout=10).status_code == 200
        out, err = receiver.stop()
    assert "Traceback" not in err


def test_sigkill_loses_nothing_that_was_acknowledged(tmp_path: Path) -> None:
    bodies = [PROFILE.wire_bytes(text) for text in texts(60)]
    acknowledged: list[str] = []
    lock = threading.Lock()
    with receive(tmp_path, "-q") as receiver:

        def deliver(n: int) -> None:
            try:
                answer = requests.post(receiver.url, data=bodies[n], headers={"webhook-id": f"kill-{n}"}, timeout=10)
            except requests.RequestException:
                return  # cut by the kill: not acknowledged, the sender would retry
            if answer.status_code == 200:
                with lock:
                    acknowledged.append(f"kill-{n}")
                    if len(acknowledged) == 25:
                        os.kill(receiver.popen.pid, signal.SIGKILL)

        with ThreadPoolExecutor(6) as pool:
            list(pool.map(deliver, range(len(bodies))))
        assert receiver.popen.wait(10) == -signal.SIGKILL
    assert len(acknowledged) >= 25
    store = ReceiverStore(tmp_path / "received.db")
    stored = {d.webhook_id for d in store.list(1000)}
    assert set(acknowledged) <= stored
    store.close()
    # Restarted on the same store, the same ids are duplicates.
    with receive(tmp_path, "-q") as again:
        answer = requests.post(again.url, data=bodies[0], headers={"webhook-id": acknowledged[0]}, timeout=10)
        assert answer.json() == {"stored": False, "duplicate": True}
        again.stop()


def test_one_line_per_request_and_rejected_ones_listed(tmp_path: Path) -> None:
    good, other = texts(2)
    task_id = json.loads(good)["task"]["assignedTask"]["taskId"]
    with receive(tmp_path, "--max-body", "50000") as receiver:
        assert requests.post(receiver.url, data=PROFILE.wire_bytes(good), headers={"webhook-id": "a"},
                             timeout=10).status_code == 200
        assert requests.post(receiver.url, data=PROFILE.wire_bytes(good), headers={"webhook-id": "a"},
                             timeout=10).status_code == 200
        assert requests.post(receiver.url, data=b"{oops", timeout=10).status_code == 400
        assert requests.post(receiver.url, data=b"x" * 60_000, timeout=10).status_code == 413
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=10) as conn:
            conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")  # then gone
        assert requests.post(receiver.url, data=PROFILE.wire_bytes(other), timeout=10).status_code == 200
        deadline = time.monotonic() + 10
        while len(receiver.lines) < 7 and time.monotonic() < deadline:
            time.sleep(0.05)
        out, err = receiver.stop()
    lines = out.splitlines()[1:-1]  # between "listening" and "stopped"
    assert len(lines) == 6, out
    by_status = {line.split()[1] + " " + line.split()[2]: line for line in lines}
    assert re.search(rf"^\S+Z  200  stored  {re.escape(task_id)} \w+  \d+B  [\d.]+ms  id=a  from 127\.0\.0\.1$",
                     lines[0]), lines[0]
    assert lines[1].split()[1:3] == ["200", "duplicate"]
    refused = by_status["400 rejected"]
    assert re.search(r"  5B  [\d.]+ms  from 127\.0\.0\.1  \(malformed JSON: .+\)$", refused), refused
    assert "(body larger than 50000 bytes)" in by_status["413 rejected"]
    assert "  ---  dropped  " in out and "client closed the connection before the body was complete" in out
    assert "Traceback" not in err

    listed = subprocess.run([sys.executable, "-m", "aurorakit.runtime.cli.main", "receive", "--store",
                             str(tmp_path / "received.db"), "--list", "--rejected", "--json"],
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    rejected = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["status"], r["method"]) for r in rejected] == [(400, "POST"), (413, "POST")]
    assert rejected[1]["reason"] == "body larger than 50000 bytes" and rejected[1]["bytes"] == 60_000


def test_quiet_prints_no_request_lines(tmp_path: Path) -> None:
    with receive(tmp_path, "-q") as receiver:
        assert requests.post(receiver.url, data=b"{oops", timeout=10).status_code == 400
        out, _ = receiver.stop()
    assert [line.split()[0] for line in out.splitlines()] == ["listening", "stopped;"]


def test_export_writes_json_lines_that_send_replays_byte_for_byte(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    sent = texts(12)
    assert any(not text.isascii() for text in sent)  # the simulator names a few jobs in other scripts
    first = tmp_path / "first"
    first.mkdir()
    with receive(first, "-q") as receiver:
        for n, text in enumerate(sent):
            answer = requests.post(receiver.url, data=text.encode("utf-8"), timeout=10,
                                   headers={"Content-Type": "application/json; charset=utf-8", "webhook-id": f"e{n}"})
            assert answer.status_code == 200
        receiver.stop()
    exported = tmp_path / "captured.jsonl"
    assert main(["receive", "--store", str(first / "received.db"), "--export", str(exported)]) == 0
    assert exported.read_text(encoding="utf-8") == '{"aurora": "0.22.0"}\n' + "".join(text + "\n" for text in sent)
    capsys.readouterr()

    second = tmp_path / "second"
    second.mkdir()
    with receive(second, "-q") as receiver:
        config = tmp_path / "webhook.json"
        config.write_text(json.dumps({"targetURL": receiver.url, "timeoutMsec": 3000,
                                      "headers": {"Content-Type": "application/json; charset=utf-8"}}))
        assert main(["send", "--config", str(config), "--delivery", "aurora", str(exported)]) == 0
        receiver.stop()
    store = ReceiverStore(second / "received.db")
    # 0.22 posted every event at once (delivery 'aurora'): arrival order is not kept, the bytes are
    assert sorted(d.body for d in store.list(100)) == sorted(text.encode("utf-8") for text in sent)
    store.close()


def test_secret_from_a_file_or_the_environment(tmp_path: Path) -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    key = decode_secret(secret)
    body = PROFILE.wire_bytes(texts(1)[0])
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(secret + "\n")
    for how in (("--secret-file", str(secret_file)), ()):
        with receive(tmp_path, "-q", *how, env={SECRET_ENV: secret} if not how else None) as receiver:
            assert "signatures required" in receiver.lines[0]
            assert requests.post(receiver.url, data=body, timeout=10).status_code == 401
            signed = signature_headers(key, f"s-{len(how)}", body)
            assert requests.post(receiver.url, data=body, headers=signed, timeout=10).status_code == 200
            receiver.stop()


def test_secret_sources_in_order_and_their_errors(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("from-file\n")
    env = {SECRET_ENV: "from-env"}
    assert read_secret("from-flag", str(secret_file), env) == "from-file"
    assert read_secret("from-flag", None, env) == "from-flag"
    assert read_secret(None, None, env) == "from-env"
    assert read_secret(None, None, {}) is None
    (tmp_path / "empty.txt").write_text("\n")
    for path, reason in ((tmp_path / "empty.txt", "the file is empty"),
                         (tmp_path / "missing.txt", "cannot read: No such file or directory"),
                         (tmp_path, "cannot read: Is a directory")):
        with pytest.raises(SecretSourceError) as caught:
            read_secret(None, str(path), {})
        assert str(caught.value) == f"--secret-file {path}: {reason}"
    with pytest.raises(SecretSourceError, match=f"{SECRET_ENV} is set but empty"):
        read_secret(None, None, {SECRET_ENV: " "})


def test_other_addresses_need_a_secret_or_allow_unsigned(tmp_path: Path) -> None:
    refused = subprocess.run([sys.executable, "-m", "aurorakit.runtime.cli.main", "receive", "--port", "0", "--store",
                              str(tmp_path / "r.db"), "--host", "0.0.0.0"], capture_output=True, text=True,
                             timeout=60, env={k: v for k, v in os.environ.items() if k != SECRET_ENV})
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines() == [
        "aurorakit: refusing to listen on 0.0.0.0 without a signing secret: anyone who can reach it could store "
        "events (give a signing secret, or allow unsigned requests: receive --allow-unsigned)"]
    # With the flag it warns, then (192.0.2.1 being no address of this machine) cannot bind.
    warned = subprocess.run([sys.executable, "-m", "aurorakit.runtime.cli.main", "receive", "--port", "0", "--store",
                             str(tmp_path / "r.db"), "--host", "192.0.2.1", "--allow-unsigned"],
                            capture_output=True, text=True, timeout=60)
    assert warned.returncode == 2 and "Traceback" not in warned.stderr
    assert "listening on 192.0.2.1 without a signing secret" in warned.stderr
    assert "cannot listen on 192.0.2.1:0" in warned.stderr


def test_max_connections_beyond_the_open_file_limit_is_one_clear_line(tmp_path: Path) -> None:
    # A hard limit of 256 files for the child: 1,000 connections cannot fit.
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256)); "
              "from aurorakit.runtime.cli.main import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", script, "receive", "--port", "0", "--store", str(tmp_path / "r.db"),
                           "--max-connections", "1000"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == ("aurorakit: --max-connections 1000: this process may open only 256 files "
                                   "(ulimit -n); give at most 192")
