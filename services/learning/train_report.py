"""What a ``train`` job reports about the model it trained: validation predictions and
metrics (held-out regime), the fit on the labels (fixed regime), and the collapse check.

``models`` is :mod:`services.models` (imported by the job, with Keras); ``params`` the
job's :class:`services.train.Parameters`; ``data`` its labelled inputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from services.learning import collapse, metrics, plots
from services.learning.votable import write_table

NOT_MEASURED = "not measured: too few labels"


def label_counts(data) -> dict[str, int]:
    counts = np.bincount(data.y, minlength=len(data.classes))  # [C]
    return {name: int(c) for name, c in zip(data.classes, counts, strict=True)}


def collapse_on_labels(models, model, params, data) -> dict:
    """The collapse check on the MC-mean predictions of every labelled spectrum."""
    out = models.mc_predict(
        model, data.x, T=params.mc_samples, seed=params.seed, return_embedding=False
    )
    probs = np.exp(out["log_probs"].astype(np.float64)).mean(axis=0)  # [n_labelled, C]
    predicted = np.array(data.classes)[probs.argmax(axis=1)]
    return collapse.detect(predicted, label_counts(data), "labelled spectra")


def fit_only(models, model, params, data, results: Path) -> dict:
    """Fixed regime: no validation; the predictions on the labelled spectra, and collapse."""
    out = models.mc_predict(
        model, data.x, T=params.mc_samples, seed=params.seed, return_embedding=False
    )
    found: dict = {"validation": NOT_MEASURED}
    columns: dict[str, np.ndarray] = {"path": data.paths}
    if "log_probs" in out:
        probs = np.exp(out["log_probs"].astype(np.float64)).mean(axis=0)  # [n, C]
        names = np.array(data.classes)
        predicted = names[probs.argmax(axis=1)]
        columns |= {"label": names[data.y], "predicted": predicted}
        columns["confidence"] = probs.max(axis=1)
        if params.task == "classification":
            found["collapse"] = collapse.detect(predicted, label_counts(data), "labelled spectra")
    elif "means" in out:
        means, log_vars = out["means"].astype(np.float64), out["log_vars"].astype(np.float64)
        columns |= {"truth": data.y, "mean": means.mean(axis=0)}  # [n]
        columns["sigma"] = np.sqrt(means.var(axis=0) + np.exp(log_vars).mean(axis=0))
    else:
        mean = out["probs"].astype(np.float64).mean(axis=0)  # [n, Q]
        for q, name in enumerate(data.classes):
            columns[f"{name}_fraction"] = mean[:, q]
    write_table(
        columns,
        results / "labelled.vot",
        "predictions on the training labels (MC-dropout mean): a fit, not a validation",
    )
    return found


def validate(out: dict, data, val: np.ndarray, results: Path) -> dict:
    paths = data.paths[val]
    if "log_probs" in out:
        probs = np.exp(out["log_probs"].astype(np.float64)).mean(axis=0)  # [n_val, C]
        found = metrics.calibration(probs, data.y[val])
        plots.reliability_diagram(found["bins"], found["ece"], results / "calibration.html")
        names = np.array(data.classes)
        write_table(
            {
                "path": paths,
                "label": names[data.y[val]],
                "predicted": names[probs.argmax(axis=1)],
                "confidence": probs.max(axis=1),
            },
            results / "validation.vot",
            "validation predictions (MC-dropout mean)",
        )
        return {"accuracy": found["accuracy"], "ece": found["ece"], "bins": found["bins"]}
    means, log_vars = out["means"].astype(np.float64), out["log_vars"].astype(np.float64)
    mean = means.mean(axis=0)  # [n_val]
    sigma = np.sqrt(means.var(axis=0) + np.exp(log_vars).mean(axis=0))  # [n_val]
    found = metrics.regression(mean, sigma, data.y[val])
    write_table(
        {
            "path": paths,
            "truth": data.y[val],
            "mean": mean,
            "sigma": sigma,
            "pit": np.array(found["pit"]),
        },
        results / "validation.vot",
        "validation predictions (MC-dropout mean)",
    )
    return {k: v for k, v in found.items() if k != "pit"}


def validate_votes(out: dict, data, val: np.ndarray, results: Path) -> dict:
    found = metrics.votes(out["probs"], data.y[val], data.classes)
    mean = out["probs"].astype(np.float64).mean(axis=0)  # [n_val, Q]
    columns: dict[str, np.ndarray] = {"path": data.paths[val]}
    for q, name in enumerate(data.classes):
        votes, voters = data.y[val, q, 0], data.y[val, q, 1]
        columns[f"{name}_votes"] = votes
        columns[f"{name}_voters"] = voters
        columns[f"{name}_fraction"] = mean[:, q]
    write_table(columns, results / "validation.vot", "validation vote fractions (MC mean)")
    return found
