"""``aurorakit send --config webhook.json -``: every payload on standard input is posted, none lost
to the look for a recorded release (which reads only named files). Posted to a real HTTP sink on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

from aurorakit.runtime.simulate.simulator import Simulator
from conftest import RunCli


def test_send_posts_every_payload_read_from_stdin(cli: RunCli, sink: tuple[str, list[bytes]], tmp_path: Path) -> None:
    url, bodies = sink
    events = list(Simulator(2, 1, "0.14", seed=5, renew_jobs=False).events())[:4]
    config = tmp_path / "webhook.json"
    config.write_text(json.dumps({"targetURL": url, "timeoutMsec": 2000, "headers": {}}), encoding="utf-8")
    stdin = "".join(event.encode() + "\n" for event in events)
    done = cli(["send", "--config", str(config), "--delivery", "aurora", "--aurora", "0.14", "-"], stdin=stdin)
    assert done.returncode == 0, done.stderr
    assert [json.loads(body)["task"]["assignedTask"]["taskId"] for body in bodies] == [
        json.loads(event.encode())["task"]["assignedTask"]["taskId"] for event in events]
