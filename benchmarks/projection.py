"""Projection speed: PCA, t-SNE and UMAP on 2,048 / 20,000 / 100,000 synthetic embeddings.

The embeddings are 64-dimensional, 20 Gaussian clusters (seeded), float32, as a network's
penultimate layer would give. Each method runs through :func:`services.projection.project`
with its defaults (t-SNE and UMAP reduce to 50 dimensions with PCA first), one thread.

UMAP's first call in a new process is timed in child processes: with an empty numba cache
directory, with the cache the first child filled, and after
:func:`services.projection.warm_up`; the size table is then measured warm, in this
process (after ``warm_up(large=True)``, which also compiles pynndescent's index, used above
``EXACT_KNN_MAX_POINTS``). A (method, size) whose time, extrapolated from the previous size as
``t * (n / n_prev) ** 1.15``, would exceed ``--limit`` seconds is skipped and marked so;
sklearn t-SNE is only run up to its size limit.

Usage: python benchmarks/projection.py [--sizes 2048 20000 100000] [--limit 300]
       [--methods PCA "UMAP (warm)" ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from services.projection import (  # noqa: E402
    SKLEARN_TSNE_MAX_POINTS,
    project,
    warm_up,
)

N_FEATURES = 64
N_CLUSTERS = 20
EXPONENT = 1.15  # extrapolation of time with size (t-SNE/UMAP are ~n log n)
METHODS = {  # label -> project() options
    "PCA": {"method": "pca"},
    "t-SNE (openTSNE)": {"method": "tsne", "tsne_backend": "opentsne"},
    "t-SNE (sklearn)": {"method": "tsne", "tsne_backend": "sklearn"},
    "UMAP (warm)": {"method": "umap"},
}


def embeddings(n: int, seed: int = 0) -> np.ndarray:
    """``n`` rows of 64-D float32 from 20 Gaussian clusters (unit spread, centres ~N(0, 4))."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 4.0, size=(N_CLUSTERS, N_FEATURES))
    labels = rng.integers(0, N_CLUSTERS, size=n)
    return (centres[labels] + rng.normal(size=(n, N_FEATURES))).astype(np.float32)


def first_call_seconds(cache_dir: Path, n: int, warm: bool) -> dict[str, float]:
    """In a new Python process using numba cache ``cache_dir``: [warm_up, then] UMAP twice."""
    code = (
        "import json, sys, time; "
        f"sys.path.insert(0, {str(ROOT)!r}); "
        "from benchmarks.projection import embeddings; "
        "from services.projection import project, use_numba_cache, warm_up; "
        f"use_numba_cache({str(cache_dir)!r}); x = embeddings({n}); t0 = time.perf_counter(); "
        f"{'warm_up' if warm else 'use_numba_cache'}({str(cache_dir)!r}); "
        "t1 = time.perf_counter(); project(x, 'umap'); t2 = time.perf_counter(); "
        "project(x, 'umap'); t3 = time.perf_counter(); "
        "print(json.dumps({'warm_up': t1 - t0, 'first': t2 - t1, 'second': t3 - t2}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_sizes(label: str, options: dict, sizes: list[int], limit: float) -> list[str]:
    cells, previous = [], None
    for n in sizes:
        if options.get("tsne_backend") == "sklearn" and n > SKLEARN_TSNE_MAX_POINTS:
            cells.append("skipped (size limit)")
            continue
        if previous is not None:
            estimate = previous[1] * (n / previous[0]) ** EXPONENT
            if estimate > limit:
                cells.append(f"skipped (~{estimate:.0f} s est.)")
                continue
        x = embeddings(n)
        start = time.perf_counter()
        project(x, **options)
        seconds = time.perf_counter() - start
        cells.append(f"{seconds:.1f}")
        previous = (n, seconds)
        print(f"  {label:18s} n={n:>7,d}: {seconds:7.1f} s", flush=True)
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2048, 20_000, 100_000])
    parser.add_argument("--limit", type=float, default=300.0, help="skip beyond (seconds)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="numba-bench-") as tmp:
        cache = Path(tmp)
        print("UMAP first calls in new processes ...", flush=True)
        n = args.sizes[0]
        startup = {
            "empty numba cache": first_call_seconds(cache, n, warm=False),
            "filled numba cache": first_call_seconds(cache, n, warm=False),
            "filled cache, warm_up() first": first_call_seconds(cache, n, warm=True),
            "warm_up() again, cache complete": first_call_seconds(cache, n, warm=True),
        }
        warm_up(cache, large=True)  # 100k points use pynndescent
        rows = {
            label: run_sizes(label, opts, args.sizes, args.limit)
            for label, opts in METHODS.items()
            if label in args.methods
        }
    header = "| method | " + " | ".join(f"{n:,d}" for n in args.sizes) + " |"
    print("\nSeconds per projection (64-D synthetic embeddings, 1 thread):\n")
    print(header)
    print("|" + "---|" * (len(args.sizes) + 1))
    for label, cells in rows.items():
        print(f"| {label} | " + " | ".join(cells) + " |")
    print(f"\nUMAP on {n:,d} points in a new process (seconds):\n")
    print("| new process | warm_up() | first call | second call |")
    print("|---|---|---|---|")
    for label, t in startup.items():
        warm = f"{t['warm_up']:.1f}" if "warm_up" in label else "-"
        print(f"| {label} | {warm} | {t['first']:.1f} | {t['second']:.1f} |")


if __name__ == "__main__":
    main()
