"""Labelling view with 2,048 / 20,000 / 100,000 points: server time, page size, time to
first render in headless Chromium.

A temporary platform directory gets a user, a dataset of N synthetic spectra (64 pixels)
and, per size, a labelling round whose al-round results (``projection.vot``,
``scores.vot``, as the job writes them) hold N points; 1 % of them are labelled. The page is
served by gunicorn (2 workers, as ``manage.py serve``); Debian's Chromium (Playwright)
loads it three times per size after a warm-up load. Reported: the server's time for the
HTML (first byte), the HTML size, DOMContentLoaded, and "ready" (BokehJS has built the
document, the page script is wired: ``body[data-ready]``) followed by two animation frames
(the WebGL scatter has been drawn).

Usage: python benchmarks/labelling_view.py [--sizes 2048 20000 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-secret-1"
CLASSES = ["A", "B", "C", "D"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_platform(data_dir: Path, sizes: list[int]) -> dict[int, str]:
    """Django objects and files for each size; returns size -> page path."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from services.datasets.grid import Grid
    from services.datasets.writer import DatasetWriter
    from services.learning.votable import write_table
    from services.storage import user_space
    from vocloud.labelling import operations
    from vocloud.labelling.models import Round, Session
    from vocloud.uws import service, storage
    from vocloud.uws.models import Job, Phase

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    user = get_user_model().objects.create_user("bench", password=PASSWORD)
    space = user_space(data_dir, user.pk).ensure()
    n_max = max(sizes)
    rng = np.random.default_rng(0)
    writer = DatasetWriter(space.datasets, "bench", Grid.linear(6400, 6700, 64), capacity=n_max)
    paths = [f"bench/s{i:06d}.fits" for i in range(n_max)]
    ones, good = np.ones(64, np.float32), np.zeros(64, bool)
    for i, path in enumerate(paths):
        meta = {"path": path, "object": f"star {i}", "ra": i % 360, "dec": 0.0}
        writer.append(rng.normal(1, 0.1, 64).astype(np.float32), ones, good, meta)
    writer.commit({"sources": ["bench"]})
    pages = {}
    for n in sizes:
        session = Session.objects.create(
            owner=user, name=f"bench {n}", dataset="bench", classes=CLASSES
        )
        job = Job.objects.create(
            kind="al-round",
            owner=user,
            phase=Phase.COMPLETED,
            creation_time=service.now_ms(),
            execution_duration=0,
            destruction=service.latest_destruction(),
        )
        results = storage.results_dir(job.job_id)
        results.mkdir(parents=True)
        rows = rng.permutation(n_max)[:n]
        score = np.sort(rng.random(n))[::-1]
        base = {
            "row": rows,
            "path": np.array(paths)[rows],
            "object": np.array([f"star {r}" for r in rows]),
        }
        write_table(
            {**base, "score": score, "x": rng.normal(size=n), "y": rng.normal(size=n)},
            results / "projection.vot",
            "bench",
        )
        write_table(
            {
                **base,
                "score": score,
                "predicted": rng.choice(CLASSES, n),
                "confidence": rng.uniform(0.25, 1, n),
                "selected": np.arange(n),
            },
            results / "scores.vot",
            "bench",
        )
        Round.objects.create(session=session, number=1, snapshot="", round_job=job)
        labelled = [str(p) for p in base["path"][: max(1, n // 100)]]
        operations.apply(session, labelled, value="A")
        pages[n] = f"/labelling/{session.pk}/rounds/1/"
    return pages


def measure(url: str, pages: dict[int, str], repeats: int) -> list[dict]:
    import requests
    from playwright.sync_api import sync_playwright

    from tests.support.browser import CHROMIUM_FLAGS, chromium_path

    found = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        idle: list[float] = []  # BokehJS logs "document idle at N ms" (since navigation)
        page.on(
            "console",
            lambda m: (
                idle.append(float(m.text.split(" at ")[1].split()[0]))
                if "document idle at" in m.text
                else None
            ),
        )
        page.goto(f"{url}/accounts/login/")
        page.fill("input[name=username]", "bench")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("text=Log out")
        session = requests.Session()
        for cookie in context.cookies():
            session.cookies.set(cookie["name"], cookie["value"])
        for n, path in pages.items():
            page.goto(url + path)  # warm-up: the web process reads and caches the sample
            page.wait_for_selector("body[data-ready='1']", timeout=600_000)
            server, size, loaded, ready, wired = [], 0, [], [], []
            idle.clear()
            for _ in range(repeats):
                start = time.perf_counter()
                response = session.get(url + path)
                server.append(response.elapsed.total_seconds())
                size = len(response.content)
                start = time.perf_counter()
                page.goto(url + path, wait_until="domcontentloaded")
                loaded.append(time.perf_counter() - start)
                page.wait_for_selector("body[data-ready='1']", timeout=600_000)
                page.evaluate(
                    "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
                )
                ready.append(time.perf_counter() - start)
                wired.append(
                    page.evaluate(
                        "() => ['vocloud-wire', 'vocloud-wired'].map("
                        "(n) => performance.getEntriesByName(n)[0].startTime / 1000)"
                    )
                )
            row = {
                "points": n,
                "server_s": statistics.median(server),
                "html_mb": size / 1e6,
                "dom_s": statistics.median(loaded),
                "ready_s": statistics.median(ready),
                "bokeh_idle_s": statistics.median(idle[-repeats:]) / 1000 if idle else None,
                "wire_start_s": statistics.median(w[0] for w in wired),
                "wired_s": statistics.median(w[1] for w in wired),
            }
            print(json.dumps(row), flush=True)
            found.append(row)
        browser.close()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2048, 20000, 100000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="vocloud-bench-label-"))
    env = {
        **os.environ,
        "VOCLOUD_DATA_DIR": str(data_dir),
        "VOCLOUD_SECRET_KEY": secrets.token_urlsafe(50),  # this run's own (none in the source)
        "DJANGO_SETTINGS_MODULE": "vocloud.settings",
    }
    os.environ.update(env)
    port = free_port()
    server = None
    try:
        print(f"setting up {args.sizes} points in {data_dir} ...", flush=True)
        pages = setup_platform(data_dir, args.sizes)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "vocloud.wsgi:application",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "2",
                "--threads",
                "4",
                "--timeout",
                "600",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        rows = measure(f"http://127.0.0.1:{port}", pages, args.repeats)
        print(
            f"\n{'points':>8} | {'server (s)':>10} | {'HTML (MB)':>9} | "
            f"{'DOM loaded (s)':>14} | {'first render (s)':>16}"
        )
        for r in rows:
            print(
                f"{r['points']:>8} | {r['server_s']:>10.2f} | {r['html_mb']:>9.1f} | "
                f"{r['dom_s']:>14.2f} | {r['ready_s']:>16.2f}"
            )
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
