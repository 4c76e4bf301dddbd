"""The shared IVOA UWS 1.1 conformance suite against the platform as README starts it
(SQLite, embedded Redis) and on PostgreSQL with a Redis server (both started by the tests)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.platform import PASSWORDS, ROOT

SUITE = ROOT.parent / "shared" / "conformance"

pytestmark = pytest.mark.platform


def test_shared_uws_conformance_suite_passes(platform):
    run_suite(platform)


def test_shared_uws_conformance_suite_passes_on_postgresql_and_redis(pg_platform):
    run_suite(pg_platform)


def run_suite(platform) -> None:
    if not SUITE.is_dir():
        pytest.fail(f"the shared conformance suite is missing: {SUITE}")
    # A black-box client: no Django, nothing of this test session (pytest-django's settings
    # module, pytest-xdist's worker variables) leaks into it.
    inherited = {
        k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE" and "PYTEST" not in k
    }
    env = {
        **inherited,
        "UWS_JOBS_URL": platform.jobs_url("selftest"),
        "UWS_USER_A": "alice",
        "UWS_PASSWORD_A": PASSWORDS["alice"],
        "UWS_USER_B": "bob",
        "UWS_PASSWORD_B": PASSWORDS["bob"],
        "UWS_MAX_WAIT": "10",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(SUITE),
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-p",
            "no:django",
            "-p",
            "no:xdist",
        ],
        env=env,
        cwd=Path(SUITE),
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    print(f"conformance suite: {summary}")
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary
