"""Real PostgreSQL and nats-server processes on 127.0.0.1 for the tests (session scope).

Each starts from a throwaway folder under the session's temporary directory on
a free port, and skips the tests that need it, with the reason, only when the
server's binaries are missing or it cannot start. PostgreSQL refuses to run as
root, so as root it runs as the ``postgres`` user Debian's package creates.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BIN_DIRS = [Path("/usr/lib/postgresql") / v / "bin" for v in ("17", "16", "15", "14", "13")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class PostgresServer:
    """A PostgreSQL cluster in ``folder``; ``restart()`` stops and starts it on the same port."""

    def __init__(self, bin_dir: Path, folder: Path) -> None:
        self.bin_dir = bin_dir
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"postgresql://aurorakit@127.0.0.1:{self.port}/postgres"
        self._user = "postgres" if os.geteuid() == 0 else None
        folder.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        self.log = folder / "server.log"
        self._run("initdb", "-D", str(self.data), "-U", "aurorakit", "--auth=trust", "-E", "UTF8")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd="/tmp")
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=on"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop("immediate")
        self.start()

    def new_database(self, name: str) -> str:
        """A fresh, empty database; its URL."""
        import psycopg
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + "/" + name


class NatsServer:
    """nats-server with JetStream, its storage in ``folder``; ``restart()`` keeps port and storage."""

    def __init__(self, binary: str, folder: Path) -> None:
        self.binary = binary
        self.store = folder / "jetstream"
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.log = folder / "nats.log"
        folder.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store),
             "-l", str(self.log)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not _wait_port(self.port, 15):
            self.stop()
            raise RuntimeError(f"nats-server did not listen on {self.port}; see {self.log}")

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        self.process.wait(timeout=15)
        self.process = None

    def restart(self, kill: bool = True) -> None:
        self.stop(kill=kill)
        self.start()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[test]')")
    bin_dir = next((d for d in PG_BIN_DIRS if (d / "initdb").exists()), None)
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)")
    # Not under pytest's own temporary folder: that is private to this user, and the server may run as postgres.
    folder = Path(tempfile.mkdtemp(prefix="aurorakit-pg-"))
    os.chmod(folder, 0o755)
    try:
        server = PostgresServer(bin_dir, folder)
        server.start()
    except (RuntimeError, OSError, KeyError, subprocess.TimeoutExpired) as err:
        pytest.skip(f"cannot start PostgreSQL: {err}")
    try:
        yield server
    finally:
        try:
            server.stop("immediate")
        except RuntimeError:
            pass
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    try:
        import nats  # noqa: F401
    except ImportError:
        pytest.skip("nats-py is not installed (pip install -e '.[test]')")
    binary = shutil.which("nats-server") or next(
        (p for p in ("/usr/sbin/nats-server", "/usr/bin/nats-server") if os.path.exists(p)), None)
    if binary is None:
        pytest.skip("nats-server not found (apt-get install nats-server)")
    server = NatsServer(binary, Path(tmp_path_factory.mktemp("nats")))
    try:
        server.start()
    except (RuntimeError, OSError) as err:
        pytest.skip(f"cannot start nats-server: {err}")
    try:
        yield server
    finally:
        server.stop()
