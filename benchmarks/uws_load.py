"""UWS latency and throughput of the platform as README starts it (`manage.py serve`).

Stores 10,000 finished jobs first (lists and lookups on a realistic table), then prints, in
one run:

- one trivial job's end-to-end time with one client: POST with ``PHASE=RUN`` until a
  blocking ``WAIT`` returns COMPLETED, as pyvo does (median and p90 of ``--e2e`` jobs);
- jobs/s with 1 and with 4 clients (``--jobs`` each), ``selftest`` with ``DURATION=0``;
- GET latency p50/p99 of one job document (finished jobs, whose documents are cached, and
  executing ones), with 1 client (serial) and with 4, against two
  baselines served by the same gunicorn in the same run: ``GET /health/live`` (a bare
  Django view) and ``GET /health`` (a view with one database query).

Usage: python benchmarks/uws_load.py [--jobs 200] [--requests 2000] [--stored 10000]
       [--database-url postgres://...] [--broker-url redis://...]
"""

from __future__ import annotations

import argparse
import random
import re
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
PHASE = re.compile(rb"<uws:phase>(\w+)</uws:phase>")
ACTIVE = ("PENDING", "QUEUED", "EXECUTING")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def sessions(platform: Platform, n: int) -> list:
    made = [platform.session("alice") for _ in range(n)]
    for session in made:  # the first Basic check per web process costs a password hash
        for _ in range(4):
            session.get(platform.jobs_url(), params={"LAST": 1}).raise_for_status()
    return made


def one_job(platform: Platform, session) -> tuple[str, float]:
    """Create and run a trivial job, wait for it as pyvo does; (URL, seconds)."""
    start = time.perf_counter()
    response = session.post(
        platform.jobs_url(), data={"DURATION": "0", "PHASE": "RUN"}, allow_redirects=False
    )
    response.raise_for_status()
    url = response.headers["Location"]
    phase = "QUEUED"
    while phase in ACTIVE:
        document = session.get(url, params={"WAIT": 30, "PHASE": phase}).content
        phase = PHASE.search(document).group(1).decode()
    assert phase == "COMPLETED", phase
    return url, time.perf_counter() - start


def throughput(platform: Platform, n_jobs: int, n_clients: int) -> tuple[float, list[str]]:
    clients = sessions(platform, n_clients)
    start = time.perf_counter()
    with ThreadPoolExecutor(n_clients) as pool:
        done = list(
            tqdm(
                pool.map(lambda i: one_job(platform, clients[i % n_clients]), range(n_jobs)),
                total=n_jobs,
                desc=f"jobs, {n_clients} client(s)",
            )
        )
    return n_jobs / (time.perf_counter() - start), [url for url, _ in done]


def executing_jobs(platform: Platform, session, n: int) -> list[str]:
    """``n`` jobs that run for minutes (their documents change: never cached)."""
    urls = []
    for _ in range(n):
        response = session.post(
            platform.jobs_url(), data={"DURATION": "600", "PHASE": "RUN"}, allow_redirects=False
        )
        response.raise_for_status()
        urls.append(response.headers["Location"])
    for url in urls:
        phase = "QUEUED"
        while phase != "EXECUTING":
            document = session.get(url, params={"WAIT": 10, "PHASE": phase}).content
            phase = PHASE.search(document).group(1).decode()
    return urls


def latencies(platform: Platform, urls: dict[str, list[str]], n_clients: int, n: int):
    """GET latencies (s) of each list of URLs, ``n`` requests each, ``n_clients`` at once."""
    clients = sessions(platform, n_clients)
    rng = random.Random(1)

    def timed(i: int, url: str) -> float:
        start = time.perf_counter()
        response = clients[i % n_clients].get(url)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        return elapsed

    out = {}
    with ThreadPoolExecutor(n_clients) as pool:
        for name, choices in urls.items():
            picks = [rng.choice(choices) for _ in range(n)]
            list(pool.map(timed, range(min(n, 200)), picks))  # warm-up, not counted
            out[name] = list(
                tqdm(pool.map(timed, range(n), picks), total=n, desc=f"{name}, {n_clients}")
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200, help="jobs per throughput run")
    parser.add_argument("--e2e", type=int, default=50, help="jobs timed one by one")
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--broker-url", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vocloud-bench-") as tmp:
        # The stored jobs count against the per-user cap of 10,000 jobs: lift it.
        extra = {"VOCLOUD_WARM_PROJECTION": "0", "VOCLOUD_MAX_JOBS_PER_USER": "100000"}
        if args.database_url:
            extra["VOCLOUD_DATABASE_URL"] = args.database_url
        if args.broker_url:
            extra["VOCLOUD_BROKER_URL"] = args.broker_url
        env = prepare(Path(tmp), **extra)
        manage(env, "shell", "-c", SEED.format(n=args.stored))
        platform = Platform(Path(tmp), free_port(), env).start()
        try:
            client = sessions(platform, 1)[0]
            one_job(platform, client)  # the first job starts the fork server's imports
            e2e = [one_job(platform, client)[1] for _ in tqdm(range(args.e2e), desc="e2e")]
            rate1, urls = throughput(platform, args.jobs, 1)
            rate4, more = throughput(platform, args.jobs, 4)
            running = executing_jobs(platform, client, 4)
            targets = {
                "GET job (done)": urls + more,
                "GET job (running)": running,
                "GET /health/live": [f"{platform.url}/health/live"],
                "GET /health": [f"{platform.url}/health"],
            }
            serial = latencies(platform, targets, 1, args.requests)
            parallel = latencies(platform, targets, 4, args.requests)
        finally:
            platform.stop()
    backend = "PostgreSQL" if args.database_url else "SQLite"
    broker = "external Redis" if args.broker_url else "embedded Redis"
    print(f"\n{backend}, {broker}; {args.stored} jobs stored before the run")
    print(
        f"one job end to end, 1 client: median {statistics.median(e2e) * 1e3:.1f} ms, "
        f"p90 {percentile(e2e, 0.9) * 1e3:.1f} ms (n = {len(e2e)})"
    )
    print(f"jobs/s: 1 client {rate1:.1f}, 4 clients {rate4:.1f} ({args.jobs} jobs each)")
    for label, table in (("1 client", serial), ("4 clients", parallel)):
        bare = percentile(table["GET /health/live"], 0.5)
        for name, values in table.items():
            p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
            print(
                f"{label:9s} {name:19s} p50 {p50 * 1e3:6.2f} ms  p99 {p99 * 1e3:6.2f} ms  "
                f"p50 / bare view {p50 / bare:4.2f}x  (n = {len(values)})"
            )


if __name__ == "__main__":
    main()
