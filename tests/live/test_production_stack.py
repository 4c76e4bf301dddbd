"""The same platform on the production stack: PostgreSQL and an external Redis broker.

These services run on the project's machines and in CI; on a laptop without them the
test is skipped (the README's default path never needs them).
"""

import socket
import subprocess
import uuid

import pytest
from pyvo.dal import AsyncTAPJob

from tests.support.platform import Platform, free_port, prepare

pytestmark = pytest.mark.platform


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def production(tmp_path):
    if not (reachable(5432) and reachable(6379)):
        pytest.skip("PostgreSQL (5432) and Redis (6379) are not running here")
    name = f"vocloud_test_{uuid.uuid4().hex[:8]}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-c"]
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True, capture_output=True)
    env = prepare(
        tmp_path,
        VOCLOUD_DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}",
        VOCLOUD_BROKER_URL=f"redis://127.0.0.1:6379/{uuid.uuid4().int % 15 + 1}",
    )
    platform = Platform(tmp_path, free_port(), env).start()
    yield platform
    platform.stop()
    subprocess.run([*psql, f"DROP DATABASE {name} WITH (FORCE)"], capture_output=True)


def test_jobs_run_and_abort_on_postgresql_and_redis(production):
    session = production.session("alice")
    created = session.post(production.jobs_url(), data={"DURATION": "0.5", "NOTE": "pg"})
    with AsyncTAPJob(created.url, session=session) as job:
        job.run().wait(timeout=60)
        assert job.phase == "COMPLETED"
        assert len(job.fetch_result().to_table()) == 3
    long = session.post(production.jobs_url(), data={"DURATION": "30", "PHASE": "RUN"})
    with AsyncTAPJob(long.url, session=session) as job:
        job.wait(phases=["EXECUTING"], timeout=30)
        job.abort()
        assert job.phase == "ABORTED"
