"""The ``score`` job kind: MC-dropout predictions for every spectrum of a dataset, and the
spectra an acquisition function would have an expert label next.

``MODEL`` is a finished ``train`` job; the model must have been trained on this dataset's
wavelength grid. The whole dataset is streamed through the network in chunks: the
deterministic trunk runs once per spectrum and only the dropout head is sampled
``MC_SAMPLES`` times. Scores: BALD, max entropy, variation ratios, mean STD, random, the
batch-aware BatchBALD and PowerBALD, or BALD with k-center / k-means++ diversity in the
embedding; epistemic or predictive variance for regression models. Every spectrum is
predicted; with ``EXCLUDE_LABELLED`` (a label snapshot) only the spectra it leaves
unlabelled can be selected, so an expert is never asked twice.

Results: ``result`` (VOTable, one row per spectrum: path, object, score, prediction,
uncertainty and ``selected``, the acquisition rank or -1), ``top-k`` (VOTable of the
selected spectra in acquisition order), ``arrays`` (.npz: scores, selected indices,
mean prediction, embedding) for ``project``, and ``candidates`` when ``CANDIDATE_CLASS``
is given (spectra predicted in that class, most confident first).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from services import acquisition
from services.jobs import JobContext, JobFailure, Result
from services.jobs.params import JobOutput
from services.learning.candidates import write_candidates
from services.learning.data import open_user_dataset
from services.learning.inputs import stream
from services.learning.labels import labelled_paths
from services.learning.votable import write_table

TITLE = "Score a dataset"
SUMMARY = "MC-dropout predictions and acquisition scores; the spectra to label next."
EXECUTION_DURATION = 6 * 3600
MAX_EXECUTION_DURATION = 7 * 24 * 3600

# The names come from the acquisition registry: one home for the list of methods.
Acquisition = Literal[tuple(acquisition.METHODS)]  # type: ignore[valid-type]


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: Annotated[Path, JobOutput("train")] = Field(description="A finished train job.")
    dataset: str = Field(description="Name of the dataset to score (the model's grid).")
    acquisition: Acquisition = Field("bald", description="How to choose spectra to label.")
    k: int = Field(2048, ge=1, le=1_000_000, description="How many spectra to select.")
    mc_samples: int = Field(20, ge=2, le=200, description="MC-dropout passes (T).")
    batch_size: int = Field(512, ge=1, le=65536, description="Spectra per forward batch.")
    candidate_class: str = Field("", description="List spectra predicted in this class.")
    exclude_labelled: str = Field(
        "", description="A label snapshot in your files: select only spectra it does not label."
    )
    seed: int = Field(0, ge=0, description="Seed of dropout masks and random choices.")


def run(params: Parameters, ctx: JobContext) -> list[Result]:
    """Predict with MC dropout, score, select, and write the tables and arrays."""
    dataset = open_user_dataset(ctx, params.dataset)
    pool = _pool(ctx, dataset, params.exclude_labelled)
    from services import models  # Keras in the job process only

    model, sidecar = _load(models, params.model, dataset)
    out = models.mc_predict(
        model,
        stream(dataset),
        T=params.mc_samples,
        batch_size=params.batch_size,
        seed=params.seed,
        n_total=dataset.n_spectra,
        progress=lambda f, m: ctx.progress(0.9 * f, m),
    )
    ctx.progress(0.9, f"choosing {params.k} spectra by {params.acquisition}", force=True)
    if "probs" in out:  # vote fractions: the answers of one more vote act as classes
        try:
            out["log_probs"] = acquisition.answer_log_probs(out["probs"])
        except ValueError as exc:
            raise JobFailure(f"this vote model cannot be scored: {exc}") from None
    columns, arrays = _predictions(out, sidecar.class_names, params)
    selected, _ = _select(out, params, pool)
    rank = np.full(dataset.n_spectra, -1, dtype=np.int64)
    rank[selected] = np.arange(selected.size)
    base = {
        "row": np.arange(dataset.n_spectra),
        "path": _col(dataset.meta, "path"),
        "object": _col(dataset.meta, "object"),
    }
    table = {**base, **columns, "selected": rank}
    write_table(table, ctx.results_dir / "scores.vot", f"{params.acquisition} scores")
    write_table(
        {name: values[selected] for name, values in table.items()},
        ctx.results_dir / "top_k.vot",
        f"top {selected.size} by {params.acquisition}",
    )
    np.savez(
        ctx.results_dir / "arrays.npz",
        selected=selected,
        embedding=out["embedding"],
        dataset=np.array(params.dataset),
        **arrays,
    )
    results = [
        Result("result", "scores.vot", "application/x-votable+xml"),
        Result("top-k", "top_k.vot", "application/x-votable+xml"),
        Result("arrays", "arrays.npz", "application/octet-stream"),
    ]
    if params.candidate_class:
        results.append(write_candidates(table, params.candidate_class, ctx.results_dir))
    ctx.progress(1.0, f"{dataset.n_spectra} scored, {selected.size} selected", force=True)
    return results


def _load(models, model_dir: Path, dataset):
    try:
        sidecar = models.read_sidecar(model_dir / "model.keras")
        models.check_compatible(
            sidecar, dataset.grid.n_pix, float(dataset.wave[0]), float(dataset.wave[-1])
        )
        model, sidecar = models.load_model(model_dir / "model.keras")
    except (OSError, ValueError) as exc:
        raise JobFailure(f"the model cannot score this dataset: {exc}") from None
    return model, sidecar


def _col(meta, name: str) -> np.ndarray:
    return np.asarray(meta[name]).astype(str) if name in meta.colnames else np.array([""])


def _predictions(out: dict, classes: list[str], params: Parameters) -> tuple[dict, dict]:
    """Per-spectrum columns for the table and arrays for ``project``."""
    if "probs" in out:  # vote fractions [T, N, Q]
        fractions = out["probs"].astype(np.float64)
        score = _per_item_score(params.acquisition, out["log_probs"], params.seed)
        columns = {"score": score, "bald": acquisition.bald(out["log_probs"])}
        for q, name in enumerate(classes):
            columns[f"{name}_fraction"] = fractions[..., q].mean(axis=0)
            columns[f"{name}_std"] = fractions[..., q].std(axis=0)
        mean = fractions.mean(axis=0).astype(np.float32)
        return columns, {"score": score, "fractions": mean}
    if "log_probs" in out:
        log_probs = out["log_probs"]  # [T, N, C]
        probs = acquisition.mean_probs(log_probs)  # [N, C]
        score = _per_item_score(params.acquisition, log_probs, params.seed)
        predicted = np.array(classes)[probs.argmax(axis=1)]
        columns = {
            "score": score,
            "predicted": predicted,
            "confidence": probs.max(axis=1),
            "entropy": acquisition.max_entropy(log_probs),
            "bald": acquisition.bald(log_probs),
        }
        return columns, {"score": score, "probs": probs.astype(np.float32)}
    means, log_vars = out["means"], out["log_vars"]  # [T, N] each
    score = (
        acquisition.epistemic_variance(means, log_vars)
        if params.acquisition == "epistemic_variance"
        else acquisition.predictive_variance(means, log_vars)
    )
    mean = means.astype(np.float64).mean(axis=0)  # [N]
    sigma = np.sqrt(acquisition.predictive_variance(means, log_vars))  # [N]
    return (
        {"score": score, "mean": mean, "sigma": sigma},
        {"score": score, "mean": mean, "sigma": sigma},
    )


def _per_item_score(method: str, log_probs: np.ndarray, seed: int) -> np.ndarray:
    per_item = {
        "entropy": acquisition.max_entropy,
        "variation_ratios": acquisition.variation_ratios,
        "mean_std": acquisition.mean_std,
    }
    if method == "random":
        return acquisition.random_scores(log_probs.shape[1], np.random.default_rng(seed))
    return per_item.get(method, acquisition.bald)(log_probs)


def _pool(ctx: JobContext, dataset, exclude: str) -> np.ndarray:
    """Rows that may be selected: all, or those the snapshot ``exclude`` leaves unlabelled."""
    rows = np.arange(dataset.n_spectra)
    if exclude:
        labelled = labelled_paths(ctx.user_space.resolve(exclude))
        rows = rows[~np.isin(_col(dataset.meta, "path"), list(labelled))]
    if rows.size == 0:
        why = "every spectrum of the dataset is labelled" if exclude else "the dataset is empty"
        raise JobFailure(f"the pool is empty: {why}")
    return rows


def _select(out: dict, params: Parameters, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Acquisition over the pool rows; returns dataset row indices and their scores."""
    method = acquisition.METHODS[params.acquisition]
    regression = "means" in out
    if regression != (method.needs == "regression") and method.needs != "any":
        kind = "regression" if regression else "classification"
        raise JobFailure(f"{params.acquisition} does not apply to a {kind} model")
    whole = pool.size == len(out["embedding"])

    def subset(name: str, axis: int):
        values = out.get(name)
        return values if values is None or whole else np.take(values, pool, axis=axis)

    try:
        chosen, scores = acquisition.select(
            params.acquisition,
            subset("log_probs", 1),
            k=params.k,
            rng=params.seed,
            embedding=subset("embedding", 0),
            means=subset("means", 1),
            log_vars=subset("log_vars", 1),
        )
    except ValueError as exc:
        raise JobFailure(f"acquisition failed: {exc}") from None
    return pool[chosen], scores
