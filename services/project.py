"""The ``project`` job kind: the spectra a ``score`` job selected, mapped to 2-D.

Takes the top ``K`` of a finished score job (in acquisition order) and projects their
network embedding, their flux, or their embedding by a ``pretrain`` job's encoder
(``FEATURES=pretrained`` with ``ENCODER``), with PCA, t-SNE (openTSNE) or UMAP, seeded. The
expert then picks a diverse, non-redundant subsample from the scatter plot.

Results: ``result`` (VOTable: row, path, object, score, x, y), ``coords`` (.npz with rows
and coordinates) and ``plot`` (an HTML scatter plot coloured by score).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from astropy.io.votable import parse_single_table
from bokeh.embed import file_html
from bokeh.models import ColumnDataSource, HoverTool, LinearColorMapper
from bokeh.plotting import figure
from bokeh.resources import INLINE
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.jobs import JobContext, JobFailure, Result
from services.jobs.params import JobOutput
from services.learning.data import open_user_dataset
from services.learning.inputs import gather
from services.learning.votable import write_table

TITLE = "Project to 2-D"
SUMMARY = "PCA, t-SNE or UMAP of the spectra a score job selected, for picking what to label."
EXECUTION_DURATION = 3600
MAX_EXECUTION_DURATION = 24 * 3600


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: Annotated[Path, JobOutput("score")] = Field(
        description="A finished score job.", title="Score job"
    )
    method: Literal["umap", "tsne", "pca"] = Field(
        "umap", description="Projection method.", title="Projection method"
    )
    features: Literal["embedding", "flux", "pretrained"] = Field(
        "embedding",
        description="Project the network embedding, the flux itself, or the embedding of a "
        "pretrain job (ENCODER).",
        title="Features to project",
    )
    encoder: Annotated[Path, JobOutput("pretrain")] | None = Field(
        None,
        description="With FEATURES=pretrained: the pretrain job whose embedding to project.",
        title="Pretrain job",
    )
    k: int = Field(
        2048,
        ge=3,
        le=200_000,
        description="How many of the selected spectra.",
        title="Spectra to project (K)",
    )
    seed: int = Field(0, ge=0, description="Seed of the projection.", title="Random seed")

    @model_validator(mode="after")
    def _encoder_for_pretrained(self) -> Parameters:
        if self.features == "pretrained" and self.encoder is None:
            raise ValueError("FEATURES=pretrained needs ENCODER, a finished pretrain job")
        return self


def run(params: Parameters, ctx: JobContext) -> list[Result]:
    """Load the selection, project it, write the table, arrays and plot."""
    try:
        arrays = np.load(params.scores / "arrays.npz")
        top = parse_single_table(params.scores / "top_k.vot").to_table()
    except (OSError, ValueError) as exc:
        raise JobFailure(f"the score job's results are unreadable: {exc}") from None
    rows = arrays["selected"][: params.k]
    if rows.size < 3:
        raise JobFailure(f"only {rows.size} spectra were selected; at least 3 are needed")
    ctx.progress(0.1, f"projecting {rows.size} spectra with {params.method}", force=True)
    if params.features == "embedding":
        features = np.asarray(arrays["embedding"][rows])
    elif params.features == "pretrained" and params.encoder is not None:
        from services.pretrain import pretrained_embedding

        # Score jobs record the version they scored (older ones: unknown, not checked).
        version = int(arrays["dataset_version"]) if "dataset_version" in arrays.files else None
        features = pretrained_embedding(params.encoder, str(arrays["dataset"]), rows, version)
    else:
        features = gather(open_user_dataset(ctx, str(arrays["dataset"])), np.sort(rows))
        features = features[np.argsort(np.argsort(rows))]  # back to acquisition order
    from services.projection import ProjectionError, project  # numba in the job process

    try:
        coords, info = project(
            features,
            params.method,
            random_state=params.seed,
            numba_cache=_numba_cache(ctx),
        )
    except ProjectionError as exc:
        raise JobFailure(str(exc)) from None
    top = top[: rows.size]
    columns = {
        "row": rows,
        "path": np.asarray(top["path"]).astype(str),
        "object": np.asarray(top["object"]).astype(str),
        "score": np.asarray(top["score"], dtype=float),
        "x": coords[:, 0],
        "y": coords[:, 1],
    }
    write_table(columns, ctx.results_dir / "projection.vot", f"{params.method} projection")
    np.savez(ctx.results_dir / "coords.npz", rows=rows, coords=coords)
    _plot(columns, ctx.results_dir / "projection.html", params.method)
    (ctx.results_dir / "info.json").write_text(json.dumps(info, indent=1, default=str))
    ctx.progress(1.0, f"{rows.size} spectra projected", force=True)
    return [
        Result("result", "projection.vot", "application/x-votable+xml"),
        Result("coords", "coords.npz", "application/octet-stream"),
        Result("plot", "projection.html", "text/html"),
        Result("info", "info.json", "application/json"),
    ]


def _numba_cache(ctx: JobContext) -> Path:
    """The worker's shared numba cache (where its fork server warmed UMAP), else the user's."""
    shared = os.environ.get("VOCLOUD_NUMBA_CACHE_DIR")
    return Path(shared) if shared else ctx.user_space.root / "cache" / "numba"


def _plot(columns: dict, path: Path, method: str) -> None:
    source = ColumnDataSource({k: columns[k] for k in ("x", "y", "score", "path", "object")})
    colours = LinearColorMapper(
        palette="Viridis256", low=float(columns["score"].min()), high=float(columns["score"].max())
    )
    plot = figure(
        title=f"{method.upper()} of the selected spectra (colour: score)",
        width=800,
        height=700,
        tools="pan,wheel_zoom,box_zoom,lasso_select,reset",
        output_backend="webgl",
    )
    plot.scatter(
        "x", "y", source=source, size=6, alpha=0.8, color={"field": "score", "transform": colours}
    )
    plot.add_tools(
        HoverTool(tooltips=[("object", "@object"), ("path", "@path"), ("score", "@score{0.000}")])
    )
    path.write_text(file_html(plot, INLINE, "projection"), encoding="utf-8")
