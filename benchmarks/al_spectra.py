"""The DBAL protocol on MILES spectral classes: area under the learning curve, BALD vs random.

The 984 MILES stars (``deploy/fetch_demo_data.py`` puts them in ``var/demo/miles``) are
read with :func:`services.spectra.read_spectrum`, rebinned (flux-conserving) onto a common
linear grid of ``--pixels`` pixels from 3,600 to 7,400 Å and divided by their median.
Classes with fewer than ``--min-class`` stars are left out (MILES has a handful of O stars).
A seeded, stratified third of the stars is the test set, 60 stars the validation set, the
rest the pool. Protocol: 2 labels per class to start, 10 acquired per round from the whole
pool (it is smaller than DBAL's 2,000-item subset), T = 20, a fresh 1-D Bayesian CNN
(:func:`services.models.build_spectrum_cnn`) each round, early stopping on the validation
loss. Runs with the same seed are paired; the figure of merit is the area under the
learning curve (AULC, a mean accuracy over the label range) and its paired difference.

Usage: python benchmarks/al_spectra.py [--seeds 0 1 2] [--rounds 20]
       [--methods bald random] [--miles var/demo/miles]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import al_common  # noqa: E402
from services.datasets.grid import Grid  # noqa: E402
from services.datasets.resample import ResampleOptions, resample  # noqa: E402
from services.demo.miles import is_extracted, read_catalogue, read_template  # noqa: E402
from services.learning import simulate  # noqa: E402

THRESHOLDS = (0.80, 0.90)
VALIDATION_SIZE = 60


def load(miles_dir: Path, n_pix: int, min_class: int) -> tuple[np.ndarray, np.ndarray, list]:
    """Flux (n, n_pix) float32, class indices and class names of the MILES stars."""
    grid = Grid.linear(3600.0, 7400.0, n_pix)
    options = ResampleOptions(air_to_vacuum="no", normalisation="median")
    flux, names = [], []
    for star in read_catalogue(miles_dir):
        if star.path is None:
            continue
        flux.append(resample(read_template(star), grid, options).flux)
        names.append(star.mk_class)
    flux_arr = np.nan_to_num(np.asarray(flux, dtype=np.float32))
    names_arr = np.asarray(names)
    kept = [c for c in sorted(set(names)) if (names_arr == c).sum() >= min_class]
    mask = np.isin(names_arr, kept)
    labels = np.array([kept.index(c) for c in names_arr[mask]])
    return flux_arr[mask], labels, kept


def split(y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified test third, a validation set of ``VALIDATION_SIZE``, the rest the pool."""
    rng = np.random.default_rng([seed, 7])
    test, rest = [], []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        cut = len(members) // 3
        test.extend(members[:cut])
        rest.extend(members[cut:])
    rest = rng.permutation(rest)
    return rest[VALIDATION_SIZE:], rest[:VALIDATION_SIZE], np.asarray(test)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--methods", nargs="+", default=["bald", "random"])
    parser.add_argument("--pixels", type=int, default=1024)
    parser.add_argument("--min-class", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--miles", type=Path, default=ROOT / "var" / "demo" / "miles")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks")
    args = parser.parse_args()
    if not is_extracted(args.miles):
        print(f"MILES is not in {args.miles}: run deploy/fetch_demo_data.py", file=sys.stderr)
        return 1
    x, y, classes = load(args.miles, args.pixels, args.min_class)
    counts = dict(zip(classes, np.bincount(y).tolist(), strict=True))
    print(al_common.machine())
    print(f"{len(y)} MILES stars on {args.pixels} pixels, classes {counts}")

    from services import models

    protocol = simulate.Protocol(
        initial_per_class=2,
        acquire=10,
        rounds=args.rounds,
        pool_subset=2000,
        epochs=args.epochs,
        batch_size=32,
        patience=args.patience,
    )
    print(f"protocol {asdict(protocol)}")
    head = models.Head.classification(len(classes))

    def build(seed: int):
        return models.build_spectrum_cnn(args.pixels, head, seed=seed)

    # One split per run of the script (seed 0): paired seeds then differ only in the
    # initial labels, the weights and the dropout masks.
    pool_i, val_i, test_i = split(y, 0)
    curves = al_common.run_all(
        args.methods,
        args.seeds,
        build,
        (x[pool_i], y[pool_i]),
        (x[val_i], y[val_i]),
        (x[test_i], y[test_i]),
        protocol,
    )
    rows = al_common.summarise(curves, THRESHOLDS)
    al_common.print_table(rows, THRESHOLDS)
    if {"bald", "random"} <= set(args.methods):
        diffs = al_common.paired_differences(curves, "bald", "random")
        print(
            "paired AULC(BALD) - AULC(random) per seed:",
            [round(d, 4) for d in diffs],
            f"mean {np.mean(diffs):+.4f}",
        )
    settings = {"seeds": args.seeds, "pixels": args.pixels, "classes": counts}
    settings |= {"pool": len(pool_i), "validation": len(val_i), "test": len(test_i)}
    paths = al_common.write_outputs(
        "al_spectra",
        curves,
        rows,
        {**settings, "protocol": asdict(protocol)},
        args.out,
        title="DBAL protocol on MILES MK classes",
        thresholds=THRESHOLDS,
        y_range=(0.3, 1.0),
    )
    print("wrote", *(str(p.relative_to(ROOT)) for p in paths))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
