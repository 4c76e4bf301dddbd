"""File manager listing: a page of a 100,000-file folder served through the real view.

A temporary platform directory gets a user whose storage holds one folder of N empty
(sparse, sized) files with distinct mtimes. The folder page is requested through Django's
test client, in process (the whole view: login, containment, listing, template), for:

- page 1 sorted by name,
- a middle page sorted by size, largest first,
- a filtered page (name contains "SPEC-0", case-insensitive: every name; newest first).

The first request of each (the folder's one ``os.scandir`` plus the sort) is reported on
its own; then ``--repeats`` requests give the median and the 95th percentile. The same for
a 1,000-file folder as the baseline.

Usage: python benchmarks/files_listing.py [--sizes 1000 100000] [--repeats 40]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_folder(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    base = time.time() - 400 * 86_400
    for i in range(n):
        path = os.path.join(folder, f"{'Spec' if i % 3 else 'spec'}-{i:06d}.fits")
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
        os.ftruncate(fd, (i * 7919) % 100_003)
        os.close(fd)
        os.utime(path, (base + i * 60, base + i * 60))
    os.utime(folder, (base, base))  # settled, as a folder nobody is writing to


def timed(client, url: str, params: dict) -> float:
    start = time.perf_counter()
    response = client.get(url, params)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, url
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="vocloud-bench-files-"))
    try:
        return run(args, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(args: argparse.Namespace, data_dir: Path) -> int:
    os.environ.update(
        VOCLOUD_DATA_DIR=str(data_dir),
        VOCLOUD_SECRET_KEY=secrets.token_hex(32),
        DJANGO_SETTINGS_MODULE="vocloud.settings",
        VOCLOUD_ALLOWED_HOSTS="testserver",
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from services.storage import browsing, user_space

    setup_test_environment()  # response.context, as in the tests
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password=secrets.token_hex(8))
    space = user_space(data_dir, user.pk).ensure()
    client = Client()
    client.force_login(user)
    cases = {
        "page 1, by name": {},
        "middle page, by size (desc)": {"sort": "size", "order": "desc"},
        "filtered ('SPEC-0'), newest first": {"q": "SPEC-0", "sort": "modified", "order": "desc"},
    }
    (space.files / "warm-up").mkdir()
    for _ in range(3):  # templates, URLs and the quota's usage counter, once per process
        client.get("/files/browse/warm-up")
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    print(f"{'files':>8} | {'request':<36} | {'first':>8} | {'median':>8} | {'p95':>8}")
    for n in args.sizes:
        make_folder(space.files / f"f{n}", n)
        url = f"/files/browse/f{n}"
        browsing.forget_listings()
        for name, params in cases.items():
            if "middle" in name:
                params = {**params, "page": max(1, n // 200)}
            first = timed(client, url, params)
            times = sorted(timed(client, url, params) for _ in range(args.repeats))
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            print(
                f"{n:>8} | {name:<36} | {first * 1000:>6.0f}ms | "
                f"{statistics.median(times) * 1000:>6.1f}ms | {p95 * 1000:>6.1f}ms"
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
