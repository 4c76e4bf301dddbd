"""The same platform on the production stack: PostgreSQL and an external Redis broker.

The tests start both from Debian's packages, on free ports with temporary data directories
(tests/support/own_services.py); they need no server that is already running.
"""

import pytest
from pyvo.dal import AsyncTAPJob

pytestmark = pytest.mark.platform


def test_jobs_run_and_abort_on_postgresql_and_redis(pg_platform):
    production = pg_platform
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
