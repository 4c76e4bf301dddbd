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

A classifier's predictions on the pool are checked for collapse (one class for nearly
every spectrum although the training labels were spread: :mod:`services.learning.collapse`);
the verdict is in INFO elements of ``result`` and ``top-k`` (``collapsed``: true, false or
"not judged" for a model without recorded label counts; ``collapse_class``,
``collapse_k``, ``collapse_n``, ``collapse_share``, ``collapse_label_share`` and, when
collapsed, the sentence ``collapse``) and in the job's last progress message.

A pool larger than ``SHARD_SIZE`` spectra is split into shards that every free worker of
the GPU queue scores at once (``plan``, ``run_shard``, ``merge``: see
:mod:`services.learning.score_parts` for how the shards merge into one result).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from astropy.io.votable import from_table
from astropy.io.votable.tree import Info
from astropy.table import Table
from pydantic import BaseModel, ConfigDict, Field

from services import acquisition
from services.datasets.store import DatasetName
from services.jobs import JobContext, JobFailure, Result
from services.jobs.params import JobOutput
from services.learning import collapse, score_parts
from services.learning.candidates import write_candidates
from services.learning.data import open_user_dataset
from services.learning.inputs import stream
from services.learning.labels import labelled_paths
from services.storage.paths import StoragePath

TITLE = "Score a dataset"
SUMMARY = "MC-dropout predictions and acquisition scores; the spectra to label next."
EXECUTION_DURATION = 6 * 3600
MAX_EXECUTION_DURATION = 7 * 24 * 3600
MAX_SHARDS = 1000
# The collapse verdict of the last merge (JSON, null for regression), for al-round.
COLLAPSE_FILE = "collapse.json"
# Batch-aware methods choose among each shard's best spectra by BALD: this many per
# requested spectrum, and at least MIN_CANDIDATES.
CANDIDATES_PER_K, MIN_CANDIDATES = 4, 1024

# The names come from the acquisition registry: one home for the list of methods.
Acquisition = Literal[tuple(acquisition.METHODS)]  # type: ignore[valid-type]


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: Annotated[Path, JobOutput("train")] = Field(
        description="A finished train job.", title="Trained model (train job)"
    )
    dataset: DatasetName = Field(
        description="Name of the dataset to score (the model's grid).", title="Dataset"
    )
    acquisition: Acquisition = Field(
        "bald", description="How to choose spectra to label.", title="Acquisition function"
    )
    k: int = Field(
        2048,
        ge=1,
        le=1_000_000,
        description="How many spectra to select.",
        title="Spectra to select (K)",
    )
    mc_samples: int = Field(
        20, ge=2, le=200, description="MC-dropout passes (T).", title="MC-dropout passes (T)"
    )
    batch_size: int = Field(
        512, ge=1, le=65536, description="Spectra per forward batch.", title="Batch size"
    )
    target_class: str = Field(
        "",
        description="For discovery: the class whose members to find (a class of the model).",
        title="Target class (discovery)",
    )
    candidate_class: str = Field(
        "", description="List spectra predicted in this class.", title="Candidate class"
    )
    exclude_labelled: StoragePath = Field(
        "",
        description="A label snapshot in your files: select only spectra it does not label.",
        title="Label file to exclude",
    )
    seed: int = Field(
        0, ge=0, description="Seed of dropout masks and random choices.", title="Random seed"
    )
    shard_size: int = Field(
        50_000,
        ge=1,
        le=100_000_000,
        description="Spectra per shard: a larger pool is scored by several workers at once.",
        title="Shard size (spectra)",
    )


def run(params: Parameters, ctx: JobContext) -> list[Result]:
    """Score the whole pool in this process: plan, every shard in turn, merge."""
    shards = plan(params, ctx)
    for shard in shards:
        share = (shard["stop"] - shard["start"]) / shards[-1]["stop"]
        offset = shard["start"] / shards[-1]["stop"]
        run_shard(params, shard, ctx.stage(0.9 * offset, 0.9 * share))
    return merge(params, shards, ctx)


def plan(params: Parameters, ctx: JobContext) -> list[dict]:
    """Check the inputs, write the pool mask, and cut the dataset into shards of rows."""
    dataset = open_user_dataset(ctx, params.dataset)
    pool = _pool(ctx, dataset, params.exclude_labelled)
    np.save(_pool_path(ctx), pool)
    n, batch = dataset.n_spectra, params.batch_size
    size = max(params.shard_size, -(-n // MAX_SHARDS))
    size = -(-size // batch) * batch  # shards start on the batch grid: same masks as whole
    starts = range(0, n, size)
    limit = None if len(starts) == 1 else max(MIN_CANDIDATES, CANDIDATES_PER_K * params.k)
    ctx.progress(0.0, f"{n} spectra in {len(starts)} shard(s) of up to {size}", force=True)
    return [
        {"index": i, "start": a, "stop": min(a + size, n), "candidates": limit}
        for i, a in enumerate(starts)
    ]


def run_shard(params: Parameters, shard: dict, ctx: JobContext) -> None:
    """MC-dropout predictions and per-spectrum scores of one shard, into its part file."""
    dataset = open_user_dataset(ctx, params.dataset)
    start, stop = shard["start"], shard["stop"]
    from services import models  # Keras in the job process only

    model, sidecar = _load(models, params.model, dataset)
    score_parts.check_method(params.acquisition, models.head_kind_of(model) == "heteroscedastic")
    target = score_parts.target_index(
        params.acquisition, params.target_class, list(sidecar.class_names)
    )
    chunk_rows = params.batch_size * max(1, 8192 // params.batch_size)  # batches on the grid
    out = models.mc_predict(
        model,
        stream(dataset, chunk_rows, start=start, stop=stop),
        T=params.mc_samples,
        batch_size=params.batch_size,
        seed=params.seed,
        n_total=stop - start,
        first_row=start,
        progress=ctx.progress,
    )
    if "probs" in out:  # vote fractions: the answers of one more vote act as classes
        try:
            out["log_probs"] = acquisition.answer_log_probs(out["probs"])
        except ValueError as exc:
            raise JobFailure(f"this vote model cannot be scored: {exc}") from None
    pool = np.load(_pool_path(ctx))[start:stop]
    part = score_parts.scored(
        out, sidecar.class_names, params.acquisition, params.seed, start, pool,
        shard["candidates"], target,
    )  # fmt: skip
    score_parts.write_part(part, _part_path(ctx, shard))
    ctx.progress(1.0, f"rows {start}-{stop - 1} scored", force=True)


def merge(params: Parameters, shards: list[dict], ctx: JobContext) -> list[Result]:
    """Join the shards' parts, choose the spectra, write the tables and arrays."""
    ctx.progress(0.9, f"choosing {params.k} spectra by {params.acquisition}", force=True)
    dataset = open_user_dataset(ctx, params.dataset)
    part = score_parts.read_parts([_part_path(ctx, shard) for shard in shards])
    if len(part.embedding) != dataset.n_spectra:
        raise JobFailure("the dataset changed while it was scored; run the job again")
    pool = np.load(_pool_path(ctx))
    selected = score_parts.select(part, params.acquisition, params.k, params.seed, pool)
    verdict = _collapse(part, pool, params.model)
    infos = _collapse_infos(verdict) + _sampling_infos(params)
    (ctx.work_dir / COLLAPSE_FILE).write_text(json.dumps(verdict))
    rank = np.full(dataset.n_spectra, -1, dtype=np.int64)
    rank[selected] = np.arange(selected.size)
    base = {
        "row": np.arange(dataset.n_spectra),
        "path": _col(dataset.meta, "path"),
        "object": _col(dataset.meta, "object"),
    }
    table = {**base, **part.columns, "selected": rank}
    _write_table(table, ctx.results_dir / "scores.vot", f"{params.acquisition} scores", infos)
    _write_table(
        {name: values[selected] for name, values in table.items()},
        ctx.results_dir / "top_k.vot",
        f"top {selected.size} by {params.acquisition}",
        infos,
    )
    np.savez(
        ctx.results_dir / "arrays.npz",
        selected=selected,
        embedding=part.embedding,
        dataset=np.array(params.dataset),
        dataset_version=np.array(dataset.version),
        **part.arrays,
    )
    results = [
        Result("result", "scores.vot", "application/x-votable+xml"),
        Result("top-k", "top_k.vot", "application/x-votable+xml"),
        Result("arrays", "arrays.npz", "application/octet-stream"),
    ]
    if params.candidate_class:
        results.append(write_candidates(table, params.candidate_class, ctx.results_dir))
    done = f"{dataset.n_spectra} scored, {selected.size} selected"
    if verdict and verdict["collapsed"]:
        done += f"; the model looks collapsed to one class ({verdict['class']})"
    ctx.progress(1.0, done, force=True)
    return results


def _collapse(part: score_parts.Scored, pool: np.ndarray, model_dir: Path) -> dict | None:
    """The collapse verdict on the pool's predicted classes; None for regression or votes."""
    if "predicted" not in part.columns or "probs" not in part.arrays:
        return None
    try:
        sidecar = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
        counts = sidecar.get("training", {}).get("label_counts") or {}
    except (OSError, ValueError, AttributeError):
        counts = {}  # a model from before label counts were recorded: not judged
    where = "unlabelled spectra" if not pool.all() else "spectra of the dataset"
    return collapse.detect(part.columns["predicted"][pool], counts, where)


def _sampling_infos(params: Parameters) -> list[tuple[str, str]]:
    """How the posterior was sampled: MC dropout (MC_SAMPLES passes) or a deep ensemble."""
    try:
        sidecar = json.loads((params.model / "model.json").read_text(encoding="utf-8"))
        members = int(sidecar.get("ensemble") or 0)
    except (OSError, ValueError, TypeError, AttributeError):
        members = 0
    if members < 2:
        return [("posterior", "MC dropout"), ("mc_samples", str(params.mc_samples))]
    sentence = (
        f"a deep ensemble of {members} models: one sample per model, so MC_SAMPLES is "
        f"{members} here (MC_SAMPLES={params.mc_samples} was not used)"
    )
    return [("posterior", sentence), ("mc_samples", str(members))]


def _collapse_infos(verdict: dict | None) -> list[tuple[str, str]]:
    if verdict is None:
        return []
    infos = [
        (
            "collapsed",
            "true" if verdict["collapsed"] else "false" if verdict["judged"] else "not judged",
        ),
        ("collapse_class", verdict["class"]),
        ("collapse_k", str(verdict["k"])),
        ("collapse_n", str(verdict["n"])),
        ("collapse_share", f"{verdict['share']}"),
        ("collapse_label_share", f"{verdict['label_share']}"),
    ]
    if verdict["collapsed"]:
        infos.append(("collapse", verdict["sentence"]))
    return infos


def _write_table(columns: dict, path: Path, description: str, infos: list[tuple[str, str]]) -> None:
    """A per-spectrum VOTable (as ``services.learning.votable``) with INFO elements."""
    table = Table(columns)
    table.meta["description"] = description
    votable = from_table(table)
    for name, value in infos:
        votable.resources[0].infos.append(Info(name=name, value=value))
    votable.to_xml(str(path))


def _pool_path(ctx: JobContext) -> Path:
    return ctx.work_dir / "pool.npy"


def _part_path(ctx: JobContext, shard: dict) -> Path:
    return ctx.work_dir / "shards" / f"{shard['index']:04d}" / "part.npz"


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


def _pool(ctx: JobContext, dataset, exclude: str) -> np.ndarray:
    """Which rows may be selected (bool per row): all, or those ``exclude`` leaves unlabelled."""
    pool = np.ones(dataset.n_spectra, dtype=bool)
    if exclude:
        labelled = labelled_paths(ctx.user_space.resolve(exclude))
        pool &= ~np.isin(_col(dataset.meta, "path"), list(labelled))
    if not pool.any():
        why = "every spectrum of the dataset is labelled" if exclude else "the dataset is empty"
        raise JobFailure(f"the pool is empty: {why}")
    return pool
