"""Faults of the production stack: the Redis broker restarts while jobs wait in its queue,
and a job is created while the broker is down. Nothing may be lost."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.support.own_services import start_redis
from tests.support.platform import Platform, free_port, prepare, wait_for_phase

pytestmark = pytest.mark.platform


@pytest.fixture
def stack(own_postgres, tmp_path):
    redis = start_redis(appendonly=True)  # production Redis keeps its queue on disk
    env = prepare(
        tmp_path,
        migrated=True,
        VOCLOUD_DATABASE_URL=own_postgres.migrated_database(f"fault_{uuid.uuid4().hex[:8]}"),
        VOCLOUD_BROKER_URL=redis.url(2),
        VOCLOUD_WORKER_THREADS="2",
    )
    platform = Platform(tmp_path, free_port(), env).start()
    yield platform, redis
    platform.stop()
    redis.stop()


def test_jobs_queued_over_a_broker_restart_all_run(stack):
    platform, redis = stack
    alice = platform.session("alice")
    urls = []
    for i in range(12):  # 2 worker threads: most of these wait in the broker's queue
        created = alice.post(
            platform.jobs_url(), data={"DURATION": "1", "NOTE": str(i), "PHASE": "RUN"}
        )
        assert created.history[0].status_code == 303
        urls.append(created.url)
    redis.stop(keep_data=True)
    time.sleep(2)
    # While the broker is down a job can still be created: it waits as QUEUED, and is sent
    # again when the broker is back (the janitor re-sends jobs whose message may be lost).
    during = alice.post(platform.jobs_url(), data={"DURATION": "0", "PHASE": "RUN"})
    assert during.status_code < 500, during.text[:300]
    redis = start_redis(redis.root, redis.port, appendonly=True)
    stack_redis = redis
    try:
        for url in [*urls, during.url]:
            assert wait_for_phase(alice, url, {"COMPLETED", "ERROR"}, timeout=120) == "COMPLETED"
    finally:
        stack_redis.stop(keep_data=True)


def test_a_database_restart_mid_job_leaves_consistent_jobs(stack, own_postgres):
    import subprocess

    from tests.support.own_services import _as_postgres

    platform, _redis = stack
    alice = platform.session("alice")
    running = alice.post(platform.jobs_url(), data={"DURATION": "8", "PHASE": "RUN"})
    assert wait_for_phase(alice, running.url, {"EXECUTING"}, timeout=30) == "EXECUTING"
    pg_ctl = [str(own_postgres.bindir / "pg_ctl"), "-D", str(own_postgres.root / "data")]
    pg_ctl += ["-l", str(own_postgres.root / "log")]  # else the server keeps our pipes open
    subprocess.run(
        _as_postgres([*pg_ctl, "-m", "fast", "-w", "restart"]),
        check=True,
        capture_output=True,
        timeout=60,
    )
    # the running job ends in a state that says what happened, and the platform goes on
    phase = wait_for_phase(alice, running.url, {"COMPLETED", "ERROR"}, timeout=60)
    assert phase in ("COMPLETED", "ERROR")
    after = alice.post(platform.jobs_url(), data={"DURATION": "0", "PHASE": "RUN"})
    assert after.status_code == 200, after.text[:300]
    assert wait_for_phase(alice, after.url, {"COMPLETED", "ERROR"}, timeout=60) == "COMPLETED"
