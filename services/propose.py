"""The ``propose`` job kind: the first spectra to label, chosen without a model (cold start).

A labelling session that begins with no labels asks this job which spectra to label first.
It takes features of every spectrum of the dataset (the embedding of a finished
``pretrain`` job, ENCODER; without one, the first principal components of the flux), and
proposes ``K`` of them by TypiClust (:mod:`services.acquisition.typiclust`): typical spectra
of different k-means clusters of the feature space, skipping the clusters of spectra that
EXCLUDE_LABELLED already labels.

The map shows the K proposals first (in proposal order) and then up to ``MAP_SIZE`` other
unlabelled spectra drawn at random (seeded) from the pool, most typical first, so that the
expert can also lasso a proposal's neighbours; MAP_SIZE 0 maps the proposals alone. The
``score`` of every point is its typicality within its k-means cluster (1 / mean distance to
its 20 nearest neighbours there), in the units of the features.

Results, with the ids and columns of an ``al-round`` job's (so that a labelling session
shows them unchanged): ``result`` (VOTable: row, path, object, score, x, y), ``scores``
(the same rows with their cluster and whether they were proposed), ``coords``, ``plot``,
``info`` and ``summary`` (JSON: ``cold_start``, ``features`` — "embedding" or "pca" —,
``sentence``, the numbers of proposals, mapped spectra and clusters).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from bokeh.embed import file_html
from bokeh.models import ColumnDataSource, HoverTool, LinearColorMapper
from bokeh.plotting import figure
from bokeh.resources import INLINE
from pydantic import BaseModel, ConfigDict, Field

from services.acquisition.typiclust import K_NEIGHBOURS, MAX_TYPICALITY_POINTS, typiclust
from services.datasets.store import DatasetName
from services.jobs import JobContext, JobFailure, Result
from services.jobs.params import JobOutput
from services.learning.data import open_user_dataset
from services.learning.inputs import gather, stream
from services.learning.labels import labelled_paths
from services.learning.votable import write_table
from services.project import _numba_cache
from services.storage.paths import StoragePath

TITLE = "Propose spectra to label (cold start)"
SUMMARY = "TypiClust: typical spectra of different clusters, to label first, without a model."
EXECUTION_DURATION = 3600
MAX_EXECUTION_DURATION = 24 * 3600

#: Principal components of the flux used as features without an encoder.
PCA_COMPONENTS = 32
#: Spectra the flux PCA is fitted on (a seeded random subset of bigger datasets).
PCA_FIT_ROWS = 20_000
#: The sentences the labelling session shows for the two kinds of features.
SENTENCES = {
    "embedding": "Proposed by typicality (TypiClust) in the pretrained embedding",
    "pca": "Proposed by typicality (TypiClust) in PCA of the flux",
}


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: DatasetName = Field(
        description="Name of the dataset to propose from.", title="Dataset"
    )
    encoder: Annotated[Path, JobOutput("pretrain")] | None = Field(
        None,
        description="A finished pretrain job of this dataset (its embedding); without one, "
        "principal components of the flux.",
        title="Pretrained encoder (pretrain job)",
    )
    k: int = Field(30, ge=1, le=5000, description="How many spectra to propose.", title="K")
    map_size: int = Field(
        1000,
        ge=0,
        le=100_000,
        description="Other unlabelled spectra shown on the map around the proposals.",
        title="Other spectra on the map",
    )
    exclude_labelled: StoragePath = Field(
        "",
        description="A label snapshot in your files: its spectra are not proposed again, "
        "and their clusters come last.",
        title="Label file to exclude",
    )
    method: Literal["umap", "tsne", "pca"] = Field(
        "umap", description="Projection method of the map.", title="Projection method"
    )
    seed: int = Field(0, ge=0, description="Seed of clustering, sample and map.", title="Seed")


def run(params: Parameters, ctx: JobContext) -> list[Result]:
    """Features, TypiClust, the map; writes the results like an al-round's."""
    dataset = open_user_dataset(ctx, params.dataset)
    n = dataset.n_spectra
    if n < 3:
        raise JobFailure(f"the dataset {params.dataset} has {n} spectra; at least 3 are needed")
    paths = _column(dataset.meta, "path", n)
    objects = _column(dataset.meta, "object", n)
    labelled = np.zeros(n, dtype=bool)
    if params.exclude_labelled:
        known = labelled_paths(ctx.user_space.resolve(params.exclude_labelled))
        labelled = np.isin(paths, list(known))
    if labelled.all():
        raise JobFailure("every spectrum of the dataset is labelled or marked: nothing to propose")
    ctx.progress(0.05, "reading the features", force=True)
    if params.encoder is not None:
        features, used = _embedding(params.encoder, dataset, params.dataset), "embedding"
    else:
        features, used = _flux_pca(dataset, params.seed, ctx), "pca"
    ctx.progress(0.3, f"clustering {n} spectra ({used})", force=True)
    chosen = typiclust(features, params.k, np.flatnonzero(labelled), seed=params.seed)
    rows, score = _map_rows(chosen, features, labelled, params.map_size, params.seed)
    ctx.progress(0.6, f"mapping {rows.size} spectra with {params.method}", force=True)
    coords, info = _map(features[rows], params.method, params.seed, ctx)
    columns = {
        "row": rows,
        "path": paths[rows],
        "object": objects[rows],
        "score": score,
        "x": coords[:, 0],
        "y": coords[:, 1],
    }
    proposed = np.arange(rows.size) < chosen.rows.size
    write_table(
        columns, ctx.results_dir / "projection.vot", f"{params.method} map, proposals first"
    )
    cluster = chosen.labels[rows]
    write_table(
        {**{k: columns[k] for k in ("row", "path", "object", "score")}, "cluster": cluster}
        | {"proposed": proposed},
        ctx.results_dir / "scores.vot",
        "typicality of the mapped spectra",
    )
    np.savez(ctx.results_dir / "coords.npz", rows=rows, coords=coords)
    _plot(columns, proposed, ctx.results_dir / "projection.html", params.method)
    (ctx.results_dir / "info.json").write_text(json.dumps(info, indent=1, default=str))
    summary = {
        "cold_start": True,
        "features": used,
        "sentence": SENTENCES[used],
        "k": params.k,
        "n_proposed": int(chosen.rows.size),
        "n_mapped": int(rows.size),
        "n_clusters": chosen.n_clusters,
        "n_labelled": int(labelled.sum()),
        "n_spectra": n,
        "k_neighbours": K_NEIGHBOURS,
        "method": params.method,
        "collapse": None,
    }
    (ctx.results_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    ctx.progress(1.0, f"{chosen.rows.size} spectra proposed ({used})", force=True)
    return [
        Result("result", "projection.vot", "application/x-votable+xml"),
        Result("scores", "scores.vot", "application/x-votable+xml"),
        Result("coords", "coords.npz", "application/octet-stream"),
        Result("plot", "projection.html", "text/html"),
        Result("info", "info.json", "application/json"),
        Result("summary", "summary.json", "application/json"),
    ]


def _map(features: np.ndarray, method: str, seed: int, ctx: JobContext):
    """2-D coordinates of the mapped spectra (in a row when fewer than 3: nothing to project)."""
    if features.shape[0] < 3:
        coords = np.column_stack([np.arange(features.shape[0]), np.zeros(features.shape[0])])
        return coords.astype(np.float32), {"method": "none", "why": "fewer than 3 spectra"}
    from services.projection import ProjectionError, project  # numba in the job process

    try:
        return project(features, method, random_state=seed, numba_cache=_numba_cache(ctx))
    except ProjectionError as exc:
        raise JobFailure(f"the map cannot be drawn: {exc}") from None


def _column(meta, name: str, n: int) -> np.ndarray:
    if name in meta.colnames:
        return np.asarray(meta[name]).astype(str)
    return np.full(n, "", dtype=str)


def _embedding(results: Path, dataset, name: str) -> np.ndarray:
    """The pretrain job's embedding of every dataset row (row i = dataset row i)."""
    from services.pretrain import pretrained_embedding

    rows = np.arange(dataset.n_spectra)
    return pretrained_embedding(results, name, rows, dataset.version)


def _flux_pca(dataset, seed: int, ctx: JobContext) -> np.ndarray:
    """The first principal components of the flux of every row (fitted on a subset)."""
    from sklearn.decomposition import PCA

    n = dataset.n_spectra
    rng = np.random.default_rng(seed)
    fit_rows = np.sort(rng.choice(n, min(n, PCA_FIT_ROWS), replace=False))
    sample = gather(dataset, fit_rows)
    components = max(1, min(PCA_COMPONENTS, sample.shape[0] - 1, sample.shape[1]))
    pca = PCA(n_components=components, random_state=seed).fit(sample)
    parts = []
    for block in stream(dataset):
        parts.append(pca.transform(block).astype(np.float32))
        ctx.progress(0.05 + 0.25 * sum(p.shape[0] for p in parts) / n)
    return np.concatenate(parts)


def _map_rows(chosen, features, labelled, map_size: int, seed: int):
    """The proposals, then up to ``map_size`` other unlabelled rows by typicality; scores."""
    from sklearn.neighbors import NearestNeighbors

    others = np.flatnonzero(~labelled)
    others = others[~np.isin(others, chosen.rows)]
    rng = np.random.default_rng(seed)
    if others.size > map_size:
        others = np.sort(rng.choice(others, map_size, replace=False))
    typical = np.zeros(others.size)
    for c in np.unique(chosen.labels[others]):
        members = np.flatnonzero(chosen.labels == c)
        if members.size > MAX_TYPICALITY_POINTS:
            members = rng.choice(members, MAX_TYPICALITY_POINTS, replace=False)
        here = chosen.labels[others] == c
        k = min(K_NEIGHBOURS + 1, members.size)
        if k < 2:
            typical[here] = 1.0
            continue
        nn = NearestNeighbors(n_neighbors=k).fit(features[members])
        distances, _ = nn.kneighbors(features[others[here]])
        typical[here] = 1.0 / (distances[:, 1:].mean(axis=1) + 1e-5)
    order = np.argsort(-typical, kind="stable")
    rows = np.concatenate([chosen.rows, others[order]]).astype(np.int64)
    return rows, np.concatenate([chosen.typicality, typical[order]])


def _plot(columns: dict, proposed: np.ndarray, path: Path, method: str) -> None:
    data = {k: columns[k] for k in ("x", "y", "score", "path", "object")}
    data["size"] = np.where(proposed, 10.0, 5.0)
    colours = LinearColorMapper(
        palette="Viridis256", low=float(columns["score"].min()), high=float(columns["score"].max())
    )
    plot = figure(
        title=f"{method.upper()} map: {int(proposed.sum())} proposals (big) and other spectra "
        "(colour: typicality)",
        width=800,
        height=700,
        tools="pan,wheel_zoom,box_zoom,lasso_select,reset",
        output_backend="webgl",
    )
    plot.scatter(
        "x", "y", source=ColumnDataSource(data), size="size", alpha=0.8,
        color={"field": "score", "transform": colours},
    )  # fmt: skip
    plot.add_tools(
        HoverTool(tooltips=[("object", "@object"), ("path", "@path"), ("typicality", "@score")])
    )
    path.write_text(file_html(plot, INLINE, "proposals"), encoding="utf-8")
