"""Memory of the payload commands on a big file: peak RSS of each, in its own process.

A file of simulated events is generated with ``aurorakit simulate --dry-run``
(a vector file, read case by case, and the same events as JSON lines, read
line by line), then ``decode``, ``verify``, ``conformance``, ``calibrate``
(on the vector file) and ``send`` (JSON lines, to an HTTP server on
127.0.0.1 that answers 200) run on it, each in a fresh process whose peak
RSS (VmHWM) is read at its end. The limit is 200 MB whatever the file's size.

The default size keeps a run short; ``python -m benchmarks --only FILES
--file-mb 1024`` measures the 1 GB figure.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import Figure

LIMIT_MB = 200.0
BYTES_PER_EVENT = 3_900  # about what a simulated 0.22 event takes in a vector file (only sizes the file)

# Runs one aurorakit command, then reports its own peak RSS (this process image only).
_PROBE = """
import json, sys
from aurorakit.runtime.cli.main import main
status = main(sys.argv[1:])
with open("/proc/self/status") as fh:
    peak = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
print(json.dumps({"status": status, "peak_kb": peak}), file=sys.stderr)
"""

_SINK = """
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def _aurorakit(argv: list[str]) -> tuple[float, float, int]:
    """(peak MB, seconds, exit status) of one command."""
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _PROBE, *argv], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.monotonic() - started
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return report["peak_kb"] / 1024, seconds, int(report["status"])


def run(quick: bool = False, file_mb: int | None = None, tiny: bool = False) -> list[Figure]:
    megabytes = file_mb if file_mb is not None else (0 if tiny else 2 if quick else 40)
    events = max(100, megabytes * (1 << 20) // BYTES_PER_EVENT)
    figures = []
    with tempfile.TemporaryDirectory(prefix="aurorakit-bench-files-") as tmp:
        vectors, lines = Path(tmp) / "events.json", Path(tmp) / "events.jsonl"
        for out in (vectors,) if tiny else (vectors, lines):
            subprocess.run([sys.executable, "-m", "aurorakit.runtime.cli.main", "simulate", "--jobs", "100",
                            "--instances", "10", "--events", str(events), "--seed", "3", "--dry-run", str(out)],
                           check=True, stdout=subprocess.DEVNULL)
        sink = subprocess.Popen([sys.executable, "-c", _SINK], stdout=subprocess.PIPE, text=True)
        try:
            assert sink.stdout is not None
            port = int(sink.stdout.readline())
            config = Path(tmp) / "webhook.json"
            config.write_text(json.dumps({"targetURL": f"http://127.0.0.1:{port}/", "timeoutMsec": 10_000,
                                          "headers": {}}))
            commands = {
                "decode": ["decode", "-q", str(vectors)],
                "verify": ["verify", "-q", str(vectors)],
                "conformance": ["conformance", "-q", str(vectors)],
                "calibrate": ["calibrate", "-q", str(vectors), "-o", str(Path(tmp) / "identity.json")],
                "send": ["send", "-q", "--config", str(config), "--delivery", "aurora", "--aurora", "0.22",
                         str(lines)],
            }
            for name, argv in commands.items():
                if tiny and name != "decode":  # the smoke test: one command is enough to show it runs
                    continue
                peak, seconds, status = _aurorakit(argv)
                mb = (lines if name == "send" else vectors).stat().st_size / (1 << 20)
                kind = "JSON lines" if name == "send" else "vector file"
                note = (f"{name} on a {mb:,.0f} MB {kind} ({events:,} events): peak {peak:.0f} MB, "
                        f"{seconds:.0f} s, exit {status}")
                figures.append(Figure(f"MEM-{name}", f"peak RSS: {name}, {mb:,.0f} MB {kind}", "MB",
                                      peak, LIMIT_MB, "limit", "<= 200 MB", 1.0, higher_is_better=False,
                                      note=note))
        finally:
            sink.terminate()
            sink.wait()
    return figures


if __name__ == "__main__":
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else None
    for figure in run(file_mb=mb):
        print(figure.note)
    sys.exit(0)
