"""The shared IVOA UWS 1.1 conformance suite against the platform as README starts it
(SQLite, embedded Redis) and on PostgreSQL with a Redis server (both started by the tests)."""

import os
import secrets
import subprocess
import sys

import pytest

from tests.support.platform import PASSWORDS, ROOT, manage

SUITE = ROOT.parent / "shared" / "conformance"

pytestmark = pytest.mark.platform


def test_shared_uws_conformance_suite_passes(platform):
    run_suite(platform)


def test_shared_uws_conformance_suite_passes_on_postgresql_and_redis(pg_platform):
    run_suite(pg_platform)


# Two halves run at once, each as its own pair of users: the suite mostly waits (blocking
# WAITs, jobs that sleep), and the job-list checks need a user whose jobs no other test
# creates meanwhile. Every test of the suite runs, once.
HALVES = [
    (["test_jobs_list.py", "test_blocking.py", "test_vosi.py"], ("alice", "bob")),
    (
        [
            "test_errors.py",
            "test_job_lifecycle.py",
            "test_job_resources.py",
            "test_pyvo_client.py",
            "test_security.py",
        ],
        ("carol", "dave"),
    ),
]


def run_suite(platform) -> None:
    if not SUITE.is_dir():
        pytest.fail(f"the shared conformance suite is missing: {SUITE}")
    listed = {path.name for path in SUITE.glob("test_*.py")}
    assert listed == {name for files, _ in HALVES for name in files}, "a suite file is not run"
    passwords = {**PASSWORDS, **{user: secrets.token_urlsafe(12) for user in ("carol", "dave")}}
    for user in ("carol", "dave"):
        manage(platform.env, "ensure_user", user, passwords[user])
    # A black-box client: no Django, nothing of this test session (pytest-django's settings
    # module, pytest-xdist's worker variables) leaks into it.
    inherited = {
        k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE" and "PYTEST" not in k
    }
    runs = []
    for files, (user_a, user_b) in HALVES:
        env = {
            **inherited,
            "UWS_JOBS_URL": platform.jobs_url("selftest"),
            "UWS_USER_A": user_a,
            "UWS_PASSWORD_A": passwords[user_a],
            "UWS_USER_B": user_b,
            "UWS_PASSWORD_B": passwords[user_b],
            "UWS_MAX_WAIT": "5",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        command = [sys.executable, "-m", "pytest", *files, "-q", "-p", "no:cacheprovider"]
        command += ["-p", "no:randomly", "-p", "no:django", "-p", "no:xdist"]
        runs.append(
            subprocess.Popen(
                command,
                env=env,
                cwd=SUITE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for run in runs:
        stdout, stderr = run.communicate(timeout=900)
        summary = stdout.strip().splitlines()[-1] if stdout.strip() else ""
        print(f"conformance suite: {summary}")
        assert run.returncode == 0, stdout[-8000:] + stderr[-2000:]
        assert " passed" in summary and "failed" not in summary
