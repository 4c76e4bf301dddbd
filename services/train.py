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

Few labels (``REGIME``): a held-out share of fewer than :data:`MIN_HELD_OUT` spectra is too
small to stop training on (its loss jumps from epoch to epoch) or to measure anything with.
Below that (``REGIME=auto`` for classes, where it was measured; ``REGIME=fixed`` for any
task) the job trains on every label for a fixed schedule (at least ``EPOCHS`` epochs and
:data:`FIXED_MIN_STEPS` gradient steps), with weight decay ``WEIGHT_DECAY / N`` on the
dense layers (DBAL: lambda is proportional to 1/N) and balanced class weights.
``metrics.json`` then says ``"validation": "not measured: too few labels"`` with
``n_validation`` 0, and ``result`` holds the predictions on the labelled spectra (a fit,
not a validation; no ``calibration``). In both regimes a classifier's predictions on all
labelled spectra are checked for collapse (one class for nearly everything,
:mod:`services.learning.collapse`): ``metrics.json`` has ``collapse`` and ``label_counts``.

``ENCODER`` (a ``pretrain`` job, :mod:`services.pretrain`) replaces the conv blocks by that
job's encoder: a Bayesian head (dense + MC dropout) on its frozen features, or the whole
network fine-tuned (``FINE_TUNE``); the dataset's grid must be the encoder's.

Results: ``result`` (the validation predictions, VOTable), ``model`` (.keras) and
``model-info`` (its JSON sidecar: grid, classes, training), ``metrics`` (JSON),
``learning-curve`` and, for classes, ``calibration`` (HTML plots). A later ``score`` job
takes this job's id as its ``MODEL``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.datasets.store import DatasetName
from services.jobs import JobContext, Result, Upload
from services.jobs.params import JobOutput
from services.learning import plots
from services.learning import train_report as report
from services.learning.data import labelled_inputs, open_user_dataset
from services.storage.paths import StoragePath

TITLE = "Train a Bayesian CNN"
SUMMARY = "Train an MC-dropout CNN on a dataset and a label snapshot; validation and calibration."
EXECUTION_DURATION = 6 * 3600
MAX_EXECUTION_DURATION = 7 * 24 * 3600
MIN_LABELS = 10
# Below this many held-out spectra REGIME=auto trains without a validation set: a 95 %
# interval of an accuracy on 30 spectra is already ±0.18 wide (the pages' own warning
# threshold, vocloud.labelling.validation.MIN_VALIDATION), and benchmarks/few_labels.py
# measured early stopping on 2-18 held-out spectra collapsing 2-4 of 6 runs at 10-90
# labels (pool accuracy 0.29-0.44) where the fixed schedule collapsed none (0.75-0.96).
MIN_HELD_OUT = 30
# The fixed schedule runs at least this many gradient steps (a few labels fill one batch:
# EPOCHS epochs alone would be EPOCHS steps).
FIXED_MIN_STEPS = 200
MAX_FIXED_EPOCHS = 2000
NOT_MEASURED = report.NOT_MEASURED


def _ints(text: str) -> tuple[int, ...]:
    wrong = "give positive whole numbers separated by commas, e.g. 16,32,64"
    try:
        values = tuple(int(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:  # int()'s own words ("invalid literal ...") are not for people
        raise ValueError(wrong) from None
    if not values or min(values) < 1:
        raise ValueError(wrong)
    return values


# The base coefficient c of the fixed regime's weight decay c / N (DBAL: lambda ~ 1/N);
# chosen with benchmarks/few_labels.py --weight-decay.
WEIGHT_DECAY = 1.0


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
    regime: Literal["auto", "fixed", "early_stopping"] = Field(
        "auto",
        description="fixed: train on all labels for a fixed schedule with weight decay / N, "
        "no validation; early_stopping: hold out a validation share and stop on its loss; "
        f"auto: fixed for classes when fewer than {MIN_HELD_OUT} spectra would be held out.",
        title="Training regime",
    )
    weight_decay: float = Field(
        WEIGHT_DECAY,
        ge=0,
        le=1000,
        description="Fixed regime: L2 weight decay of the dense layers is this / N labels.",
        title="Weight decay c (of c / N)",
    )
    mc_samples: int = Field(
        20,
        ge=2,
        le=200,
        description="MC-dropout passes for validation.",
        title="MC-dropout passes (T)",
    )
    ensemble: int = Field(
        0,
        ge=0,
        le=10,
        description="0 or 1: one MC-dropout model; 2 to 10: a deep ensemble of that many "
        "models from different seeds (scored with one sample per model: MC_SAMPLES is then "
        "the number of models).",
        title="Deep ensemble (models)",
    )
    seed: int = Field(
        0, ge=0, description="Seed of weights, split and dropout masks.", title="Random seed"
    )
    encoder: Annotated[Path, JobOutput("pretrain")] | None = Field(
        None,
        description="Start from a pretrain job's encoder (then FILTERS and KERNEL_SIZES are "
        "the encoder's).",
        title="Pretrained encoder",
    )
    fine_tune: bool = Field(
        False,
        description="With ENCODER: train the encoder too (default: a Bayesian head on its "
        "frozen features).",
        title="Fine-tune the encoder",
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


def regime_for(params: Parameters, n_labels: int) -> str:
    """The regime a job with ``n_labels`` labels trains in: "fixed" or "early_stopping"."""
    if params.regime != "auto":
        return params.regime
    if params.task != "classification":
        return "early_stopping"  # measured for classes only (benchmarks/few_labels.py)
    held_out = round(params.validation_fraction * n_labels)
    return "fixed" if held_out < MIN_HELD_OUT else "early_stopping"


def fixed_epochs(params: Parameters, n_labels: int) -> int:
    """Epochs of the fixed schedule: ``EPOCHS``, or more to reach :data:`FIXED_MIN_STEPS`."""
    steps_per_epoch = -(-n_labels // params.batch_size)
    return min(MAX_FIXED_EPOCHS, max(params.epochs, -(-FIXED_MIN_STEPS // steps_per_epoch)))


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
    n_labels = len(data.y)
    regime = regime_for(params, n_labels)
    fixed = regime == "fixed"
    weight_decay = params.weight_decay / n_labels if fixed else 0.0
    if params.encoder is not None:
        from services.pretrain import head_on_pretrained

        model = head_on_pretrained(params, dataset, head, weight_decay)
    else:
        model = models.build_spectrum_cnn(
            dataset.grid.n_pix,
            head,
            filters=_ints(params.filters),
            kernel_sizes=_ints(params.kernel_sizes),
            dense=params.dense,
            dropout=params.dropout,
            learning_rate=params.learning_rate,
            weight_decay=weight_decay,
            seed=params.seed,
        )
    if fixed:
        train, val = np.arange(n_labels), np.arange(0)
    else:
        train, val = data.split(params.validation_fraction, params.seed)

    def fit_one(member, seed: int, progress) -> dict:  # ENSEMBLE >= 2: once per member
        return models.fit(
            member,
            data.x[train],
            data.y[train],
            validation_data=None if fixed else (data.x[val], data.y[val]),
            epochs=fixed_epochs(params, n_labels) if fixed else params.epochs,
            batch_size=params.batch_size,
            patience=params.patience,
            early_stopping=not fixed,
            class_weight="balanced"
            if params.class_weights and params.task == "classification"
            else None,
            seed=seed,
            progress=progress,
        )

    model, histories = models.fit_members(
        model,
        params.ensemble,
        fit_one,
        seed=params.seed,
        progress=lambda f, m: ctx.progress(0.05 + 0.8 * f, m),
    )
    history = histories[0]
    ctx.progress(0.87, "predicting with MC dropout", force=True)
    if fixed:
        summary = report.fit_only(models, model, params, data, ctx.results_dir)
    else:
        out = models.mc_predict(
            model, data.x[val], T=params.mc_samples, seed=params.seed, return_embedding=False
        )
        summary = (
            report.validate_votes(out, data, val, ctx.results_dir)
            if params.task == "votes"
            else report.validate(out, data, val, ctx.results_dir)
        )
        summary["validation"] = f"held out: {val.size} spectra"
        if params.task == "classification":
            summary["collapse"] = report.collapse_on_labels(models, model, params, data)
    summary.update(
        n_labelled=n_labels,
        n_train=int(train.size),
        n_validation=int(val.size),
        epochs_run=len(history.get("loss", [])),
        regime=regime,
        weight_decay=weight_decay,
    )
    if params.task == "classification":
        summary["label_counts"] = report.label_counts(data)
    models.save_model(
        model,
        ctx.results_dir / "model.keras",
        head,
        n_pix=dataset.grid.n_pix,
        wave_min=float(dataset.wave[0]),
        wave_max=float(dataset.wave[-1]),
        training={
            **params.model_dump(mode="json", exclude={"labels", "encoder"}),
            "encoder": None if params.encoder is None else params.encoder.parent.name,
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
    return _results(params.task, fixed)


def _headline(summary: dict) -> str:
    warning = summary.get("collapse", {}).get("collapsed", False)
    if summary.get("validation") == NOT_MEASURED:
        text = (
            f"trained on all {summary['n_labelled']} labels for {summary['epochs_run']} "
            "epochs; validation not measured: too few labels"
        )
        return text + ("; the model looks collapsed to one class" if warning else "")
    if "accuracy" in summary:
        return f"validation accuracy {summary['accuracy']:.3f}, ECE {summary['ece']:.3f}"
    if "rmse_fraction" in summary:
        return f"validation vote-fraction RMSE {summary['rmse_fraction']:.3f}"
    return f"validation RMSE {summary['rmse']:.4g}"


def _results(task: str, fixed: bool = False) -> list[Result]:
    table = "labelled.vot" if fixed else "validation.vot"
    found = [
        Result("result", table, "application/x-votable+xml"),
        Result("model", "model.keras", "application/octet-stream"),
        Result("model-info", "model.json", "application/json"),
        Result("metrics", "metrics.json", "application/json"),
        Result("learning-curve", "learning_curve.html", "text/html"),
        Result("history", "history.json", "application/json"),
    ]
    if task == "classification" and not fixed:
        found.append(Result("calibration", "calibration.html", "text/html"))
    return found
