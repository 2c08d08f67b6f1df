"""Memory: peak RSS while encoding a stream of simulated events, in a fresh process.

The limit (200 MB for 1,000,000 events) is absolute; the baseline line is the
RSS of a fresh process that has imported everything and made the simulator,
measured the same way, so the table shows what the stream itself costs.
"""

from __future__ import annotations

import json
import subprocess
import sys

from .common import Figure

# The peak is read from /proc (VmHWM: this process image only); getrusage's
# ru_maxrss would also count the parent's pages from before exec.
_PROBE = """
import itertools, json, resource, sys
from aurorakit.runtime.simulate.simulator import Simulator

def peak_kb():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

count = int(sys.argv[1])
simulator = Simulator(100, 10, "0.22", seed=7)
events = simulator.events()
first = next(events).encode()
before = peak_kb()
written = len(first)
for event in itertools.islice(events, count - 1):
    written += len(event.encode())
print(json.dumps({"before_kb": before, "peak_kb": peak_kb(), "events": count, "chars": written}))
"""


def run(quick: bool = False, tiny: bool = False) -> Figure:
    count = 1_000 if tiny else 20_000 if quick else 1_000_000
    result = subprocess.run([sys.executable, "-c", _PROBE, str(count)], capture_output=True, text=True, check=True)
    data = json.loads(result.stdout)
    peak_mb = data["peak_kb"] / 1024
    before_mb = data["before_kb"] / 1024
    note = (f"{data['events']:,} events ({data['chars'] / 1e9:.2f} G characters) streamed; RSS after imports "
            f"and the first event {before_mb:.0f} MB, peak {peak_mb:.0f} MB")
    return Figure("RSS", f"peak RSS, {count:,} streamed events", "MB", peak_mb, 200.0, "limit",
                  "<= 200 MB", 1.0, higher_is_better=False, note=note)
