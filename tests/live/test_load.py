"""Load on loopback: 50 concurrent clients create, run, poll and delete jobs for 20 s on
the platform as README starts it. No job may be lost and no request may fail with 5xx;
the GET-job latency percentiles are printed (docs/benchmarks.md records them).

20 s makes some 4,000 requests and 280 jobs on 2 cores, enough to meet every race the test is
for; ``VOCLOUD_LOAD_SECONDS=60`` runs it for the minute it ran before the suite had to be fast."""

from __future__ import annotations

import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from lxml import etree

pytestmark = pytest.mark.platform
UWS = {"uws": "http://www.ivoa.net/xml/UWS/v1.0"}
CLIENTS = 50
SECONDS = float(os.environ.get("VOCLOUD_LOAD_SECONDS", "20"))
TERMINAL = {"COMPLETED", "ERROR", "ABORTED"}


def _client(platform, deadline: float, record: dict, lock: threading.Lock) -> None:
    session = platform.session("alice")
    while time.monotonic() < deadline:
        created = session.post(
            platform.jobs_url(), data={"DURATION": "0", "PHASE": "RUN"}, allow_redirects=False
        )
        with lock:
            record["status"].append(created.status_code)
        if created.status_code != 303:
            continue
        url = created.headers["Location"]
        with lock:
            record["created"].add(url)
        phase, give_up = "", time.monotonic() + 120
        while phase not in TERMINAL and time.monotonic() < give_up:
            start = time.perf_counter()
            response = session.get(url)
            elapsed = time.perf_counter() - start
            with lock:
                record["status"].append(response.status_code)
                record["get_s"].append(elapsed)
            if response.status_code == 200:
                phase = etree.fromstring(response.content).findtext("uws:phase", namespaces=UWS)
            if phase not in TERMINAL:
                time.sleep(0.2)
        with lock:
            record["final"][url] = phase
        deleted = session.delete(url, allow_redirects=False)
        gone = session.get(url)
        with lock:
            record["status"] += [deleted.status_code, gone.status_code]
            if deleted.status_code == 303 and gone.status_code == 404:
                record["deleted"].add(url)


def test_fifty_clients_for_a_while_lose_nothing(platform):
    record = {"status": [], "get_s": [], "created": set(), "final": {}, "deleted": set()}
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS
    with ThreadPoolExecutor(CLIENTS) as pool:
        for future in [
            pool.submit(_client, platform, deadline, record, lock) for _ in range(CLIENTS)
        ]:
            future.result()
    server_errors = [s for s in record["status"] if s >= 500]
    assert not server_errors, f"{len(server_errors)} server errors"
    assert record["created"], "no job was created"
    lost = {url: phase for url, phase in record["final"].items() if phase != "COMPLETED"}
    assert not lost, f"{len(lost)} jobs did not complete: {list(lost.items())[:5]}"
    assert record["deleted"] == record["created"]
    latencies = sorted(record["get_s"])
    p50 = statistics.median(latencies)
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    print(
        f"load: {CLIENTS} clients, {SECONDS:.0f} s: {len(record['created'])} jobs created, "
        f"run and deleted ({len(record['created']) / SECONDS:.1f}/s), "
        f"{len(record['status'])} requests, none 5xx; GET job p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms"
    )
