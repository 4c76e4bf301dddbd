"""PostgreSQL and Redis started by the tests (Debian's packages), on 127.0.0.1, with temporary
data directories, and the platform running on them.

Nothing here needs a server that is already running: ``initdb`` makes a throw-away cluster
(as the ``postgres`` user when the tests run as root, since PostgreSQL refuses root), and
``redis-server`` runs without persistence. Where the Debian packages are missing the
fixtures skip with a sentence saying which.

Fixtures: ``own_postgres``, ``own_redis`` (session scope) and ``pg_platform`` (the whole
platform on them, session scope).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.platform import Platform, free_port, prepare


def _wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@dataclass
class OwnPostgres:
    bindir: Path
    root: Path
    port: int
    template_ready: bool = False

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str | None = None) -> str:
        command = [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port)]
        if template:
            command += ["-T", template]
        subprocess.run(
            _as_postgres([*command, "-U", "postgres", name]), check=True, capture_output=True
        )
        return self.url(name)

    def migrated_database(self, name: str) -> str:
        """A database with vocloud's tables and the personas, copied from one migrated once
        per server (``prepare(..., migrated=True)`` then skips the migration)."""
        template = "vocloud_template"
        if not self.template_ready:
            work = Path(tempfile.mkdtemp(prefix="vocloud-pg-template-"))
            url = self.create_database(template)
            prepare(work, VOCLOUD_DATABASE_URL=url)  # migrates and adds the personas
            shutil.rmtree(work, ignore_errors=True)
            self.template_ready = True
        return self.create_database(name, template=template)

    def stop(self) -> None:
        pg_ctl = [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast"]
        subprocess.run(_as_postgres([*pg_ctl, "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> OwnPostgres:
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("Debian's postgresql package is not installed (initdb not found)")
    # Not under pytest's tmp dir: that is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="vocloud-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    data = root / "data"
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=60,
    )
    return OwnPostgres(bindir, root, port)


@dataclass
class OwnRedis:
    process: subprocess.Popen
    root: Path
    port: int

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self, keep_data: bool = False) -> None:
        self.process.terminate()
        self.process.wait(10)
        if not keep_data:
            shutil.rmtree(self.root, ignore_errors=True)


def start_redis(
    root: Path | None = None, port: int | None = None, appendonly: bool = False
) -> OwnRedis:
    """A Redis server; ``appendonly`` keeps its queue over a restart (as in production).

    Give ``root`` and ``port`` of a stopped server to restart it with the same data.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("Debian's redis-server package is not installed")
    root = root or Path(tempfile.mkdtemp(prefix="vocloud-redis-"))
    port = port or free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(root),
            "--save",
            "",
            "--appendonly",
            "yes" if appendonly else "no",
            "--appendfsync",
            "always",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_port(port)
    return OwnRedis(process, root, port)


@pytest.fixture(scope="session")
def own_postgres() -> Iterator[OwnPostgres]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def own_redis() -> Iterator[OwnRedis]:
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_platform(own_postgres, own_redis, tmp_path_factory) -> Iterator[Platform]:
    """The platform (web, workers, janitor) on our own PostgreSQL and Redis."""
    data_dir = tmp_path_factory.mktemp("pg-platform")
    env = prepare(
        data_dir,
        migrated=True,
        VOCLOUD_DATABASE_URL=own_postgres.migrated_database("vocloud"),
        VOCLOUD_BROKER_URL=own_redis.url(1),
    )
    running = Platform(data_dir, free_port(), env).start()
    yield running
    running.stop()
