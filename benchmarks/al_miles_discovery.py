"""Rare-class discovery on MILES: true members of a rare MK class found per label.

The split of ``benchmarks/al_fewer.py`` (pool, 60 validation stars, test third); then one
MK class (``--rare``, default B) is made rare: a seeded subsample of its members is kept in
the pool (and in the validation set) so that it is ``--share`` (3 %) of the pool. The expert
starts with ``--initial-per-class`` (2) labels of every class, the rare one included, and
labels ``--acquire`` (10) stars a round, chosen by the method from the model's posterior
samples, for at most ``--rounds`` rounds or until 80 % of the rare members are found.
The count is of the rare members found by acquisition (the initial ones not counted), as a
share of the rare members the pool still held after the start.

Methods (as in ``al_fewer``): ``cnn:random`` (model-free: no training needed),
``cnn:bald``, ``cnn:discovery`` (expected positives of the rare class,
:func:`services.acquisition.discovery`), and ``enc:bald``, ``enc:discovery`` on the frozen
pretrained encoder. Uniform random sampling finds a share ``n / U`` of the rare members in
``n`` labels from ``U`` unlabelled stars on average; the ratio to random uses that
expectation, as random rarely reaches 50 % within the rounds run.

Usage: nice -n 10 .venv/bin/python -m benchmarks.al_miles_discovery [--methods ...]
       [--part cnn]; ``--report`` merges the parts (``al_miles_discovery.<part>.json``)
       into ``al_miles_discovery.json`` and ``.svg``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import al_common  # noqa: E402
from benchmarks.al_fewer import Setup, arguments, builder, parse, prepare, train  # noqa: E402
from benchmarks.al_spectra import split  # noqa: E402
from services import acquisition  # noqa: E402
from services.learning import simulate  # noqa: E402

SHARES = (0.5, 0.8)


def make_rare(y: np.ndarray, idx: np.ndarray, rare: int, share: float, seed: int) -> np.ndarray:
    """``idx`` with the members of class ``rare`` subsampled to ``share`` of the result."""
    members = idx[y[idx] == rare]
    others = idx[y[idx] != rare]
    keep = max(1, round(share * len(others) / (1 - share)))
    kept = np.random.default_rng([seed, 11]).choice(members, min(keep, len(members)), False)
    return np.sort(np.concatenate([others, kept]))


def run_one(setup: Setup, name: str, seed: int, rare: int) -> dict:
    """Found rare members after each round of method ``name``."""
    from services import models

    family, members, _, method = parse(name)
    a = setup.args
    x_pool, y_pool = setup.pool
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    labelled = simulate.initial_indices(y_pool, a.initial_per_class, rng)
    unlabelled = np.setdiff1d(np.arange(len(y_pool)), labelled)
    to_find = int((y_pool[unlabelled] == rare).sum())
    start = labelled.size
    choice_rng = np.random.default_rng([seed, 1])
    options = {"target_class": rare} if method == "discovery" else {}
    build = None if method == "random" else builder(setup, family, seed)
    labels, found = [int(start)], [0]
    for round_no in range(a.rounds):
        if method == "random":
            chosen = choice_rng.choice(unlabelled.size, a.acquire, replace=False)
        else:
            model_seed = seed * 1000 + round_no
            model = train(setup, build, members, x_pool[labelled], y_pool[labelled], model_seed)
            out = models.mc_predict(model, x_pool[unlabelled], T=20, seed=model_seed)
            chosen, _ = acquisition.select(
                method, out["log_probs"], k=a.acquire, rng=choice_rng,
                embedding=out["embedding"], **options,
            )  # fmt: skip
        labelled = np.concatenate([labelled, unlabelled[chosen]])
        unlabelled = np.setdiff1d(unlabelled, unlabelled[chosen], assume_unique=True)
        labels.append(int(labelled.size))
        found.append(int((y_pool[labelled[start:]] == rare).sum()))
        if found[-1] >= max(SHARES) * to_find:
            break
    seconds = time.perf_counter() - t0
    print(f"{name:>16} seed {seed}: {found[-1]}/{to_find} found with {labels[-1] - start} "
          f"labels, {seconds:.0f} s", flush=True)  # fmt: skip
    return {"method": name, "seed": seed, "labels": labels, "found": found,
            "to_find": to_find, "start": int(start), "pool": len(y_pool),
            "seconds": round(seconds, 1)}  # fmt: skip


def labels_to_share(run: dict, share: float) -> int | None:
    """Acquired labels (after the start) at which ``share`` of the rare members were found."""
    for n, f in zip(run["labels"], run["found"], strict=True):
        if f >= share * run["to_find"]:
            return n - run["start"]
    return None


def report(out_dir: Path) -> int:
    from benchmarks.svgplot import line_plot

    parts = sorted(out_dir.glob("al_miles_discovery.*.json"))
    records = [json.loads(p.read_text()) for p in parts]
    runs = [r for rec in records for r in rec["runs"]]
    methods = list(dict.fromkeys(r["method"] for r in runs))
    rows = []
    heads = [f"labels to {s:.0%} (per seed; mean; vs random)" for s in SHARES]
    print("| method | " + " | ".join(heads) + " | found per label at the end |")
    print("|---|" + "---|" * (len(SHARES) + 1))
    for m in methods:
        mine = sorted((r for r in runs if r["method"] == m), key=lambda r: r["seed"])
        row: dict = {"method": m, "seeds": [r["seed"] for r in mine]}
        cells = []
        for s in SHARES:
            got = [labels_to_share(r, s) for r in mine]
            # Random's expectation: a share s of the rare members takes s * U labels.
            expected = [s * (r["pool"] - r["start"]) for r in mine]
            ratio = [g / e for g, e in zip(got, expected, strict=True) if g is not None]
            row[f"labels_to_{s:.0%}"] = got
            row[f"random_expected_{s:.0%}"] = expected
            row[f"ratio_to_random_{s:.0%}"] = ratio
            shown = ", ".join("n.r." if g is None else str(g) for g in got)
            done = [g for g in got if g is not None]
            mean = f"{np.mean(done):.0f} ({len(done)}/{len(got)})" if done else "not reached"
            vs = f"{np.mean(ratio):.2f} x" if ratio else "n.r."
            cells.append(f"{shown}; {mean}; {vs} (random ≈ {np.mean(expected):.0f})")
        rate = [r["found"][-1] / (r["labels"][-1] - r["start"]) for r in mine]
        row["found_per_label"] = rate
        rows.append(row)
        print(
            f"| {m} | "
            + " | ".join(cells)
            + f" | {np.mean(rate):.3f} ± {np.std(rate, ddof=1):.3f} |"
        )
    series, bands = {}, {}
    for m in methods:
        mine = [r for r in runs if r["method"] == m]
        n = max(len(r["labels"]) for r in mine)
        # A run stopped at 80 %: carry its last share forward.
        share = np.array([[r["found"][min(i, len(r["found"]) - 1)] / r["to_find"]
                           for i in range(n)] for r in mine])  # fmt: skip
        x = [mine[0]["labels"][0] - mine[0]["start"] + 10 * i for i in range(n)]
        mean, sd = share.mean(axis=0), share.std(axis=0, ddof=1)
        series[m], bands[m] = (x, mean.tolist()), ((mean - sd).tolist(), (mean + sd).tolist())
    line_plot(
        series,
        out_dir / "al_miles_discovery.svg",
        title="MILES rare-class discovery: mean ± 1 sd over seeds",
        x_label="labels acquired",
        y_label="share of rare members found",
        y_range=(0.0, 1.0),
        hlines=SHARES,
        bands=bands,
    )
    record = {"machine": records[-1]["machine"], "date": records[-1]["date"],
              "settings": {r["part"]: r["settings"] for r in records}, "summary": rows,
              "runs": runs}  # fmt: skip
    (out_dir / "al_miles_discovery.json").write_text(json.dumps(record, indent=1) + "\n")
    print("wrote", out_dir / "al_miles_discovery.json", out_dir / "al_miles_discovery.svg")
    return 0


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--rare", default="B")
    parser.add_argument("--share", type=float, default=0.03)
    parser.add_argument("--report", action="store_true")
    parser.set_defaults(rounds=10, part="cnn",
                        methods=["cnn:random", "cnn:bald", "cnn:discovery"])  # fmt: skip
    args = parser.parse_args()
    if args.report:
        return report(args.out)
    x, y, classes = prepare(args)
    rare = classes.index(args.rare)
    pool_i, val_i, test_i = split(y, 0)
    print(al_common.machine(), flush=True)
    t0, runs = time.perf_counter(), []
    for seed in args.seeds:
        pool = make_rare(y, pool_i, rare, args.share, seed)
        val = make_rare(y, val_i, rare, args.share, seed)
        setup = Setup((x[pool], y[pool]), (x[val], y[val]), (x[test_i], y[test_i]),
                      len(classes), args)  # fmt: skip
        print(f"seed {seed}: pool {len(pool)} with {(y[pool] == rare).sum()} {args.rare}",
              flush=True)  # fmt: skip
        for name in args.methods:
            runs.append(run_one(setup, name, seed, rare))
        settings = {k: v for k, v in vars(args).items() if k not in ("grid", "miles", "out")}
        settings["seconds"] = round(time.perf_counter() - t0)
        record = {"part": args.part, "machine": al_common.machine(),
                  "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                  "settings": settings, "runs": runs}  # fmt: skip
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"al_miles_discovery.{args.part}.json"
        path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"done in {time.perf_counter() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
