"""MC-dropout scoring throughput of the 1-D spectrum CNN, in one run:

1. one deterministic forward pass of the model (``predict_on_batch`` per batch): the
   reference, what scoring without uncertainty would cost;
2. MC dropout, T samples, trunk computed once (``mc_predict(method="trunk_once")``);
3. MC dropout, T full forward passes (``mc_predict(method="naive")``), on a smaller pool.

Prints spectra/s and the ratios to the deterministic pass (goal: trunk-once >= 0.9x).
Thread pools are capped for the 2-core machines before Keras is imported.

Deterministic and trunk-once passes alternate per segment of the pool, so that the load of
other processes on the shared cores falls on both alike.

Usage: python benchmarks/scoring.py [--n 20000] [--n-naive 1024] [--n-pix 3900] [--T 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "2")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from services.models import Head, build_spectrum_cnn, mc_predict  # noqa: E402


def cpu_model() -> str:
    out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    names = [ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")]
    return f"{names[0] if names else 'unknown CPU'}, {os.cpu_count()} logical CPUs"


def synthetic_pool(n: int, n_pix: int, seed: int = 0) -> np.ndarray:
    """Continua with one Gaussian line each, shape (n, n_pix), float32."""
    rng = np.random.default_rng(seed)
    pix = np.arange(n_pix, dtype=np.float32)
    flux = np.empty((n, n_pix), np.float32)
    for start in range(0, n, 1000):
        m = min(1000, n - start)
        centre = rng.uniform(0, n_pix, (m, 1)).astype(np.float32)
        depth = rng.uniform(-0.6, 0.6, (m, 1)).astype(np.float32)
        flux[start : start + m] = 1 + depth * np.exp(-0.5 * ((pix - centre) / 4) ** 2)
        flux[start : start + m] += rng.normal(0, 0.05, (m, n_pix)).astype(np.float32)
    return flux


def deterministic_pass(model, pool: np.ndarray, batch_size: int) -> float:
    """Seconds for one forward pass over ``pool`` (same padding rule as mc_predict)."""
    start = time.perf_counter()
    for i in range(0, len(pool), batch_size):
        batch = pool[i : i + batch_size]
        if len(batch) < batch_size:
            pad = np.zeros((batch_size - len(batch), pool.shape[1]), np.float32)
            batch = np.concatenate([batch, pad])
        model.predict_on_batch(batch)
    return time.perf_counter() - start


def mc_pass(model, pool: np.ndarray, T: int, batch_size: int, method: str) -> float:
    """Seconds for ``mc_predict`` over ``pool``."""
    start = time.perf_counter()
    out = mc_predict(model, pool, T, batch_size=batch_size, method=method, seed=0)
    elapsed = time.perf_counter() - start
    assert out["log_probs"].shape == (T, len(pool), 3)
    return elapsed


def interleaved(model, pool: np.ndarray, args) -> tuple[float, float]:
    """Deterministic and trunk-once seconds, alternating per segment so that the load of
    other processes on the shared cores falls on both alike."""
    t_det = t_fast = 0.0
    bar = tqdm(total=len(pool), desc=f"deterministic + trunk-once T={args.T}", unit="spectra")
    for start in range(0, len(pool), args.segment):
        segment = pool[start : start + args.segment]
        t_det += deterministic_pass(model, segment, args.batch_size)
        t_fast += mc_pass(model, segment, args.T, args.batch_size, "trunk_once")
        bar.update(len(segment))
    bar.close()
    return t_det, t_fast


def naive(model, pool: np.ndarray, args) -> float:
    elapsed = 0.0
    for start in tqdm(range(0, len(pool), args.batch_size), desc=f"naive T={args.T}"):
        segment = pool[start : start + args.batch_size]
        elapsed += mc_pass(model, segment, args.T, args.batch_size, "naive")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--n-naive", type=int, default=1_024)
    parser.add_argument("--n-pix", type=int, default=3900)
    parser.add_argument("--T", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--segment", type=int, default=2048)
    args = parser.parse_args()
    model = build_spectrum_cnn(args.n_pix, Head.classification(3), seed=0)
    pool = synthetic_pool(args.n, args.n_pix)
    warm = pool[: args.batch_size]  # trace every compiled function before timing
    deterministic_pass(model, warm, args.batch_size)
    for method in ("trunk_once", "naive"):
        mc_pass(model, warm, args.T, args.batch_size, method)
    t_det, t_fast = interleaved(model, pool, args)
    t_naive = naive(model, pool[: args.n_naive], args)
    report(model, args, t_det, t_fast, t_naive)


def report(model, args, t_det: float, t_fast: float, t_naive: float) -> None:
    rate = {"det": args.n / t_det, "fast": args.n / t_fast, "naive": args.n_naive / t_naive}
    print(f"\nCPU: {cpu_model()}")
    print(
        f"model: spectrum CNN, n_pix={args.n_pix}, {model.count_params():,} parameters; "
        f"batch {args.batch_size}; T={args.T}"
    )
    print(f"deterministic pass      N={args.n:>7,}  {t_det:7.1f} s  {rate['det']:8.0f} spectra/s")
    print(
        f"MC trunk-once  T={args.T:<3}    N={args.n:>7,}  {t_fast:7.1f} s  "
        f"{rate['fast']:8.0f} spectra/s  {rate['fast'] / rate['det']:.2f}x deterministic"
    )
    print(
        f"MC naive       T={args.T:<3}    N={args.n_naive:>7,}  {t_naive:7.1f} s  "
        f"{rate['naive']:8.0f} spectra/s  {rate['naive'] / rate['det']:.3f}x deterministic"
    )
    print(f"trunk-once / naive: {rate['fast'] / rate['naive']:.1f}x")


if __name__ == "__main__":
    main()
