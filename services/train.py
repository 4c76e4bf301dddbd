"""The ``train`` job kind: a Bayesian CNN (Monte-Carlo dropout) on a dataset and a label
snapshot.

The label snapshot is a CSV with a ``path`` column (relative to your files, as in the
dataset) and the label column named by ``TARGET``; it is read once, when the job starts.
Classification learns a softmax over the classes found (class weights against imbalance);
regression learns a mean and a log-variance (heteroscedastic Gaussian); votes (Walmsley et
al. 2020: ``TARGET`` names one vote-count column per question, ``TOTAL_COLUMN`` the number
of voters) learn a vote fraction per question with a binomial likelihood. A seeded random
``VALIDATION_FRACTION`` of the labelled spectra is held out: the job reports accuracy and
expected calibration error (classes), RMSE, PIT and interval coverage (regression), or
vote-fraction RMSE, binomial NLL and coverage (votes), with
MC-dropout predictions (``MC_SAMPLES`` passes).

Results: ``result`` (the validation predictions, VOTable), ``model`` (.keras) and
``model-info`` (its JSON sidecar: grid, classes, training), ``metrics`` (JSON),
``learning-curve`` and, for classes, ``calibration`` (HTML plots). A later ``score`` job
takes this job's id as its ``MODEL``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.datasets.store import DatasetName
from services.jobs import JobContext, Result, Upload
from services.learning import metrics, plots
from services.learning.data import labelled_inputs, open_user_dataset
from services.learning.votable import write_table
from services.storage.paths import StoragePath

TITLE = "Train a Bayesian CNN"
SUMMARY = "Train an MC-dropout CNN on a dataset and a label snapshot; validation and calibration."
EXECUTION_DURATION = 6 * 3600
MAX_EXECUTION_DURATION = 7 * 24 * 3600
MIN_LABELS = 10


def _ints(text: str) -> tuple[int, ...]:
    wrong = "give positive whole numbers separated by commas, e.g. 16,32,64"
    try:
        values = tuple(int(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:  # int()'s own words ("invalid literal ...") are not for people
        raise ValueError(wrong) from None
    if not values or min(values) < 1:
        raise ValueError(wrong)
    return values


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: DatasetName = Field(description="Name of one of your datasets.", title="Dataset")
    labels: Upload | None = Field(
        None,
        description="Label snapshot (CSV: path + label columns).",
        title="Label snapshot (upload)",
    )
    labels_file: StoragePath = Field(
        "", description="Or: a label snapshot CSV in your files.", title="Label file"
    )
    target: str = Field(
        "class",
        description="The label column to learn (votes: the vote-count columns).",
        title="Label column",
    )
    task: Literal["classification", "regression", "votes"] = Field(
        "classification",
        description="Classes (softmax), a number (Gaussian mean + variance) or vote counts "
        "(binomial).",
        title="Task",
    )
    total_column: str = Field(
        "total", description="Votes: the column with the voters.", title="Voters column"
    )
    filters: str = Field(
        "16,32,64", description="Filters of the convolution blocks.", title="Convolution filters"
    )
    kernel_sizes: str = Field(
        "7,5,3", description="Kernel sizes (pixels), one per block.", title="Kernel sizes (px)"
    )
    dense: int = Field(
        128, ge=4, le=4096, description="Width of the embedding layer.", title="Embedding width"
    )
    dropout: float = Field(
        0.25, ge=0.01, le=0.9, description="MC-dropout rate.", title="Dropout rate"
    )
    epochs: int = Field(
        40, ge=1, le=2000, description="Most epochs (early stopping).", title="Most epochs"
    )
    batch_size: int = Field(
        64, ge=1, le=4096, description="Spectra per training step.", title="Batch size"
    )
    learning_rate: float = Field(
        1e-3, gt=0, le=1, description="Adam learning rate.", title="Learning rate"
    )
    patience: int = Field(
        8,
        ge=1,
        le=200,
        description="Epochs without improvement to stop.",
        title="Patience (epochs)",
    )
    validation_fraction: float = Field(
        0.2, ge=0.05, le=0.5, description="Held-out share.", title="Validation share"
    )
    class_weights: bool = Field(
        True, description="Weigh classes against imbalance.", title="Weigh classes"
    )
    mc_samples: int = Field(
        20,
        ge=2,
        le=200,
        description="MC-dropout passes for validation.",
        title="MC-dropout passes (T)",
    )
    seed: int = Field(
        0, ge=0, description="Seed of weights, split and dropout masks.", title="Random seed"
    )

    @field_validator("filters", "kernel_sizes")
    @classmethod
    def _int_list(cls, value: str) -> str:
        _ints(value)
        return value

    @model_validator(mode="after")
    def _one_snapshot(self) -> Parameters:
        if (self.labels is None) == (not self.labels_file):
            raise ValueError("give the label snapshot either as LABELS (upload) or LABELS_FILE")
        if len(_ints(self.filters)) != len(_ints(self.kernel_sizes)):
            raise ValueError("FILTERS and KERNEL_SIZES need the same number of values")
        return self


def run(params: Parameters, ctx: JobContext) -> list[Result]:
    """Train, validate with MC dropout, save the model and the plots."""
    ctx.progress(0.0, "reading the dataset and labels", force=True)
    dataset = open_user_dataset(ctx, params.dataset)
    snapshot = params.labels or ctx.user_space.resolve(params.labels_file)
    data = labelled_inputs(
        dataset, Path(snapshot), params.target, params.task, MIN_LABELS, params.total_column
    )
    from services import models  # Keras is imported in the job process only

    head = {
        "classification": lambda: models.Head.classification(data.classes),
        "regression": lambda: models.Head.heteroscedastic(params.target),
        "votes": lambda: models.Head.binomial(data.classes),
    }[params.task]()
    model = models.build_spectrum_cnn(
        dataset.grid.n_pix,
        head,
        filters=_ints(params.filters),
        kernel_sizes=_ints(params.kernel_sizes),
        dense=params.dense,
        dropout=params.dropout,
        learning_rate=params.learning_rate,
        seed=params.seed,
    )
    train, val = data.split(params.validation_fraction, params.seed)
    history = models.fit(
        model,
        data.x[train],
        data.y[train],
        validation_data=(data.x[val], data.y[val]),
        epochs=params.epochs,
        batch_size=params.batch_size,
        patience=params.patience,
        class_weight="balanced"
        if params.class_weights and params.task == "classification"
        else None,
        seed=params.seed,
        progress=lambda f, m: ctx.progress(0.05 + 0.8 * f, m),
    )
    ctx.progress(0.87, "validating with MC dropout", force=True)
    out = models.mc_predict(
        model, data.x[val], T=params.mc_samples, seed=params.seed, return_embedding=False
    )
    summary = (
        _validate_votes(out, data, val, ctx.results_dir)
        if params.task == "votes"
        else _validate(out, data, val, ctx.results_dir)
    )
    summary.update(
        n_labelled=len(data.y),
        n_train=int(train.size),
        n_validation=int(val.size),
        epochs_run=len(history.get("loss", [])),
    )
    models.save_model(
        model,
        ctx.results_dir / "model.keras",
        head,
        n_pix=dataset.grid.n_pix,
        wave_min=float(dataset.wave[0]),
        wave_max=float(dataset.wave[-1]),
        training={
            **params.model_dump(mode="json", exclude={"labels"}),
            "dataset_version": dataset.version,
            **summary,
        },
    )
    (ctx.results_dir / "metrics.json").write_text(json.dumps(summary, indent=1))
    # The learning curve as data (loss and metrics per epoch), beside its plot.
    epochs = {str(k): [float(v) for v in values] for k, values in history.items()}
    (ctx.results_dir / "history.json").write_text(json.dumps(epochs, indent=1))
    plots.learning_curve(
        history,
        ctx.results_dir / "learning_curve.html",
        f"Learning curve: {params.dataset}, {params.target}",
    )
    ctx.progress(1.0, _headline(summary), force=True)
    return _results(params.task)


def _validate(out: dict, data, val: np.ndarray, results: Path) -> dict:
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


def _validate_votes(out: dict, data, val: np.ndarray, results: Path) -> dict:
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


def _headline(summary: dict) -> str:
    if "accuracy" in summary:
        return f"validation accuracy {summary['accuracy']:.3f}, ECE {summary['ece']:.3f}"
    if "rmse_fraction" in summary:
        return f"validation vote-fraction RMSE {summary['rmse_fraction']:.3f}"
    return f"validation RMSE {summary['rmse']:.4g}"


def _results(task: str) -> list[Result]:
    found = [
        Result("result", "validation.vot", "application/x-votable+xml"),
        Result("model", "model.keras", "application/octet-stream"),
        Result("model-info", "model.json", "application/json"),
        Result("metrics", "metrics.json", "application/json"),
        Result("learning-curve", "learning_curve.html", "text/html"),
        Result("history", "history.json", "application/json"),
    ]
    if task == "classification":
        found.append(Result("calibration", "calibration.html", "text/html"))
    return found
