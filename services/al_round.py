"""The ``al-round`` job kind: one active-learning round in one job.

Scores the dataset with a trained model (``score``), keeps the top ``K`` by the acquisition
function, and projects them to 2-D (``project``), so that the expert can pick what to label
next. Results: ``result`` (the projection table: row, path, object, score, x, y), ``scores``
(every spectrum), ``top-k``, ``arrays``, ``coords``, ``plot``, ``info`` and ``summary``
(JSON: ``collapse``, the verdict of :mod:`services.learning.collapse` on the model's
predictions for the unlabelled pool, null for regression; what the labelling session
shows).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services import project, score
from services.datasets.store import DatasetName
from services.jobs import JobContext, Result
from services.jobs.params import JobOutput
from services.storage.paths import StoragePath

TITLE = "Active-learning round"
SUMMARY = "Score a dataset, keep the top K by acquisition, project them to 2-D."
EXECUTION_DURATION = 6 * 3600
MAX_EXECUTION_DURATION = 7 * 24 * 3600


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: Annotated[Path, JobOutput("train")] = Field(
        description="A finished train job.", title="Trained model (train job)"
    )
    dataset: DatasetName = Field(
        description="Name of the dataset to score (the model's grid).", title="Dataset"
    )
    acquisition: score.Acquisition = Field(
        "bald", description="How to choose spectra.", title="Acquisition function"
    )
    k: int = Field(
        2048,
        ge=3,
        le=200_000,
        description="How many spectra to select.",
        title="Spectra to select (K)",
    )
    mc_samples: int = Field(
        20, ge=2, le=200, description="MC-dropout passes (T).", title="MC-dropout passes (T)"
    )
    target_class: str = Field(
        "",
        description="For discovery: the class whose members to find (a class of the model).",
        title="Target class (discovery)",
    )
    method: Literal["umap", "tsne", "pca"] = Field(
        "umap", description="Projection method.", title="Projection method"
    )
    features: Literal["embedding", "flux"] = Field(
        "embedding", description="What to project.", title="Features to project"
    )
    exclude_labelled: StoragePath = Field(
        "",
        description="A label snapshot in your files: select only spectra it does not label.",
        title="Label file to exclude",
    )
    seed: int = Field(
        0, ge=0, description="Seed of masks, choices and projection.", title="Random seed"
    )


def run(params: Parameters, ctx: JobContext) -> list[Result]:
    """Score, then project the selection; both write into this job's results."""
    scored = score.run(
        score.Parameters(
            model=params.model,
            dataset=params.dataset,
            k=params.k,
            acquisition=params.acquisition,
            mc_samples=params.mc_samples,
            target_class=params.target_class,
            exclude_labelled=params.exclude_labelled,
            seed=params.seed,
        ),
        ctx.stage(0.0, 0.8),
    )
    projected = project.run(
        project.Parameters(
            scores=ctx.results_dir,
            method=params.method,
            features=params.features,
            k=params.k,
            seed=params.seed,
        ),
        ctx.stage(0.8, 0.2),
    )
    renamed = [dataclasses.replace(r, id="scores") if r.id == "result" else r for r in scored]
    verdict = json.loads((ctx.work_dir / score.COLLAPSE_FILE).read_text())
    summary = {"collapse": verdict, "acquisition": params.acquisition, "k": params.k}
    (ctx.results_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    return [*projected, *renamed, Result("summary", "summary.json", "application/json")]
