"""Start the whole platform the way README does (`manage.py serve`), in a temporary data dir."""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.support.remote import REMOTE_HOST

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-2", "staff": "staff-secret-3"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def platform_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOCLOUD_")}
    env.update(
        VOCLOUD_DATA_DIR=str(data_dir),
        VOCLOUD_SECRET_KEY=secrets.token_urlsafe(50),  # each platform its own
        VOCLOUD_FETCH_ALLOW=REMOTE_HOST,  # the tests' stand-ins for remote archives
        VOCLOUD_UWS_MAX_WAIT="5",
        # A lost worker is noticed quickly, yet a busy 2-core machine (training jobs, xdist,
        # SQLite locks) never starves a live job's 1 s heartbeat this long.
        VOCLOUD_HEARTBEAT_TIMEOUT="8",
        VOCLOUD_LOG_LEVEL="WARNING",
        # Platforms of one run share numba's disk cache (UMAP compiled once, not per
        # platform) and do not compile UMAP at start unless asked (the session platform,
        # which runs projections, asks).
        VOCLOUD_NUMBA_CACHE_DIR=str(shared_dir() / "numba"),
        VOCLOUD_WARM_PROJECTION="0",
        DJANGO_SETTINGS_MODULE="vocloud.settings",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )


@dataclass
class Platform:
    data_dir: Path
    port: int
    env: dict[str, str]
    worker: bool = True
    worker_threads: int = 4
    process: subprocess.Popen | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.data_dir / "serve.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def jobs_url(self, kind: str = "selftest") -> str:
        return f"{self.url}/uws/{kind}/async"

    def session(self, user: str) -> requests.Session:
        session = requests.Session()
        session.auth = (user, PASSWORDS[user])
        return session

    def portal_session(self, user: str) -> requests.Session:
        """A browser-like session logged in through the login page (CSRF and all)."""
        session = requests.Session()
        session.get(f"{self.url}/accounts/login/").raise_for_status()
        response = session.post(
            f"{self.url}/accounts/login/",
            data={
                "username": user,
                "password": PASSWORDS[user],
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": f"{self.url}/accounts/login/"},
        )
        assert response.status_code == 200 and "Log out" in response.text, response.text[:500]
        return session

    def api_token(self, user: str, name: str = "tests") -> str:
        """A new API token of ``user``'s, made on the tokens page as a person would."""
        import re

        portal = self.portal_session(user)
        page = portal.post(
            f"{self.url}/accounts/tokens/",
            data={"name": name, "csrfmiddlewaretoken": portal.cookies["csrftoken"]},
            headers={"Referer": f"{self.url}/accounts/tokens/"},
        )
        return re.search(r"<code[^>]*>([A-Za-z0-9_\-]{20,})</code>", page.text).group(1)

    def pid(self, name: str) -> int:
        return int((self.data_dir / "run" / f"{name}.pid").read_text())

    def start(self, timeout: float = 90) -> Platform:
        args = [
            sys.executable,
            str(ROOT / "manage.py"),
            "serve",
            "--port",
            str(self.port),
            "--worker-threads",
            "4",
        ]
        if not self.worker:
            args.append("--no-worker")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                args, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: {self.log.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"platform did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def start_workers(platform: Platform, count: int, threads: int = 1) -> list[subprocess.Popen]:
    """``count`` more GPU-queue workers (as on other machines), each capped at ``threads``."""
    env = {
        **platform.env,
        "OMP_NUM_THREADS": str(threads),
        "TF_NUM_INTRAOP_THREADS": str(threads),
        "TF_NUM_INTEROP_THREADS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    args = ["worker", "--queues", "gpu", "--threads", "1", "--no-warm-projection"]
    workers = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    time.sleep(4)  # Django set-up and the job fork server
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    """Stop workers as systemd would (SIGINT), killing those that do not stop in 20 s."""
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)
    for worker in workers:
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def prepare(data_dir: Path, migrated: bool = False, **env_extra: str) -> dict[str, str]:
    """Migrate a fresh data dir and create the personas; return the environment.

    On SQLite (the default) the migrated database and the collected static files are made
    once per test run (:func:`_template`) and copied: five Django start-ups per platform
    saved. ``migrated``: the database of ``VOCLOUD_DATABASE_URL`` has its tables and the
    personas already (``OwnPostgres.migrated_database``).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    env = platform_env(data_dir, **env_extra)
    if "VOCLOUD_DATABASE_URL" in env_extra and not migrated:
        _migrate_and_add_personas(env)
        return env
    template = _template()
    if "VOCLOUD_DATABASE_URL" not in env_extra:
        shutil.copy2(template / "vocloud.sqlite3", data_dir / "vocloud.sqlite3")
    (data_dir / "static").symlink_to(template / "static", target_is_directory=True)
    return env


def _migrate_and_add_personas(env: dict[str, str]) -> None:
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    for user, password in PASSWORDS.items():
        extra = ["--staff"] if user == "staff" else []
        manage(env, "ensure_user", user, password, *extra)


def _template() -> Path:
    """A migrated SQLite data dir with the personas, made by the first caller of the run."""
    template = shared_dir() / "platform-template"
    with (shared_dir() / "platform-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist's workers take turns
        if not (template / "done").exists():
            shutil.rmtree(template, ignore_errors=True)
            template.mkdir()
            _migrate_and_add_personas(platform_env(template))
            (template / "done").touch()
    return template


def shared_dir() -> Path:
    """A directory of this test run shared by all its processes (pytest-xdist's workers).

    tests/conftest.py makes it (``VOCLOUD_TEST_SHARED_DIR``) before the workers start, so
    they inherit it, and removes it at the end; outside pytest a temporary one is made.
    """
    path = os.environ.get("VOCLOUD_TEST_SHARED_DIR")
    if not path:
        path = os.environ["VOCLOUD_TEST_SHARED_DIR"] = tempfile.mkdtemp(prefix="vocloud-tests-")
    return Path(path)


def wait_for_phase(
    session: requests.Session, job_url: str, phases: set[str], timeout: float = 30
) -> str:
    from lxml import etree

    deadline = time.monotonic() + timeout
    phase = ""
    while time.monotonic() < deadline:
        text = session.get(f"{job_url}/phase", timeout=10).text.strip()
        phase = text
        if phase in phases:
            return phase
        time.sleep(0.1)
    document = etree.fromstring(session.get(job_url, timeout=10).content)
    raise AssertionError(
        f"{job_url} stayed {phase}, wanted {phases}: {etree.tostring(document)[:1000]!r}"
    )


def run_job(session, platform: Platform, kind: str, files=None, **params):
    """Create a job of ``kind`` with pyvo, run it to the end; raise if it did not complete."""
    from pyvo.dal import AsyncTAPJob

    created = session.post(platform.jobs_url(kind), data=params, files=files)
    job = AsyncTAPJob(created.url, session=session)
    job.run().wait(timeout=300)
    job.raise_if_error()
    return job
