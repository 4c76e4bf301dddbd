"""The ``pretrain`` job kind: a spectrum encoder learnt from every spectrum of a dataset,
without labels.

``METHOD=contrastive`` (SimCLR: two augmented views of each spectrum, Doppler shift, continuum
tilt, masked segments and noise at the spectrum's own S/N, pulled together against the rest
of the batch) or ``autoencoder`` (denoising: noise and masked segments in, the clean spectrum
out); see :mod:`services.models.encoder`. The default is the one ``benchmarks/pretrain.py``
measured better on MILES (``docs/benchmarks.md``). ``MAX_SPECTRA`` trains on a seeded random
subsample of a large dataset; the embedding is computed for every spectrum.

Results: ``encoder`` (.keras) and ``encoder-info`` (its JSON sidecar: the dataset's grid,
method, embedding width), ``embedding`` (``embedding.npz``: ``embedding`` float32 of shape
(n_spectra, EMBEDDING_DIM), row i = dataset row i, and ``rows``), ``learning-curve`` (HTML),
``history`` and ``info`` (JSON: method, epochs, final loss, n). A ``train`` job takes this
job's id as its ``ENCODER`` (a Bayesian head on the frozen encoder, or fine-tuned); a
``project`` job projects its embedding with ``FEATURES=pretrained``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from services.datasets.grid import Grid
from services.datasets.store import DatasetName
from services.jobs import JobContext, JobFailure, Result
from services.learning import plots
from services.learning.data import open_user_dataset
from services.learning.inputs import model_input, stream

TITLE = "Pretrain a spectrum encoder"
SUMMARY = "Learn a spectrum embedding from all spectra of a dataset, without labels."
EXECUTION_DURATION = 6 * 3600
MAX_EXECUTION_DURATION = 7 * 24 * 3600
MIN_SPECTRA = 16
DEFAULT_METHOD = "contrastive"  # benchmarks/pretrain.py, docs/benchmarks.md
SIDECAR = "encoder.json"


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: DatasetName = Field(description="Name of one of your datasets.", title="Dataset")
    method: Literal["contrastive", "autoencoder"] = Field(
        DEFAULT_METHOD,
        description="Contrastive (two augmented views of a spectrum agree) or a denoising "
        "autoencoder.",
        title="Method",
    )
    embedding_dim: int = Field(
        64, ge=2, le=1024, description="Width of the embedding.", title="Embedding width"
    )
    epochs: int = Field(30, ge=1, le=1000, description="Training epochs.", title="Epochs")
    batch_size: int = Field(
        128, ge=4, le=4096, description="Spectra per training step.", title="Batch size"
    )
    max_spectra: int = Field(
        100_000,
        ge=MIN_SPECTRA,
        le=10_000_000,
        description="Train on at most this many spectra (a random subsample); every spectrum "
        "is embedded.",
        title="Most spectra to train on",
    )
    seed: int = Field(
        0, ge=0, le=2**31 - 1, description="Seed of weights, subsample, views.", title="Seed"
    )


def run(params: Parameters, ctx: JobContext) -> list[Result]:
    """Pretrain the encoder, embed every spectrum, save the encoder, embedding and curves."""
    ctx.progress(0.0, "reading the dataset", force=True)
    dataset = open_user_dataset(ctx, params.dataset)
    n = dataset.n_spectra
    if n < MIN_SPECTRA:
        raise JobFailure(
            f"dataset {params.dataset!r} has {n} spectra; pretraining needs at least {MIN_SPECTRA}"
        )
    rng = np.random.default_rng([params.seed, 3])
    rows = (
        np.sort(rng.choice(n, params.max_spectra, replace=False))
        if n > params.max_spectra
        else np.arange(n)
    )
    mask = np.asarray(dataset.mask[rows])
    flux = model_input(np.asarray(dataset.flux[rows]), mask)
    ivar = np.where(mask, 0.0, np.asarray(dataset.ivar[rows], dtype=np.float32))
    from services.models import encoder as enc  # Keras is imported in the job process only

    ctx.progress(0.02, f"pretraining ({params.method}) on {rows.size} spectra", force=True)
    try:
        encoder, history = enc.pretrain_with_history(
            flux,
            ivar,
            dataset.grid,
            method=params.method,
            embedding_dim=params.embedding_dim,
            epochs=params.epochs,
            batch_size=params.batch_size,
            seed=params.seed,
            progress=lambda f, m: ctx.progress(0.02 + 0.83 * f, m),
        )
    except ValueError as exc:
        raise JobFailure(f"pretraining failed: {exc}") from None
    del flux, ivar, mask
    ctx.progress(0.86, f"embedding all {n} spectra", force=True)
    embedding = np.empty((n, params.embedding_dim), np.float32)
    for start, block in zip(range(0, n, 8192), stream(dataset, 8192), strict=False):
        embedding[start : start + len(block)] = enc.embed(encoder, block)
    if not np.all(np.isfinite(embedding)):
        raise JobFailure(
            "the embedding has NaN or infinite values: try fewer epochs or another seed"
        )
    results = ctx.results_dir
    np.savez(results / "embedding.npz", embedding=embedding, rows=np.arange(n))
    info = {
        "method": params.method,
        "epochs": params.epochs,
        "final_loss": history["loss"][-1],
        "n": int(rows.size),
        "n_spectra": n,
        "n_embedded": n,
        "embedding_dim": params.embedding_dim,
        "dataset": params.dataset,
        "dataset_version": dataset.version,
    }
    enc.save_encoder(
        encoder,
        results / "encoder.keras",
        {**info, "grid": dataset.grid.to_dict(), "training": params.model_dump(mode="json")},
    )
    (results / "info.json").write_text(json.dumps(info, indent=1))
    (results / "history.json").write_text(json.dumps(history, indent=1))
    plots.learning_curve(
        history, results / "learning_curve.html", f"Pretraining ({params.method}): {params.dataset}"
    )
    ctx.progress(
        1.0,
        f"{params.method} encoder, final loss {info['final_loss']:.4g}, {n} spectra embedded",
        force=True,
    )
    return [
        Result("encoder", "encoder.keras", "application/octet-stream"),
        Result("encoder-info", SIDECAR, "application/json"),
        Result("embedding", "embedding.npz", "application/octet-stream"),
        Result("learning-curve", "learning_curve.html", "text/html"),
        Result("history", "history.json", "application/json"),
        Result("info", "info.json", "application/json"),
    ]


def read_encoder_info(job_dir: Path) -> dict:
    """The sidecar of a pretrain job's encoder, or a one-sentence JobFailure."""
    try:
        info = json.loads((job_dir / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise JobFailure("the pretrain job has no readable encoder") from None
    # services.models.encoder.FORMAT, spelt out: this module does not import Keras
    if not isinstance(info, dict) or info.get("format") != "vocloud-encoder/1":
        raise JobFailure("the pretrain job's encoder is not a vocloud encoder")
    return info


def check_grid(info: dict, grid: Grid) -> None:
    """Refuse, in one sentence, a dataset whose grid is not the encoder's."""
    try:
        theirs = Grid.from_dict(info["grid"])
    except (KeyError, TypeError, ValueError):
        raise JobFailure("the pretrain job's encoder does not say its grid") from None
    tol = 0.01 * (grid.wave_max - grid.wave_min) / max(grid.n_pix - 1, 1)
    same = theirs.n_pix == grid.n_pix and theirs.spacing == grid.spacing
    same = same and abs(theirs.wave_min - grid.wave_min) <= tol
    same = same and abs(theirs.wave_max - grid.wave_max) <= tol
    if not same:
        raise JobFailure(
            f"the encoder was pretrained on a grid of {theirs.describe()}; this dataset has "
            f"{grid.describe()}: pretrain on this dataset or resample it onto that grid"
        )


def load_for(job_dir: Path, grid: Grid):
    """The encoder of a pretrain job, checked against a dataset's grid (Keras model)."""
    info = read_encoder_info(job_dir)
    check_grid(info, grid)
    from services.models import encoder as enc

    try:
        return enc.load_encoder(job_dir / "encoder.keras")[0]
    except (OSError, ValueError) as exc:
        raise JobFailure(f"the pretrain job's encoder is unreadable: {exc}") from None


def head_on_pretrained(params, dataset, head, weight_decay: float):
    """The ``train`` kind's model on a pretrain job's encoder (``params.encoder``):
    frozen features or fine-tuned (``params.fine_tune``)."""
    if params.fine_tune and getattr(params, "ensemble", 0) >= 2:
        # services.models.ensemble re-initialises every trainable layer of members 2..M:
        # a fine-tuned encoder would start from random weights there.
        raise JobFailure("FINE_TUNE cannot be combined with an ENSEMBLE of 2 or more models")
    from services.models import encoder as enc

    return enc.build_head_on_encoder(
        load_for(params.encoder, dataset.grid),
        head,
        freeze=not params.fine_tune,
        dense=params.dense,
        dropout=params.dropout,
        weight_decay=weight_decay,
        learning_rate=params.learning_rate,
        seed=params.seed,
    )


def pretrained_embedding(
    job_dir: Path, dataset_name: str, rows: np.ndarray, version: int | None = None
) -> np.ndarray:
    """Rows of a pretrain job's embedding (for ``project`` and ``propose``), refused in one
    sentence when that job embedded another dataset, another version of it (``version``:
    the one the caller's rows index; None when unknown), or not these rows, or when the
    embedding is not finite."""
    info = read_encoder_info(job_dir)
    if info.get("dataset") != dataset_name:
        raise JobFailure(
            f"the pretrain job embedded dataset {info.get('dataset')!r}, not {dataset_name!r}"
        )
    embedded_version = info.get("dataset_version")
    if None not in (version, embedded_version) and embedded_version != version:
        raise JobFailure(
            f"the dataset {dataset_name} was rebuilt after the pretrain job embedded it "
            f"(version {embedded_version}, now {version}): pretrain again"
        )
    try:
        with np.load(job_dir / "embedding.npz", allow_pickle=False) as npz:
            embedding, embedded = npz["embedding"], npz["rows"]
    except (OSError, ValueError, KeyError):
        raise JobFailure("the pretrain job's embedding is unreadable") from None
    where = np.searchsorted(embedded, rows)
    if np.any(where >= embedded.size) or np.any(
        embedded[np.minimum(where, embedded.size - 1)] != rows
    ):
        raise JobFailure("the pretrain job did not embed every selected spectrum: pretrain again")
    found = np.asarray(embedding[where], dtype=np.float32)
    if found.ndim != 2 or not np.isfinite(found).all():
        raise JobFailure("the pretrain job's embedding has NaN or infinite values")
    return found
