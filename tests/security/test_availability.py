"""One user cannot stop or stall the platform for everyone.

Rows: attack -> expected outcome, on the running platform as README starts it.
- The embedded Redis dies (killed, out of memory): the launcher starts it again from its
  append-only file; a job created during the outage and one created after it complete.
- One user holds many blocking WAITs: only a few block per web process, the rest answer at
  once, and other users are served meanwhile.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.platform import wait_for_phase

pytestmark = pytest.mark.platform


def test_a_killed_embedded_broker_is_restarted_and_jobs_carry_on(platform):
    alice = platform.session("alice")
    before = platform.pid("broker")
    os.kill(before, signal.SIGKILL)
    during = alice.post(platform.jobs_url(), data={"DURATION": "0", "PHASE": "RUN"})
    assert during.status_code == 200, during.text  # 303 followed to the job: never a 5xx
    deadline = time.monotonic() + 30
    while platform.pid("broker") == before:
        assert time.monotonic() < deadline, "the broker was not started again"
        time.sleep(0.2)
    after = alice.post(platform.jobs_url(), data={"DURATION": "0", "PHASE": "RUN"})
    for job in (during.url, after.url):
        assert wait_for_phase(alice, job, {"COMPLETED", "ERROR"}, timeout=90) == "COMPLETED"


def test_one_user_cannot_hold_every_web_thread_with_blocking_waits(platform):
    """24 blocking WAITs at once on a PENDING job (2 web processes x 16 threads): at most 4
    per process block, the rest answer at once, and another user is served meanwhile."""
    # A token, not a password: 24 first password checks at once would take seconds themselves
    key = platform.api_token("alice", "waits")
    alice = requests.Session()
    alice.headers["Authorization"] = f"Token {key}"
    bob = platform.session("bob")
    job = alice.post(platform.jobs_url(), data={"DURATION": "0"}).url  # PENDING: WAIT blocks

    def wait() -> float:
        start = time.monotonic()
        assert alice.get(job, params={"WAIT": "6"}, timeout=30).status_code == 200
        return time.monotonic() - start

    with ThreadPoolExecutor(24) as pool:
        waits = [pool.submit(wait) for _ in range(24)]
        time.sleep(1)
        start = time.monotonic()
        assert bob.get(platform.jobs_url(), timeout=10).status_code == 200
        bob_s = time.monotonic() - start
        durations = [w.result() for w in waits]
    blocked = sum(d > 4 for d in durations)
    assert 1 <= blocked <= 8, sorted(round(d, 1) for d in durations)  # 4 per process
    assert bob_s < 3
