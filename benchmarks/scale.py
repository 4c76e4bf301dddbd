"""Distributed scoring: one score job over a large pool with 1, 2, 4... GPU-queue workers.

The platform runs as in production, less its own job workers (``manage.py serve
--no-worker``: web, embedded broker, janitor); this script starts K worker processes
(``manage.py worker --queues gpu --threads 1``) beside it, as K GPU machines would, and
runs the same ``score`` job (shards of ``--shard-size`` spectra) for each K. A run with one
worker and the pool in one piece is the baseline: what sharding itself costs. Every run
must give the same scores (checked).

The pool is synthetic (``--n`` spectra, one absorption or emission line on a continuum),
written straight into the user's dataset store; the model is a small ``train`` job on 600
of them. Thread pools of every worker are capped at ``--threads`` so that K workers on a
machine with C cores compete only when K x threads > C.

Usage: python benchmarks/scale.py [--n 200000] [--n-pix 1000] [--workers 1 2 4]
       [--shard-size 25000] [--threads 1] [--model default|small]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.platform import (  # noqa: E402
    Platform,
    free_port,
    prepare,
    run_job,
    start_workers,
    stop_workers,
)

CLASSES = ("absorption", "emission", "flat")
# The train job's defaults (filters 16/32/64, dense 128), or a small network whose scoring
# costs so little that the per-shard start-up dominates.
MODELS = {"default": {}, "small": {"FILTERS": "8,16", "KERNEL_SIZES": "7,5", "DENSE": 32}}
USER = "alice"


def cpu_model() -> str:
    out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    names = [ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")]
    return f"{names[0] if names else 'unknown CPU'}, {os.cpu_count()} logical CPUs"


def user_root(env: dict[str, str]) -> Path:
    code = (
        "from django.contrib.auth.models import User; from django.conf import settings; "
        "from services.storage import user_space; "
        f"print(user_space(settings.DATA_DIR, User.objects.get(username='{USER}').id).root)"
    )
    out = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return Path(out.stdout.strip().splitlines()[-1])


def write_pool(root: Path, n: int, n_pix: int) -> list[tuple[str, str]]:
    """The synthetic dataset ``pool`` in the user's store; returns 600 (path, class) labels."""
    from services.datasets.grid import Grid
    from services.datasets.writer import DatasetWriter
    from services.storage import UserSpace

    space = UserSpace(root).ensure()
    rng = np.random.default_rng(0)
    pix = np.arange(n_pix, dtype=np.float32)
    writer = DatasetWriter(space.datasets, "pool", Grid.linear(4000.0, 7000.0, n_pix), n)
    kinds = rng.integers(0, 3, n)
    ivar, mask = np.ones(n_pix, np.float32), np.zeros(n_pix, bool)
    with tqdm(total=n, desc="writing the pool", unit="spectra") as bar:
        for start in range(0, n, 2000):
            m = min(2000, n - start)
            centre = rng.uniform(0.1 * n_pix, 0.9 * n_pix, (m, 1)).astype(np.float32)
            sign = np.array([-0.5, 0.5, 0.0], np.float32)[kinds[start : start + m]][:, None]
            flux = 1 + sign * np.exp(-0.5 * ((pix - centre) / 5) ** 2)
            flux += rng.normal(0, 0.05, (m, n_pix)).astype(np.float32)
            for i in range(m):
                path = f"pool/s{start + i:07d}.fits"
                writer.append(flux[i], ivar, mask, {"path": path, "object": path[5:-5]})
            bar.update(m)
    writer.commit({"sources": ["synthetic"]})
    return [(f"pool/s{i:07d}.fits", CLASSES[kinds[i]]) for i in range(600)]


def timed_score(platform: Platform, session, model: str, shard_size: int) -> tuple[str, float]:
    """Run one score job; (job id, seconds from its creation to COMPLETED)."""
    begin = time.monotonic()
    job = run_job(
        session, platform, "score", MODEL=model, DATASET="pool", K=2048, MC_SAMPLES=20,
        BATCH_SIZE=256, SHARD_SIZE=shard_size, ACQUISITION="bald",
    )  # fmt: skip
    return job.job_id, time.monotonic() - begin


def scores_of(platform: Platform, job_id: str) -> np.ndarray:
    path = next(platform.data_dir.rglob(f"{job_id}/results/arrays.npz"))
    with np.load(path) as arrays:
        return arrays["score"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--n-pix", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--shard-size", type=int, default=25_000)
    parser.add_argument("--threads", type=int, default=1, help="threads per worker")
    parser.add_argument("--model", choices=sorted(MODELS), default="default")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="vocloud-scale-"))
    print(f"machine: {cpu_model()}; data in {data_dir}")
    env = prepare(data_dir, VOCLOUD_HEARTBEAT_TIMEOUT="30", VOCLOUD_UWS_MAX_WAIT="60")
    labels = write_pool(user_root(env), args.n, args.n_pix)
    platform = Platform(data_dir, free_port(), env, worker=False).start()
    try:
        session = platform.session(USER)
        snapshot = io.StringIO()
        csv.writer(snapshot).writerows([("path", "class"), *labels])
        trainers = start_workers(platform, 1, os.cpu_count() or 1)
        try:
            model = run_job(
                session, platform, "train", DATASET="pool", EPOCHS=3, BATCH_SIZE=64, SEED=1,
                files={"LABELS": ("labels.csv", snapshot.getvalue())}, **MODELS[args.model],
            ).job_id  # fmt: skip
        finally:
            stop_workers(trainers)
        cores = os.cpu_count() or 1
        runs = [(1, args.n, args.threads, "1 worker, one piece (baseline)")]
        runs += [
            (k, args.shard_size, args.threads, f"{k} worker(s), shards of {args.shard_size}")
            for k in args.workers
        ]
        runs.append((1, args.n, cores, f"1 worker using all {cores} cores, one piece"))
        rows, reference = [], None
        for k, shard_size, threads, label in runs:
            workers = start_workers(platform, k, threads)
            try:
                job_id, seconds = timed_score(platform, session, model, shard_size)
            finally:
                stop_workers(workers)
            scores = scores_of(platform, job_id)
            reference = scores if reference is None else reference
            same = np.allclose(scores, reference, rtol=1e-5, atol=1e-7)
            rows.append((label, seconds, same))
            rate = args.n / seconds
            print(f"{label}: {seconds:.1f} s, {rate:.0f} spectra/s, same scores: {same}")
        base = rows[0][1]
        print(
            f"\n{args.n} spectra x {args.n_pix} pixels, {args.model} model, T=20, "
            f"{args.threads} thread(s)/worker"
        )
        print("| run | seconds | spectra/s | speed-up vs baseline | same scores |")
        print("|---|---|---|---|---|")
        for label, seconds, same in rows:
            print(f"| {label} | {seconds:.1f} | {args.n / seconds:.0f} | {base / seconds:.2f}x "
                  f"| {'yes' if same else 'NO'} |")  # fmt: skip
    finally:
        platform.stop()


if __name__ == "__main__":
    main()
