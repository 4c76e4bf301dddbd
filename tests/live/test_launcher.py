"""`manage.py serve` and what it starts: they end with it, however it ends, and promptly."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.platform import Platform, free_port, prepare
from tests.support.procs import alive, children_map, descendants

pytestmark = pytest.mark.platform


@pytest.fixture
def serve(tmp_path):
    """A platform of its own (the test ends it), with both workers' fork servers up."""
    env = prepare(tmp_path, VOCLOUD_WARM_PROJECTION="0")  # no minute of compiling UMAP
    platform = Platform(tmp_path, free_port(), env).start()
    wait_until(lambda: _fully_up(platform), 60, "the workers' fork servers did not start")
    yield platform
    platform.stop()
    for pid in _processes_of(tmp_path):  # what a failing test left running
        os.kill(pid, signal.SIGKILL)


def test_killing_the_launcher_ends_every_process_it_started(serve):
    started = descendants(serve.process.pid)
    names = {pid: _command(pid) for pid in started}
    # All of them are there to be checked: the broker, gunicorn's master and its two
    # workers, both job workers with their fork servers, the janitor.
    assert sum("redis-server" in name for name in names.values()) == 1, names
    assert sum("gunicorn" in name for name in names.values()) == 3, names
    assert sum("manage.py worker" in name for name in names.values()) == 2, names
    assert sum("forkserver" in name for name in names.values()) == 2, names
    assert sum("manage.py janitor" in name for name in names.values()) == 1, names

    serve.process.kill()
    serve.process.wait()

    left = _still_running(started, within=8)
    assert not left, f"8 s after the launcher died these still run: {_describe(left, names)}"


def test_sigterm_stops_everything_within_5_s_and_fails_the_running_job(serve):
    alice = serve.session("alice")
    created = alice.post(
        serve.jobs_url(), data={"DURATION": 60, "PHASE": "RUN"}, allow_redirects=False
    )
    assert created.status_code == 303, created.text
    job = created.headers["Location"]
    wait_until(lambda: alice.get(f"{job}/phase").text == "EXECUTING", 30, "the job never ran")
    wait_until(lambda: _job_processes(serve), 10, "no job process appeared")
    started = descendants(serve.process.pid) | {serve.process.pid}
    names = {pid: _command(pid) for pid in started}

    serve.process.terminate()

    left = _still_running(started, within=5)
    assert not left, f"5 s after SIGTERM these still run: {_describe(left, names)}"
    assert serve.process.wait(1) == 0
    with sqlite3.connect(serve.data_dir / "vocloud.sqlite3") as db:
        phase, message = db.execute(
            "SELECT phase, error_message FROM uws_job WHERE job_id = ?", (job.rsplit("/", 1)[1],)
        ).fetchone()
    assert phase == "ERROR"
    assert message == "The worker was shut down while the job ran. Run it again."


def wait_until(predicate: Callable[[], object], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.1)


def _still_running(pids: set[int], within: float) -> set[int]:
    deadline = time.monotonic() + within
    while (left := {pid for pid in pids if alive(pid)}) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _fully_up(platform: Platform) -> bool:
    tree = children_map()
    workers = [platform.pid("worker"), platform.pid("worker-gpu")]
    fork_servers = [
        child for worker in workers for child in tree.get(worker, []) if _is_fork_server(child)
    ]
    return len(fork_servers) == 2 and len(tree.get(platform.pid("web"), [])) == 2


def _job_processes(platform: Platform) -> list[int]:
    tree = children_map()
    servers = [child for child in tree.get(platform.pid("worker"), []) if _is_fork_server(child)]
    return [job for server in servers for job in tree.get(server, [])]


def _is_fork_server(pid: int) -> bool:
    return "multiprocessing.forkserver" in _command(pid)


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:160]
    except OSError:
        return ""


def _describe(pids: set[int], names: dict[int, str]) -> str:
    return "; ".join(f"{pid} {names.get(pid, '?')}" for pid in sorted(pids))


def _processes_of(data_dir: Path) -> list[int]:
    """Live processes of the platform in ``data_dir``: it is in their environment, or in the
    command line of the broker (redis-server writes its title over its environment)."""
    marker = f"VOCLOUD_DATA_DIR={data_dir}\0".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        pid = int(proc.name)
        try:
            mine = marker in (proc / "environ").read_bytes() or str(data_dir) in _command(pid)
        except OSError:
            continue
        if mine and pid != os.getpid() and alive(pid):
            found.append(pid)
    return found
