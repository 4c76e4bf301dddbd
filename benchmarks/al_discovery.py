"""Rare-class discovery: true members of a rare class found per label, by acquisition method.

A simulated search (Škoda et al. found double-peaked emission spectra among millions of
LAMOST spectra this way): a synthetic pool of N feature vectors in four classes, one of
them rare (2 %, set by ``--rare``), whose members sit between two common classes so that
the model must learn where they are. The expert starts with two labelled members of each
class and labels ``--batch`` spectra a round, chosen by the acquisition method from the
model's posterior samples. The model is cheap, so that the benchmark runs on a laptop CPU
in a minute: a bootstrap ensemble of T softmax regressions on quadratic features (one
ensemble member per "MC sample", the same role dropout masks play for the CNN), refitted
each round. Every method sees the same pool, start and ensemble seeds (paired seeds).

Methods: ``random``, ``bald``, ``balanced`` and ``discovery`` (registered; the ranking by
expected positives ``mean_t p_t(c)``), and, to choose ``discovery`` by measurement, its
principled alternative ``thompson`` (batch Thompson sampling over the samples,
:func:`services.acquisition.thompson_discovery`) and ``mix_w``, ``discovery`` with
``bald_weight=w`` (``mean_t p_t(c) + w * BALD``).

Run: ``.venv/bin/python -m benchmarks.al_discovery`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from services import acquisition

N_CLASS, RARE = 4, 3  # the rare class is the last one
CHECKPOINTS = (20, 50, 100, 200)


def make_pool(n: int, rare: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Features ``x[N, D]`` and classes ``y[N]``: three common blobs and a rare one between."""
    dim = 8
    centres = rng.normal(scale=2.5, size=(N_CLASS, dim))  # [C, D]
    centres[RARE] = 0.5 * (centres[0] + centres[1]) + rng.normal(scale=0.6, size=dim)
    weights = np.array([(1 - rare) / 3] * 3 + [rare])
    y = rng.choice(N_CLASS, size=n, p=weights)  # [N]
    spread = np.where(y == RARE, 0.6, 1.3)[:, None]  # [N, 1]: the rare class is compact
    x = centres[y] + spread * rng.normal(size=(n, dim))  # [N, D]
    return x, y


def features(x: np.ndarray) -> np.ndarray:
    """Standardised inputs with their squares and a bias: curved class boundaries."""
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    return np.hstack([z, 0.3 * z**2, np.ones((len(z), 1))])  # [N, 2D + 1]


def fit_ensemble(
    phi: np.ndarray, y: np.ndarray, n_members: int, rng: np.random.Generator
) -> np.ndarray:
    """Weights ``[T, F, C]`` of T softmax regressions, each on a bootstrap of the labels."""
    n, n_feat = phi.shape
    onehot = np.eye(N_CLASS)[y]  # [n, C]
    boot = rng.integers(n, size=(n_members, n))  # [T, n]
    xb, yb = phi[boot], onehot[boot]  # [T, n, F], [T, n, C]
    w = np.zeros((n_members, n_feat, N_CLASS))
    step, decay = 0.5, 1e-2
    for _ in range(300):  # full-batch gradient descent on the L2-penalised cross-entropy
        logits = xb @ w  # [T, n, C]
        p = np.exp(logits - logits.max(axis=-1, keepdims=True))
        p /= p.sum(axis=-1, keepdims=True)
        w -= step * (np.einsum("tnf,tnc->tfc", xb, p - yb) / n + decay * w)
    return w


def log_probs_of(phi: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``log_probs[T, N, C]`` of the ensemble on ``phi[N, F]``."""
    logits = np.einsum("nf,tfc->tnc", phi, w)
    return logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)


def choose(method: str, lp: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices into the unlabelled pool chosen by ``method``."""
    if method == "thompson":
        return acquisition.thompson_discovery(lp, k, target_class=RARE, rng=rng)[0]
    options = {}
    if method.startswith("mix_"):  # discovery with a weight of BALD
        method, options = "discovery", {"bald_weight": float(method[4:])}
    if method == "discovery":
        options["target_class"] = RARE
    return acquisition.select(method, lp, k=k, rng=rng, **options)[0]


def run(
    method: str, seed: int, n: int, rare: float, budget: int, batch: int, n_members: int
) -> np.ndarray:
    """Rare members found after each label (``found[L]`` for L = 1..budget)."""
    x, y = make_pool(n, rare, np.random.default_rng(seed))
    phi = features(x)
    start_rng = np.random.default_rng(seed + 1000)
    labelled = np.concatenate(
        [start_rng.choice(np.flatnonzero(y == c), 2, replace=False) for c in range(N_CLASS)]
    )
    is_labelled = np.zeros(n, dtype=bool)
    is_labelled[labelled] = True
    order: list[int] = []  # the labels the method asked for, in order
    model_rng = np.random.default_rng(seed + 2000)  # the same stream for every method
    pick_rng = np.random.default_rng(seed + 3000)
    while len(order) < budget:
        w = fit_ensemble(phi[is_labelled], y[is_labelled], n_members, model_rng)
        pool = np.flatnonzero(~is_labelled)
        lp = log_probs_of(phi[pool], w)
        chosen = pool[choose(method, lp, min(batch, budget - len(order)), pick_rng)]
        is_labelled[chosen] = True
        order.extend(chosen.tolist())
    return np.cumsum(y[np.asarray(order)] == RARE)


def labels_for(found: np.ndarray, target: int) -> str:
    """Labels needed to find ``target`` members, ``>budget`` when never reached."""
    reached = np.flatnonzero(found >= target)
    return str(reached[0] + 1) if reached.size else f">{found.size}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--n", type=int, default=10000, help="pool size")
    parser.add_argument("--rare", type=float, default=0.02, help="share of the rare class")
    parser.add_argument("--budget", type=int, default=200, help="labels asked for")
    parser.add_argument("--batch", type=int, default=10, help="labels per round")
    parser.add_argument("--mc", type=int, default=20, help="posterior samples T")
    parser.add_argument(
        "--methods",
        default="random,bald,balanced,discovery,thompson,mix_0.1,mix_0.3,mix_1",
        help="comma-separated",
    )
    parser.add_argument("--find", default="10,25,50", help="members to find, comma-separated")
    args = parser.parse_args()
    methods = args.methods.split(",")
    finds = [int(v) for v in args.find.split(",")]
    checkpoints = [c for c in CHECKPOINTS if c <= args.budget]
    print(
        f"# {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}; N={args.n}, rare={args.rare:.0%}, batch={args.batch}, "
        f"T={args.mc}, seeds 0..{args.seeds - 1}"
    )
    print(f"# members found at L = {checkpoints} labels; labels needed for N = {finds} members")
    results: dict[str, list[np.ndarray]] = {m: [] for m in methods}
    began = time.perf_counter()
    for seed in range(args.seeds):
        for method in methods:
            found = run(method, seed, args.n, args.rare, args.budget, args.batch, args.mc)
            results[method].append(found)
            at = " ".join(f"{found[c - 1]:4d}" for c in checkpoints)
            need = " ".join(f"{labels_for(found, t):>5}" for t in finds)
            print(f"seed {seed} {method:10s} found at L: {at}  labels for N: {need}")
    print(f"# {time.perf_counter() - began:.0f} s")
    header = " | ".join(f"found @ {c}" for c in checkpoints)
    needs = " | ".join(f"labels for {t}" for t in finds)
    print(f"\n| method | {header} | {needs} |")
    print("|---" * (1 + len(checkpoints) + len(finds)) + "|")
    for method in methods:
        curves = np.stack(results[method])  # [seeds, budget]
        cells = [
            f"{curves[:, c - 1].mean():.1f} ± {curves[:, c - 1].std(ddof=1):.1f}"
            for c in checkpoints
        ]
        for t in finds:  # median over seeds; never reached counts as budget + 1
            need = [int(labels_for(f, t).lstrip(">")) + (f[-1] < t) for f in curves]
            cells.append(f"{np.median(need):.0f}" + ("+" if np.median(need) > args.budget else ""))
        print(f"| {method} | " + " | ".join(cells) + " |")
    print("\nmean ± sd over seeds of true rare-class members found; labels: median over seeds")


if __name__ == "__main__":
    main()
