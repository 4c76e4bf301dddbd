"""Labels to a target accuracy on MILES MK classes: today's platform against the new methods.

The question of issue 16: does the best method reach the target with at least 35 % fewer
labels than random, averaged over paired seeds? Data and split as in
``benchmarks/al_spectra.py`` (981 MILES stars, classes A B F G K M, one stratified split:
test third, 60 validation stars for early stopping, the rest the pool). The target of seed
``s`` is ``--target`` (0.9) x the test accuracy of the CNN trained on the *whole pool*
with seed ``s`` (the accuracy of the same setting trained on the whole pool of the
encoder head is reported too).

Methods, named ``family:acquisition`` (``family:start+acquisition`` for another cold start):

``cnn``
    The 1-D Bayesian CNN (:func:`services.models.build_spectrum_cnn`) from scratch each
    round: today's platform. ``cnn:random``, ``cnn:bald``, ``cnn:batchbald``.
``enc``
    A Bayesian head (MC dropout) on a frozen encoder pretrained without labels on all the
    spectra, once per seed (:func:`services.models.encoder.pretrain_encoder`):
    ``enc:random``, ``enc:bald``, ``enc:balanced``, ``enc:typiclust+bald`` (TypiClust picks
    the first labels from the embedding instead of a class-balanced start).
``ensM``
    A deep ensemble of M such heads (:mod:`services.models.ensemble`): ``ens5:bald``.

Every run starts from the same class-balanced labels of its seed (2 per class) unless its
start says otherwise; runs with the same seed are paired (same start, same model seeds).
Each invocation writes ``docs/benchmarks/al_fewer.<part>.json``; ``--report`` merges the
parts into ``al_fewer.json``, ``al_fewer.svg`` (mean over seeds with a +-1 sd band) and
prints the tables.

Usage: nice -n 10 .venv/bin/python -m benchmarks.al_fewer --part cnn --methods cnn:random
       cnn:bald cnn:batchbald;  ... --report
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import al_common  # noqa: E402
from benchmarks.al_spectra import load, split  # noqa: E402
from services import acquisition  # noqa: E402
from services.learning import simulate  # noqa: E402

OUT = ROOT / "docs" / "benchmarks"


@dataclass
class Setup:
    """Everything a run needs besides its method and seed."""

    pool: tuple[np.ndarray, np.ndarray]
    validation: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    n_classes: int
    args: argparse.Namespace
    encoders: dict[int, object] = field(default_factory=dict)  # seed -> keras encoder
    pool_embedding: dict[int, np.ndarray] = field(default_factory=dict)


def parse(name: str) -> tuple[str, int, str, str]:
    """``family:[start+]acquisition`` -> (family, members, start, acquisition)."""
    family, _, rest = name.partition(":")
    start, _, method = rest.rpartition("+")
    members = 0
    if family.startswith("ens"):
        members, family = int(family[3:] or 5), "enc"
    if family not in ("cnn", "enc") or method not in acquisition.METHODS:
        raise SystemExit(f"unknown method {name!r}")
    return family, members, start or "balanced", method


def encoder_for(setup: Setup, seed: int):
    """The encoder of ``seed``, pretrained once on all spectra (pool, validation, test)."""
    if seed not in setup.encoders:
        from services.models import encoder as enc

        flux = np.concatenate([setup.pool[0], setup.validation[0], setup.test[0]])
        ivar = np.ones_like(flux)
        t0 = time.perf_counter()
        setup.encoders[seed] = enc.pretrain_encoder(
            flux,
            ivar,
            setup.args.grid,
            method=setup.args.pretrain,
            epochs=setup.args.pretrain_epochs,
            seed=seed,
        )
        setup.pool_embedding[seed] = enc.embed(setup.encoders[seed], setup.pool[0])
        print(f"encoder of seed {seed} pretrained in {time.perf_counter() - t0:.0f} s", flush=True)
    return setup.encoders[seed]


def builder(setup: Setup, family: str, seed: int):
    """``build(model_seed)`` -> a fresh compiled model of ``family``."""
    from services import models

    head = models.Head.classification(setup.n_classes)
    if family == "cnn":
        return lambda s: models.build_spectrum_cnn(setup.args.pixels, head, seed=s)
    from services.models import encoder as enc

    encoder = encoder_for(setup, seed)
    return lambda s: enc.build_head_on_encoder(encoder, head, freeze=True, seed=s)


def train(setup: Setup, build, members: int, x, y, model_seed: int):
    """A fresh model (or deep ensemble of ``members``) trained on ``(x, y)``."""
    from services import models

    a = setup.args

    def one(model, seed, progress):
        return models.fit(
            model,
            x,
            y,
            validation_data=setup.validation,
            epochs=a.epochs,
            batch_size=32,
            patience=a.patience,
            seed=seed,
        )

    model, _ = models.fit_members(build(model_seed), members, one, seed=model_seed)
    return model


def accuracy(model, x: np.ndarray, y: np.ndarray, seed: int) -> float:
    from services import models

    out = models.mc_predict(model, x, T=20, seed=seed, return_embedding=False)
    return float(np.mean(acquisition.mean_probs(out["log_probs"]).argmax(axis=1) == y))


def start_indices(setup: Setup, start: str, seed: int) -> np.ndarray:
    """The first labels: 2 per class (``balanced``) or as many by TypiClust."""
    y = setup.pool[1]
    n = setup.args.initial_per_class * setup.n_classes
    if start == "balanced":
        return simulate.initial_indices(
            y, setup.args.initial_per_class, np.random.default_rng(seed)
        )
    if start == "typiclust":
        from services.acquisition.typiclust import typiclust

        encoder_for(setup, seed)
        return np.asarray(typiclust(setup.pool_embedding[seed], n, seed=seed).rows)
    raise SystemExit(f"unknown start {start!r}")


def run_one(setup: Setup, name: str, seed: int) -> simulate.Curve:
    """One active-learning curve of method ``name`` (see module docstring)."""
    from services import models

    family, members, start, method = parse(name)
    a = setup.args
    build = builder(setup, family, seed)
    x_pool, y_pool = setup.pool
    t0 = time.perf_counter()
    labelled = start_indices(setup, start, seed)
    unlabelled = np.setdiff1d(np.arange(len(y_pool)), labelled)
    choice_rng = np.random.default_rng([seed, 1])
    curve = simulate.Curve(name, seed)
    for round_no in range(a.rounds + 1):
        model_seed = seed * 1000 + round_no
        model = train(setup, build, members, x_pool[labelled], y_pool[labelled], model_seed)
        curve.labels.append(int(labelled.size))
        curve.accuracy.append(accuracy(model, *setup.test, model_seed))
        if round_no == a.rounds or unlabelled.size == 0:
            break
        out = models.mc_predict(model, x_pool[unlabelled], T=20, seed=model_seed)
        chosen, _ = acquisition.select(
            method, out["log_probs"], k=a.acquire, rng=choice_rng, embedding=out["embedding"]
        )
        labelled = np.concatenate([labelled, unlabelled[chosen]])
        unlabelled = np.setdiff1d(unlabelled, unlabelled[chosen], assume_unique=True)
    curve.labelled = labelled.tolist()
    curve.seconds = time.perf_counter() - t0
    print(
        f"{name:>22} seed {seed}: {curve.labels[-1]} labels -> {curve.accuracy[-1]:.3f}, "
        f"AULC {simulate.aulc(curve):.3f}, {curve.seconds:.0f} s",
        flush=True,
    )
    return curve


def full_pool(setup: Setup, family: str, seed: int) -> float:
    """Test accuracy of ``family`` trained on every pool label (seed ``seed``)."""
    build = builder(setup, family, seed)
    model = train(setup, build, 0, *setup.pool, seed * 1000 + 999)
    return accuracy(model, *setup.test, seed)


def labels_to(curve: dict, target: float) -> int | None:
    for n, acc in zip(curve["labels"], curve["accuracy"], strict=True):
        if acc >= target:
            return n
    return None


def target_rows(curves: list[dict], full: dict[str, float], share: float) -> list[dict]:
    """Per method: labels to ``share`` x the seed's whole-pool CNN accuracy, vs cnn:random.

    A curve that never reaches the target counts as one batch past its end (so the
    "fewer than random" figure is then a bound, and says so with ``censored``).
    """
    targets = {int(s): share * v for s, v in full.items()}
    step = curves[0]["labels"][1] - curves[0]["labels"][0]
    base = {}
    for c in curves:
        if c["method"] == "cnn:random" and c["seed"] in targets:
            base[c["seed"]] = labels_to(c, targets[c["seed"]]), c["labels"][-1] + step
    rows = []
    for m in dict.fromkeys(c["method"] for c in curves):
        mine = sorted((c for c in curves if c["method"] == m), key=lambda c: c["seed"])
        mine = [c for c in mine if c["seed"] in targets]
        reached = [labels_to(c, targets[c["seed"]]) for c in mine]
        ratios, censored = [], False
        for c, n in zip(mine, reached, strict=True):
            if c["seed"] not in base:
                continue
            b, b_cap = base[c["seed"]]
            censored |= n is None or b is None
            mine_n = n if n is not None else c["labels"][-1] + step
            ratios.append(1 - mine_n / (b if b is not None else b_cap))
        aulcs = [
            simulate.aulc(simulate.Curve(m, c["seed"], c["labels"], c["accuracy"])) for c in mine
        ]
        rows.append(
            {
                "method": m,
                "target_share": share,
                "seeds": [c["seed"] for c in mine],
                "labels_to_target": reached,
                "fewer_than_random": ratios,
                "fewer_than_random_mean": float(np.mean(ratios)) if ratios else None,
                "censored": censored,
                "aulc": aulcs,
                "aulc_mean": float(np.mean(aulcs)),
                "aulc_sd": float(np.std(aulcs, ddof=1)) if len(aulcs) > 1 else 0.0,
                "final_accuracy": [c["accuracy"][-1] for c in mine],
            }
        )
    return rows


def print_rows(rows: list[dict]) -> None:
    share = rows[0]["target_share"]
    print(f"\ntarget {share:.0%} of the whole-pool CNN accuracy")
    print("| method | seeds | labels to target, per seed | fewer than random, per seed | mean "
          "| AULC (mean ± sd) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for r in rows:
        shown = ", ".join("not reached" if v is None else str(v) for v in r["labels_to_target"])
        fewer = ", ".join(f"{v:+.0%}" for v in r["fewer_than_random"])
        mean = r["fewer_than_random_mean"]
        mean_s = "" if mean is None else f"{mean:+.0%}" + (" (bound)" if r["censored"] else "")
        print(
            f"| {r['method']} | {len(r['seeds'])} | {shown} | {fewer} | {mean_s} | "
            f"{r['aulc_mean']:.3f} ± {r['aulc_sd']:.3f} |"
        )


def report(out_dir: Path, shares: list[float]) -> int:
    """Merge the parts, write ``al_fewer.json`` and ``al_fewer.svg``, print the tables."""
    from benchmarks.svgplot import line_plot

    parts = sorted(out_dir.glob("al_fewer.*.json"))
    if not parts:
        print("no parts to report", file=sys.stderr)
        return 1
    records = [json.loads(p.read_text()) for p in parts]
    curves = [c for r in records for c in r["curves"]]
    full: dict[str, dict[str, float]] = {}
    for r in records:
        for fam, by_seed in r["full_pool"].items():
            full.setdefault(fam, {}).update(by_seed)
    print("whole-pool test accuracy per seed:", json.dumps(full))
    methods = list(dict.fromkeys(c["method"] for c in curves))
    seeds = sorted({c["seed"] for c in curves})
    rows = []
    for share in shares:
        found = target_rows(curves, full["cnn"], share)
        print_rows(found)
        rows.extend(found)
    targets = {s: shares[0] * v for s, v in full["cnn"].items()}
    series, bands = {}, {}
    for m in methods:
        mine = [c for c in curves if c["method"] == m]
        n = min(len(c["labels"]) for c in mine)
        acc = np.array([c["accuracy"][:n] for c in mine])
        mean, sd = acc.mean(axis=0), acc.std(axis=0, ddof=1) if len(mine) > 1 else 0 * acc[0]
        series[m] = (mine[0]["labels"][:n], mean.tolist())
        bands[m] = ((mean - sd).tolist(), (mean + sd).tolist())
    line_plot(
        series,
        out_dir / "al_fewer.svg",
        title=f"MILES MK classes: {len(seeds)} paired seeds, mean ± 1 sd",
        x_label="labelled stars",
        y_label="test accuracy",
        y_range=(0.2, 1.0),
        hlines=(float(np.mean(list(targets.values()))),),
        bands=bands,
    )
    record = {
        "machine": records[-1]["machine"],
        "date": records[-1]["date"],
        "settings": {r["part"]: r["settings"] for r in records},
        "full_pool_accuracy": full,
        "targets": targets,
        "summary": rows,
        "curves": curves,
    }
    (out_dir / "al_fewer.json").write_text(json.dumps(record, indent=1) + "\n")
    print("wrote", out_dir / "al_fewer.json", out_dir / "al_fewer.svg")
    return 0


def arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--methods", nargs="+", default=["cnn:random", "cnn:bald"])
    parser.add_argument("--part", default="cnn", help="name of this run's JSON part")
    parser.add_argument("--pixels", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--acquire", type=int, default=10)
    parser.add_argument("--initial-per-class", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--patience", type=int, default=8)
    parser.add_argument("--pretrain", default="contrastive")
    parser.add_argument("--pretrain-epochs", type=int, default=30)
    parser.add_argument("--miles", type=Path, default=ROOT / "var" / "demo" / "miles")
    parser.add_argument("--out", type=Path, default=OUT)
    return parser


def prepare(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from services.datasets.grid import Grid

    x, y, classes = load(args.miles, args.pixels, 20)
    args.grid = Grid.linear(3600.0, 7400.0, args.pixels)
    return x, y, classes


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--full-pool", nargs="*", default=None, help="families to measure")
    parser.add_argument("--target", type=float, nargs="+", default=[0.9, 0.95])
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    if args.report:
        return report(args.out, args.target)
    x, y, classes = prepare(args)
    pool_i, val_i, test_i = split(y, 0)
    setup = Setup((x[pool_i], y[pool_i]), (x[val_i], y[val_i]), (x[test_i], y[test_i]),
                  len(classes), args)  # fmt: skip
    print(al_common.machine(), flush=True)
    print(f"{len(y)} stars, {args.pixels} px, pool {len(pool_i)}, test {len(test_i)}", flush=True)
    families = args.full_pool if args.full_pool is not None else sorted(
        {parse(m)[0] for m in args.methods}
    )  # fmt: skip
    full: dict[str, dict[str, float]] = {f: {} for f in families}
    curves = []
    t0 = time.perf_counter()
    for seed in args.seeds:
        for fam in families:
            full[fam][str(seed)] = full_pool(setup, fam, seed)
            print(f"full pool {fam} seed {seed}: {full[fam][str(seed)]:.3f}", flush=True)
        for name in args.methods:
            curves.append(run_one(setup, name, seed).as_dict())
        settings = {k: v for k, v in vars(args).items() if k not in ("grid", "miles", "out")}
        settings |= {"pool": len(pool_i), "validation": len(val_i), "test": len(test_i)}
        settings["seconds"] = round(time.perf_counter() - t0)
        record = {
            "part": args.part,
            "machine": al_common.machine(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "settings": settings,
            "full_pool": full,
            "curves": curves,
        }
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"al_fewer.{args.part}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"done in {time.perf_counter() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
