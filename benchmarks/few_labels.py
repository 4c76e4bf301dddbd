"""Training with few labels: early stopping on a held-out 20 % against the fixed schedule.

Runs the real ``train`` job (``services.train.run``) on random label sets of 10-40 spectra
drawn from a synthetic MILES-like pool (four stellar-like classes: continuum slope and
absorption-line depths change smoothly with a temperature-like parameter, classes are its
quartiles, so neighbouring classes overlap; random velocity shifts and noise), then
predicts the rest of the pool with MC dropout, as the al-round job does. For each number
of labels and regime it prints the share of collapsed runs (one class for >= 90 % of the
pool, :mod:`services.learning.collapse`) and the pool accuracy (mean, min over seeds),
and how often ``metrics.json`` reported a validation accuracy and on how many spectra.

Usage::

    python benchmarks/few_labels.py [--labels 10 20 30 40] [--seeds 0 1 2 3 4 5]
        [--regimes early_stopping fixed] [--pixels 256] [--pool 600]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "2")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from services.datasets.grid import Grid  # noqa: E402
from services.datasets.writer import DatasetWriter  # noqa: E402
from services.jobs import JobContext  # noqa: E402
from services.learning import collapse  # noqa: E402
from services.storage import UserSpace  # noqa: E402

CLASSES = ("A", "F", "G", "K")
LINES_AA = (3934.0, 3970.0, 4101.0, 4340.0, 4861.0, 5175.0, 5890.0, 6563.0)


def miles_like(n: int, n_pix: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Flux (n, n_pix) float32 on 3600-7400 A and class indices (n,) of a synthetic pool.

    A temperature-like ``t`` in [0, 1] sets the continuum slope and the depth of each line
    (Balmer lines deepest at high ``t``, metal lines at low ``t``); the class is the quartile
    of ``t``, so spectra near a boundary look alike. Lines shift by up to ±300 km/s;
    S/N about 30.
    """
    rng = np.random.default_rng(seed)
    wave = np.linspace(3600.0, 7400.0, n_pix)
    t = rng.uniform(0, 1, n)  # [n]
    y = np.minimum((t * 4).astype(int), 3)  # [n]
    balmer = np.array([0, 0, 1, 1, 1, 0, 0, 1], bool)
    flux = np.empty((n, n_pix), np.float32)
    for i in range(n):
        continuum = 1.0 + (0.6 * t[i] - 0.3) * (wave - 5500.0) / 1900.0  # [n_pix]
        shift = 1.0 + rng.uniform(-1e-3, 1e-3)
        spectrum = continuum.copy()
        for line, is_balmer in zip(LINES_AA, balmer, strict=True):
            depth = 0.5 * t[i] if is_balmer else 0.45 * (1.0 - t[i])
            depth *= rng.uniform(0.8, 1.2)
            spectrum *= 1.0 - depth * np.exp(-0.5 * ((wave - line * shift) / 12.0) ** 2)
        flux[i] = spectrum * (1.0 + rng.normal(0, 1 / 30, n_pix))
    return flux, y


def write_pool(space: UserSpace, flux: np.ndarray) -> list[str]:
    grid = Grid.linear(3600.0, 7400.0, flux.shape[1])
    writer = DatasetWriter(space.datasets, "pool", grid, capacity=len(flux))
    paths = [f"pool/s{i:04d}.fits" for i in range(len(flux))]
    for row, path in zip(flux, paths, strict=True):
        writer.append(row, np.ones_like(row), np.zeros(row.size, bool), {"path": path})
    writer.commit({"sources": ["benchmark"]})
    return paths


def draw_labels(y: np.ndarray, n_labels: int, seed: int) -> np.ndarray:
    """A random label set (as random selection would give) of at least two classes."""
    rng = np.random.default_rng([seed, n_labels])
    while True:
        chosen = rng.choice(len(y), n_labels, replace=False)
        if np.unique(y[chosen]).size >= 2:
            return chosen


def one_run(
    space, paths, flux, y, chosen, regime: str, seed: int, work: Path, decay: float
) -> dict:
    from services import models, train

    name = f"{regime}-{len(chosen)}-{seed}"
    with (space.files / f"{name}.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["path", "class"])
        out.writerows([paths[i], CLASSES[y[i]]] for i in chosen)
    ctx = JobContext(job_id=name, job_dir=work / name, user_root=space.root)
    params = train.Parameters(
        dataset="pool",
        labels_file=f"{name}.csv",
        regime=regime,
        seed=seed,
        epochs=40,
        weight_decay=decay,
    )
    started = time.perf_counter()
    train.run(params, ctx)
    seconds = time.perf_counter() - started
    found = json.loads((ctx.results_dir / "metrics.json").read_text())
    model, sidecar = models.load_model(ctx.results_dir / "model.keras")
    rest = np.setdiff1d(np.arange(len(y)), chosen)
    out = models.mc_predict(model, flux[rest], T=20, seed=seed, return_embedding=False)
    probs = np.exp(out["log_probs"].astype(np.float64)).mean(axis=0)  # [n_rest, C]
    names = np.array(sidecar.class_names)
    predicted = names[probs.argmax(axis=1)]
    truth = np.array(CLASSES)[y[rest]]
    verdict = collapse.detect(predicted, found["label_counts"], "pool spectra")
    return {
        "accuracy": float(np.mean(predicted == truth)),
        "collapsed": verdict["collapsed"],
        "top_share": verdict["share"],
        "reported": found.get("accuracy"),
        "n_validation": found["n_validation"],
        "epochs": found["epochs_run"],
        "train_collapsed": found.get("collapse", {}).get("collapsed"),
        "seconds": seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, nargs="+", default=[10, 20, 30, 40])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    parser.add_argument("--regimes", nargs="+", default=["early_stopping", "fixed"])
    parser.add_argument("--pixels", type=int, default=256)
    parser.add_argument("--pool", type=int, default=600)
    parser.add_argument("--weight-decay", type=float, default=None, help="c of c / N")
    args = parser.parse_args()
    from services import train

    decay = train.WEIGHT_DECAY if args.weight_decay is None else args.weight_decay
    flux, y = miles_like(args.pool, args.pixels, seed=12345)
    print(f"pool {args.pool} spectra x {args.pixels} px, classes {np.bincount(y).tolist()}")
    print(f"fixed regime: weight decay {decay} / N")
    print("regime          labels  collapsed  pool acc mean [min]  reported val acc (n)  s/run")
    with tempfile.TemporaryDirectory() as tmp:
        space = UserSpace(Path(tmp) / "user").ensure()
        paths = write_pool(space, flux)
        for n_labels in args.labels:
            for regime in args.regimes:
                runs = [
                    one_run(
                        space,
                        paths,
                        flux,
                        y,
                        draw_labels(y, n_labels, s),
                        regime,
                        s,
                        Path(tmp) / "jobs",
                        decay,
                    )
                    for s in args.seeds
                ]
                acc = np.array([r["accuracy"] for r in runs])
                bad = sum(r["collapsed"] for r in runs)
                reported = [
                    f"{r['reported']:.2f}({r['n_validation']})"
                    for r in runs
                    if r["reported"] is not None
                ]
                print(
                    f"{regime:15s} {n_labels:6d}  {bad:3d}/{len(runs):<3d}    "
                    f"{acc.mean():.3f} [{acc.min():.3f}]        "
                    f"{' '.join(reported) or 'none':20s}  "
                    f"{np.mean([r['seconds'] for r in runs]):.1f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
