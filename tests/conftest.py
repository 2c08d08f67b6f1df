"""Shared fixtures: packages generated from the test IDLs in tests/idl/, the command line in process, an HTTP sink."""

from __future__ import annotations

import http.server
import importlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType

import jdk
import pytest
from aurorakit.codegen import generate_package
from aurorakit.runtime.cli.main import main

REPO = Path(__file__).resolve().parent.parent
IDL_DIR = REPO / "tests" / "idl"
_JDK_BUILD = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """The main process (not an xdist worker) makes the folder the JDK oracles are compiled into once
    for the whole run (tests/jdk.py); workers inherit its name from the environment."""
    if not hasattr(config, "workerinput") and not os.environ.get(jdk.BUILD_ENV):
        config.stash[_JDK_BUILD] = os.environ[jdk.BUILD_ENV] = tempfile.mkdtemp(prefix="aurorakit-jdk-")


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_JDK_BUILD, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        del os.environ[jdk.BUILD_ENV]

ImportGenerated = Callable[..., ModuleType]


@pytest.fixture(scope="session")
def import_generated(tmp_path_factory: pytest.TempPathFactory) -> ImportGenerated:
    """``import_generated(idl, package, include_dirs=())``: generate into a fresh folder and import.

    The folder is on ``sys.path`` only while importing. Package names must be
    unique within a test session (Python caches imported modules by name).
    """
    def generate_and_import(idl: str | os.PathLike[str], package: str,
                            include_dirs: Sequence[str | os.PathLike[str]] = ()) -> ModuleType:
        assert package not in sys.modules, f"package name {package} is already used in this session"
        out = tmp_path_factory.mktemp(package)
        generate_package(idl, package, out, include_dirs)
        sys.path.insert(0, str(out))
        try:
            importlib.invalidate_caches()
            return importlib.import_module(package)
        finally:
            sys.path.remove(str(out))

    return generate_and_import


@pytest.fixture(scope="session")
def kitchen(import_generated: ImportGenerated) -> ModuleType:
    """The package generated from tests/idl/kitchen/kitchen.thrift (with tests/idl/shared as include dir)."""
    return import_generated(IDL_DIR / "kitchen" / "kitchen.thrift", "kitchen", [IDL_DIR / "shared"])


@pytest.fixture(scope="session")
def edges(import_generated: ImportGenerated) -> ModuleType:
    """The package generated from tests/idl/edges/edges.thrift (byte/i16, non-string map keys, bools)."""
    return import_generated(IDL_DIR / "edges" / "edges.thrift", "edges")


RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture()
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunCli:
    """``cli(argv, cwd=None, stdin="", env=None)``: ``aurorakit ARGV`` through ``main(argv)`` in this process.

    What a subprocess would give (exit status, stdout, stderr) without an interpreter start per
    run: from ``cwd``, with ``stdin`` as standard input, ``env`` set (None: unset) and COLUMNS=200.
    An exception escaping ``main`` (the traceback a user would see) is in stderr as
    ``Traceback: ...`` with exit status 1.
    """
    def run(argv: Sequence[str], cwd: str | os.PathLike[str] | None = None, stdin: str = "",
            env: Mapping[str, str | None] | None = None) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        with monkeypatch.context() as patch:
            patch.setenv("COLUMNS", "200")
            for name, value in (env or {}).items():
                if value is None:
                    patch.delenv(name, raising=False)
                else:
                    patch.setenv(name, value)
            if cwd is not None:
                patch.chdir(cwd)
            patch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8"))
            try:
                status = main(list(argv))
            except SystemExit as end:  # argparse: --help, usage errors
                status = end.code if isinstance(end.code, int) else 1
            except BaseException as escaped:  # noqa: BLE001  (reported as the traceback a user would see)
                out, err = capsys.readouterr()
                return subprocess.CompletedProcess(list(argv), 1, out, f"{err}Traceback: {escaped!r}\n")
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(argv), status, out, err)

    return run


@pytest.fixture()
def sink() -> Iterator[tuple[str, list[bytes]]]:
    """A real HTTP server on 127.0.0.1 that answers 200 and keeps each body."""
    bodies: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", bodies
    finally:
        server.shutdown()
        server.server_close()


from servers import nats_server, postgres_server  # noqa: F401  (real servers: tests/servers.py)
