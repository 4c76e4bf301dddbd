"""Shared driver of the simulated active-learning benchmarks (al_mnist, al_spectra)."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from benchmarks.svgplot import line_plot
from services.learning import simulate


def machine() -> str:
    """One line naming the machine and the Keras backend."""
    import keras

    cores = os.cpu_count()
    return f"{platform.node()}: {cores} cores, Python {platform.python_version()}, " + (
        f"Keras {keras.__version__} on {keras.backend.backend()}"
    )


def run_all(
    methods: list[str],
    seeds: list[int],
    build,
    pool,
    validation,
    test,
    protocol: simulate.Protocol,
    starts: dict | None = None,
) -> list[simulate.Curve]:
    """Every (seed, method) run, seeds outermost so that paired runs finish together.

    A method named ``start+acquisition`` (e.g. ``typiclust+bald``) begins from
    ``starts[start](seed)`` (pool indices) instead of the class-balanced initial labels.
    """
    curves = []
    total = len(methods) * len(seeds) * (protocol.rounds + 1)
    with tqdm(total=total, unit="round", smoothing=0.1) as bar:
        for seed in seeds:
            for method in methods:

                def report(line: str) -> None:
                    bar.update(1)
                    bar.set_postfix_str(line, refresh=False)

                start, _, acquire = method.rpartition("+")
                initial = (starts or {})[start](seed) if start else None
                curve = simulate.run(
                    acquire,
                    build,
                    pool,
                    validation,
                    test,
                    protocol,
                    seed,
                    report=report,
                    initial=initial,
                )
                curve.method = method
                tqdm.write(
                    f"{method:>16} seed {seed}: final {curve.accuracy[-1]:.4f} at "
                    f"{curve.labels[-1]} labels, AULC {simulate.aulc(curve):.4f}, "
                    f"{curve.seconds:.0f} s"
                )
                curves.append(curve)
    return curves


def summarise(curves: list[simulate.Curve], thresholds: tuple[float, ...]) -> list[dict]:
    """Per method: labels to reach each threshold (per seed and median), AULC mean +- std."""
    rows = []
    for method in dict.fromkeys(c.method for c in curves):
        mine = [c for c in curves if c.method == method]
        row: dict = {"method": method, "seeds": len(mine)}
        for t in thresholds:
            reached = [simulate.labels_to_reach(c, t) for c in mine]
            row[f"labels_{t:.0%}"] = reached
        aulcs = np.array([simulate.aulc(c) for c in mine])
        row["aulc_mean"], row["aulc_std"] = float(aulcs.mean()), float(aulcs.std())
        row["final_accuracy"] = float(np.mean([c.accuracy[-1] for c in mine]))
        rows.append(row)
    return rows


def paired_differences(curves: list[simulate.Curve], a: str, b: str) -> list[float]:
    """AULC(a) - AULC(b) for every seed that ran both methods."""
    by = {(c.method, c.seed): simulate.aulc(c) for c in curves}
    seeds = sorted({c.seed for c in curves})
    return [by[a, s] - by[b, s] for s in seeds if (a, s) in by and (b, s) in by]


def print_table(rows: list[dict], thresholds: tuple[float, ...]) -> None:
    heads = [f"labels to {t:.0%}" for t in thresholds]
    print(f"{'method':>16} | " + " | ".join(f"{h:>22}" for h in heads) + " | AULC (mean ± std)")
    for row in rows:
        cells = []
        for t in thresholds:
            values = row[f"labels_{t:.0%}"]
            shown = ",".join("-" if v is None else str(v) for v in values)
            cells.append(f"{shown:>22}")
        print(
            f"{row['method']:>16} | "
            + " | ".join(cells)
            + f" | {row['aulc_mean']:.4f} ± {row['aulc_std']:.4f}"
        )


def mean_curves(curves: list[simulate.Curve]) -> dict[str, tuple[list[float], list[float]]]:
    """Mean accuracy per method over seeds, on the label counts all seeds share."""
    out = {}
    for method in dict.fromkeys(c.method for c in curves):
        mine = [c for c in curves if c.method == method]
        n = min(len(c.labels) for c in mine)
        accuracy = np.mean([c.accuracy[:n] for c in mine], axis=0)
        out[method] = (mine[0].labels[:n], accuracy.tolist())
    return out


def write_outputs(
    name: str,
    curves: list[simulate.Curve],
    rows: list[dict],
    settings: dict,
    out_dir: Path,
    *,
    title: str,
    thresholds: tuple[float, ...],
    y_range: tuple[float, float],
) -> tuple[Path, Path]:
    """``<name>.json`` (every curve and the summary) and ``<name>.svg`` (mean curves)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "settings": settings,
        "summary": rows,
        "curves": [c.as_dict() for c in curves],
    }
    json_path = out_dir / f"{name}.json"
    json_path.write_text(json.dumps(record, indent=1) + "\n")
    svg_path = line_plot(
        mean_curves(curves),
        out_dir / f"{name}.svg",
        title=title,
        x_label="labelled examples",
        y_label="test accuracy (mean over seeds)",
        y_range=y_range,
        hlines=thresholds,
    )
    return json_path, svg_path
