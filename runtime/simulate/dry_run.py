"""Where ``simulate --dry-run OUT`` writes the posted events instead of sending them.

``OUT.json``: a vector file (identity table included) that ``aurorakit
conformance`` reads. Any other name: JSON lines of the exact Java strings
after a first line ``{"aurora": RELEASE}``, plus the identity table in OUT's
name with ``.identity.json``. Both record the release.
"""

from __future__ import annotations

import os
from types import TracebackType

from ..aurora.event import TaskStateChange
from ..aurora.releases import header_line
from ..aurora.vector_writer import VectorWriter
from .simulator import Simulator


class DryRunFile:
    """``with DryRunFile(path, simulator) as sink: sink.write(event)``; OSError if the file cannot be made."""

    def __init__(self, path: str, simulator: Simulator) -> None:
        self.path = path
        self.simulator = simulator
        self.vector = path.endswith(".json")
        self.identity_path = None if self.vector else os.path.splitext(path)[0] + ".identity.json"
        self.count = 0
        self._vectors: VectorWriter | None = None
        self._out = open(path, "w", encoding="utf-8")

    def __enter__(self) -> DryRunFile:
        simulator = self.simulator
        profile = simulator.profile
        try:
            if self.vector:
                header = {"aurora": f"{profile.version}.0", "models": simulator.models.__name__,
                          "optional": profile.optional_style, "seed": simulator.seed,
                          "identity": simulator.identity.known()}
                self._vectors = VectorWriter(self._out, header).__enter__()
            else:
                assert self.identity_path is not None
                simulator.identity.save(self.identity_path)
                self._out.write(header_line(profile.version) + "\n")
        except BaseException:
            self._out.close()
            raise
        return self

    def write(self, event: TaskStateChange) -> None:
        text = event.encode()
        if self._vectors is not None:
            old = None if event.old_state is None else event.old_state.name
            self._vectors.add({"name": f"{self.count:06d}", "hashed": "taskconfig", "oldState": old,
                               "payload": text})
        else:
            self._out.write(text + "\n")
        self.count += 1

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self._vectors is not None:
                self._vectors.__exit__(kind, exc, tb)
        finally:
            self._out.close()
