"""UWS load: K concurrent clients create and run N selftest jobs (DURATION=0).

Starts the platform as README does (`manage.py serve`) in a temporary data directory, stores
10,000 finished jobs first (so that lists and lookups work on a realistic table), then prints:

- jobs/s: N jobs created with PHASE=RUN by K clients, until the last one is COMPLETED;
- GET-job latency p50/p99 under K concurrent clients, against GET /health (a bare Django
  request through the same server) measured in the same run as the baseline.

Usage: python benchmarks/uws_load.py [--jobs 500] [--clients 8] [--stored 10000]
       [--database-url postgres://...] [--broker-url redis://...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.platform import Platform, free_port, manage, prepare

SEED = """
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from vocloud.uws.models import Job
alice = get_user_model().objects.get(username="alice")
now = timezone.now().replace(microsecond=0)
Job.objects.bulk_create([Job(kind="selftest", owner=alice, phase="COMPLETED",
    creation_time=now - timedelta(seconds={n} - i), start_time=now, end_time=now,
    execution_duration=600, destruction=now + timedelta(days=30),
    parameters={{"DURATION": "0"}}) for i in range({n})], batch_size=2000)
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_jobs(platform: Platform, n_jobs: int, n_clients: int) -> tuple[float, list[str]]:
    sessions = [platform.session("alice") for _ in range(n_clients)]
    for session in sessions:  # the first Basic check per web process costs a password hash
        session.get(platform.jobs_url(), params={"LAST": 1}).raise_for_status()

    def create(i: int) -> str:
        response = sessions[i % n_clients].post(
            platform.jobs_url(), data={"DURATION": "0", "PHASE": "RUN"}, allow_redirects=False
        )
        response.raise_for_status()
        return response.headers["Location"]

    start = time.perf_counter()
    with ThreadPoolExecutor(n_clients) as pool:
        urls = list(tqdm(pool.map(create, range(n_jobs)), total=n_jobs, desc="create+run"))

    def wait(i: int) -> str:
        # as pyvo's wait() does: blocking WAIT until the job leaves the active phases
        session, url = sessions[i % n_clients], urls[i]
        while (phase := session.get(f"{url}/phase").text) in ("QUEUED", "EXECUTING"):
            session.get(url, params={"WAIT": 30, "PHASE": phase})
        return phase

    with ThreadPoolExecutor(n_clients) as pool:
        phases = list(tqdm(pool.map(wait, range(n_jobs)), total=n_jobs, desc="completed"))
    assert set(phases) == {"COMPLETED"}, set(phases)
    return n_jobs / (time.perf_counter() - start), urls


def latencies(platform: Platform, urls: list[str], n_clients: int, n_requests: int):
    sessions = [platform.session("alice") for _ in range(n_clients)]
    rng = random.Random(1)
    picks = [rng.choice(urls) for _ in range(n_requests)]

    def timed(i: int, url: str) -> float:
        start = time.perf_counter()
        response = sessions[i % n_clients].get(url)
        assert response.status_code == 200
        return time.perf_counter() - start

    with ThreadPoolExecutor(n_clients) as pool:
        health = list(pool.map(lambda i: timed(i, f"{platform.url}/health"), range(n_requests)))
        jobs = list(
            tqdm(pool.map(timed, range(n_requests), picks), total=n_requests, desc="GET job")
        )
    return jobs, health


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--worker-threads", type=int, default=8)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--broker-url", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vocloud-bench-") as tmp:
        extra = {}
        if args.database_url:
            extra["VOCLOUD_DATABASE_URL"] = args.database_url
        if args.broker_url:
            extra["VOCLOUD_BROKER_URL"] = args.broker_url
        env = prepare(Path(tmp), **extra)
        manage(env, "shell", "-c", SEED.format(n=args.stored))
        platform = Platform(Path(tmp), free_port(), env, worker_threads=args.worker_threads).start()
        try:
            rate, urls = run_jobs(platform, args.jobs, args.clients)
            jobs, health = latencies(platform, urls, args.clients, args.requests)
        finally:
            platform.stop()
    backend = "PostgreSQL" if args.database_url else "SQLite"
    broker = "external Redis" if args.broker_url else "embedded Redis"
    p50, p99 = percentile(jobs, 0.5) * 1e3, percentile(jobs, 0.99) * 1e3
    h50, h99 = percentile(health, 0.5) * 1e3, percentile(health, 0.99) * 1e3
    print(
        f"\n{backend}, {broker}; {args.stored} jobs stored, {args.clients} clients, "
        f"{args.worker_threads} worker threads, {args.jobs} jobs"
    )
    print(f"jobs/s (create + run + complete, DURATION=0): {rate:.1f}")
    print(
        f"GET job     p50 {p50:.1f} ms  p99 {p99:.1f} ms  (mean {statistics.mean(jobs) * 1e3:.1f})"
    )
    print(f"GET /health p50 {h50:.1f} ms  p99 {h99:.1f} ms  (baseline)")
    print(f"ratio GET job / baseline: p50 {p50 / h50:.2f}x  p99 {p99 / h99:.2f}x")


if __name__ == "__main__":
    main()
