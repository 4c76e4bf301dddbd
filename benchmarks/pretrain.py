"""Self-supervised pretraining on MILES: contrastive vs denoising autoencoder vs none.

The MILES stars are loaded as in ``benchmarks/al_spectra.py`` (flux-conserving onto a linear
grid of ``--pixels`` pixels, 3,600-7,400 Å, divided by the median; classes with at least
``--min-class`` stars). A seeded stratified third is the test set; the rest is the pool.
Per seed, an encoder is pretrained without labels on the pool's spectra
(:func:`services.models.encoder.pretrain_encoder`, contrastive and autoencoder), then with
2, 5 and 10 labels per class drawn from the pool:

* a Bayesian head on the frozen features (:func:`build_head_on_encoder`), trained on the
  train kind's fixed schedule (at least 200 steps, weight decay 1/N, balanced classes);
* the baseline: the 1-D Bayesian CNN (:func:`build_spectrum_cnn`) from scratch, same schedule;
* a kNN probe (k = 3, cosine) on the embedding (baseline: on the flux).

Test accuracy is that of the MC-dropout mean (T = 20). Prints per-seed numbers and
mean ± sd over seeds.

Usage: nice -n 10 python benchmarks/pretrain.py [--seeds 0 1 2] [--pixels 512] [--epochs 30]
       [--methods contrastive autoencoder scratch] [--strong] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import al_common  # noqa: E402
from benchmarks.al_spectra import load  # noqa: E402
from services.datasets.grid import Grid  # noqa: E402
from services.demo.miles import is_extracted  # noqa: E402

PER_CLASS = (2, 5, 10)
METHODS = ("contrastive", "autoencoder", "scratch")
MIN_STEPS, T = 200, 20


def split(y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (pool, test): a third of every class is test."""
    rng = np.random.default_rng([seed, 7])
    test, pool = [], []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        cut = len(members) // 3
        test.extend(members[:cut])
        pool.extend(members[cut:])
    return np.sort(pool), np.sort(test)


def draw(y: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, per_class, 11])
    return np.concatenate(
        [rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in np.unique(y)]
    )


def knn_accuracy(train: np.ndarray, y_train, test: np.ndarray, y_test, k: int = 3) -> float:
    def unit(a):
        a = a - train.mean(axis=0)
        return a / (np.linalg.norm(a, axis=1, keepdims=True) + 1e-12)

    sim = unit(test) @ unit(train).T  # [n_test, n_train]
    nearest = np.argsort(-sim, axis=1)[:, :k]
    votes = y_train[nearest]
    predicted = np.array([np.bincount(v).argmax() for v in votes])
    return float(np.mean(predicted == y_test))


def head_accuracy(models, model, x, y, x_test, y_test, batch_size: int, seed: int) -> float:
    epochs = max(40, -(-MIN_STEPS // -(-len(y) // batch_size)))
    models.fit(
        model,
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        early_stopping=False,
        class_weight="balanced",
        seed=seed,
    )
    out = models.mc_predict(model, x_test, T=T, seed=seed, return_embedding=False)
    probs = np.exp(out["log_probs"].astype(np.float64)).mean(axis=0)
    return float(np.mean(probs.argmax(axis=1) == y_test))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--pixels", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--min-class", type=int, default=20)
    parser.add_argument("--miles", type=Path, default=ROOT / "var" / "demo" / "miles")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument(
        "--strong",
        action="store_true",
        help="stronger contrastive views: ±1000 km/s, tilt sd 0.5, 3 masks of up to 10 %%",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if not is_extracted(args.miles):
        print(f"MILES is not in {args.miles}: run deploy/fetch_demo_data.py", file=sys.stderr)
        return 1
    x, y, classes = load(args.miles, args.pixels, args.min_class)
    grid = Grid.linear(3600.0, 7400.0, args.pixels)
    print(al_common.machine())
    counts = dict(zip(classes, np.bincount(y).tolist(), strict=True))
    print(f"{len(y)} MILES stars on {args.pixels} px, classes {counts}")
    from services import models
    from services.learning.augment import AugmentOptions
    from services.models.encoder import build_head_on_encoder, embed, pretrain_with_history

    options = AugmentOptions()
    if args.strong:
        options = AugmentOptions(
            max_velocity=1000.0, tilt_sigma=0.5, n_segments=3, max_mask_fraction=0.1
        )
    print(f"augmentations {options}")

    head = models.Head.classification(len(classes))
    pool, test = split(y, 0)
    print(f"pool {pool.size}, test {test.size}; pretraining {args.epochs} epochs, dim {args.dim}")
    found: list[dict] = []
    for seed in args.seeds:
        for method in args.methods:
            started = time.perf_counter()
            encoder, loss = None, [float("nan")]
            if method != "scratch":
                encoder, history = pretrain_with_history(
                    x[pool], None, grid, method=method, embedding_dim=args.dim,
                    epochs=args.epochs, seed=seed, options=options,
                )  # fmt: skip
                loss = history["loss"]
                features = embed(encoder, x)
            else:
                features = x
            pretrain_s = time.perf_counter() - started
            for per_class in PER_CLASS:
                chosen = pool[draw(y[pool], per_class, seed)]
                n = chosen.size
                if encoder is None:
                    model = models.build_spectrum_cnn(
                        args.pixels, head, weight_decay=1.0 / n, seed=seed
                    )
                else:
                    model = build_head_on_encoder(
                        encoder, head, freeze=True, weight_decay=1.0 / n, seed=seed
                    )
                acc = head_accuracy(models, model, x[chosen], y[chosen], x[test], y[test], 32, seed)
                knn = knn_accuracy(features[chosen], y[chosen], features[test], y[test])
                row = {"method": method, "seed": seed, "per_class": per_class, "n_labels": n}
                row |= {"accuracy": acc, "knn": knn, "final_loss": loss[-1]}
                row["pretrain_s"] = round(pretrain_s, 1)
                found.append(row)
                print(json.dumps(row), flush=True)
    print(f"\nTest accuracy on {test.size} stars (mean ± sd over seeds {args.seeds}):")
    print("| method | labels/class | head on frozen features | per seed | kNN (k=3) | per seed |")
    print("|---|---:|---:|---|---:|---|")
    for method in args.methods:
        for per_class in PER_CLASS:
            rows = [r for r in found if r["method"] == method and r["per_class"] == per_class]
            a = np.array([r["accuracy"] for r in rows])
            k = np.array([r["knn"] for r in rows])
            print(
                f"| {method} | {per_class} | {a.mean():.3f} ± {a.std(ddof=1):.3f} | "
                f"{', '.join(f'{v:.3f}' for v in a)} | {k.mean():.3f} ± {k.std(ddof=1):.3f} | "
                f"{', '.join(f'{v:.3f}' for v in k)} |"
            )
    if args.json:
        args.json.write_text(json.dumps(found, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
