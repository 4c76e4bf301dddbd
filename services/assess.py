"""The ``assess`` job kind: VO-CLOUD's "Am I correct?" performance estimate.

An expert checks some of a ``score`` job's predictions. The verdicts are a CSV with a
``path`` column and a verdict column (``VERDICT_COLUMN``, default ``verdict``): ``yes`` /
``no`` (also ``correct``/``incorrect``, ``true``/``false``, ``1``/``0``) say whether the
prediction shown was right; any other value is read as the expert's own class for that
spectrum and compared with the prediction. For every predicted class the job reports how
many predictions were checked, how many were right, the true-positive rate and its
Clopper-Pearson (exact binomial) interval at ``CONFIDENCE``.

With ``CANDIDATE_CLASS`` it also lists the spectra predicted in that class, most confident
first, with the expert's verdict where there is one.

Results: ``result`` (VOTable, one row per class), ``performance`` (JSON), ``plot`` (HTML,
rates with their intervals) and ``candidates`` (VOTable) when asked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
from astropy.io.votable import parse_single_table
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.jobs import JobContext, JobFailure, Result, Upload
from services.jobs.params import JobOutput
from services.learning import metrics, plots
from services.learning.candidates import write_candidates
from services.learning.labels import read_snapshot
from services.learning.votable import write_table
from services.storage.paths import StoragePath

TITLE = "Am I correct? (performance estimate)"
SUMMARY = "True-positive rate per class, with binomial intervals, from expert verdicts."
EXECUTION_DURATION = 600
MAX_EXECUTION_DURATION = 3600
YES = {"yes", "y", "correct", "true", "1", "right"}
NO = {"no", "n", "incorrect", "false", "0", "wrong"}


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: Annotated[Path, JobOutput("score")] = Field(
        description="The finished score job whose predictions were checked.",
        title="Score job",
    )
    verdicts: Upload | None = Field(
        None, description="Verdicts (CSV: path + verdict).", title="Verdicts (CSV upload)"
    )
    verdicts_file: StoragePath = Field(
        "", description="Or: a verdicts CSV in your files.", title="Verdicts file"
    )
    verdict_column: str = Field(
        "verdict", description="The column holding the verdicts.", title="Verdict column"
    )
    confidence: float = Field(
        0.95, gt=0.5, lt=1.0, description="Interval confidence level.", title="Interval confidence"
    )
    candidate_class: str = Field(
        "", description="Also list spectra predicted in this class.", title="Candidate class"
    )

    @model_validator(mode="after")
    def _one_source(self) -> Parameters:
        if (self.verdicts is None) == (not self.verdicts_file):
            raise ValueError("give the verdicts either as VERDICTS (upload) or VERDICTS_FILE")
        return self


def run(params: Parameters, ctx: JobContext) -> list[Result]:
    """Join verdicts with predictions, estimate rates, write table, JSON and plot."""
    table = _scores(params.scores)
    source = params.verdicts or ctx.user_space.resolve(params.verdicts_file)
    verdicts = read_snapshot(Path(source), params.verdict_column)
    predicted = table["predicted"]
    expert = expert_classes(table["path"], predicted, verdicts)
    checked = expert != ""
    if not checked.any():
        raise JobFailure(
            f"none of the {len(verdicts)} verdicts names a spectrum of this score job "
            "(paths must be relative to your files, as in the scores table)"
        )
    classes = sorted(set(predicted[checked]))
    rates = metrics.true_positive_rates(
        predicted[checked], expert[checked], classes, params.confidence
    )
    n_checked = int(checked.sum())
    summary = {
        "confidence": params.confidence,
        "checked": n_checked,
        "correct": int((predicted[checked] == expert[checked]).sum()),
        "classes": rates,
    }
    (ctx.results_dir / "performance.json").write_text(json.dumps(summary, indent=1))
    write_table(
        {key: [row[key] for row in rates] for key in rates[0]},
        ctx.results_dir / "performance.vot",
        f"true-positive rate per predicted class ({params.confidence:.0%} intervals)",
    )
    plots.rates_with_intervals(rates, ctx.results_dir / "performance.html", params.confidence)
    results = [
        Result("result", "performance.vot", "application/x-votable+xml"),
        Result("performance", "performance.json", "application/json"),
        Result("plot", "performance.html", "text/html"),
    ]
    if params.candidate_class:
        results.append(
            write_candidates(table | {"verdict": expert}, params.candidate_class, ctx.results_dir)
        )
    ctx.progress(1.0, f"{n_checked} checked predictions in {len(classes)} classes", force=True)
    return results


def expert_classes(
    paths: np.ndarray, predicted: np.ndarray, verdicts: dict[str, str]
) -> np.ndarray:
    """The expert's class for each row ("" when unchecked), from yes/no or a class name."""
    out = np.full(len(paths), "", dtype=object)
    for i, path in enumerate(paths):
        verdict = verdicts.get(str(path))
        if verdict is None:
            continue
        word = verdict.strip().lower()
        if word in YES:
            out[i] = predicted[i]
        elif word in NO:
            out[i] = f"not {predicted[i]}"
        else:
            out[i] = verdict.strip()
    return out.astype(str)


def _scores(directory: Path) -> dict[str, np.ndarray]:
    try:
        table = parse_single_table(directory / "scores.vot").to_table()
    except (OSError, ValueError) as exc:
        raise JobFailure(f"the score job's results are unreadable: {exc}") from None
    if "predicted" not in table.colnames:
        raise JobFailure("that score job has no class predictions (a regression model)")
    return {name: np.asarray(table[name]) for name in table.colnames} | {
        "path": np.asarray(table["path"]).astype(str),
        "predicted": np.asarray(table["predicted"]).astype(str),
    }
