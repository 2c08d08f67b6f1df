"""The environment switches of the accelerator (runtime/accel.py), each read once at import.

``AURORAKIT_ACCEL_PARSE=0`` keeps the compiled decoding but reads events
through the parsed tree: ``parse_event`` then declines every text. Only "0"
turns it off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from aurorakit.runtime import accel
from shared import vector_file

pytestmark = pytest.mark.skipif(not accel.ACTIVE, reason=f"the accelerator is not in use: {accel.status()}")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVENT = vector_file("aurora-0.22.0.json")["cases"][0]
TEXT, TASK_ID = EVENT["payload"], json.loads(EVENT["payload"])["task"]["assignedTask"]["taskId"]
CODE = ("import json, sys; from aurorakit.runtime import accel; from aurorakit.generated import aurora_0_22 as api\n"
        "accel.accelerate(api)\n"
        "read = accel.parse_event(api.ScheduledTask, sys.argv[1])\n"
        "print(json.dumps([accel.PARSE, None if read is None else read[0].assignedTask.taskId]))")


@pytest.mark.parametrize("setting, parse", [(None, True), ("0", False), ("1", True), ("no", True)])
def test_aurorakit_accel_parse_0_declines_every_text_and_only_0_does(setting: str | None, parse: bool) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AURORAKIT_")}
    env = base if setting is None else {**base, "AURORAKIT_ACCEL_PARSE": setting}
    done = subprocess.run([sys.executable, "-c", CODE, TEXT], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout) == [parse, TASK_ID if parse else None]
