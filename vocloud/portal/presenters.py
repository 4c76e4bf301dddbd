"""How each job kind's results are shown on its job page.

A presenter reads a finished job's result files and returns the context of its template
(``templates/portal/results/<template>.html``); kinds without one show only the file list.
Every number a person could take for a rate comes with its n and an interval. Result files
are read as data (never as markup: the templates escape every string in them); a file that
cannot be read gives one sentence on the page, the details go to the log.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.template.loader import render_to_string

from services.storage.layout import UserSpace
from vocloud.portal import charts
from vocloud.portal.vorows import Rows, VOTableUnreadable, read_rows
from vocloud.uws import storage
from vocloud.uws.models import Job, Phase

logger = logging.getLogger(__name__)

MAX_JSON_BYTES = 16 * 1024**2  # a JSON result larger than this is not parsed for the page
MAX_TABLE_BYTES = 1024**3  # tables are streamed (vorows): only the rows shown are kept
CONFIDENCE = 0.95
TOP_CANDIDATES = 25
MAX_VALIDATION_ROWS = 200_000  # validation tables are read whole (accuracy, matrix, PIT)
MAX_CLASSES_SHOWN = 30
MAX_REASONS_SHOWN = 20


@dataclass
class Presentation:
    template: str  # under templates/portal/results/
    context: dict


class Unreadable(Exception):
    """A result file is missing, too large or malformed."""


class ResultFiles:
    """A job's result files by result id, read with size limits."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.paths = {r.result_id: r.path for r in job.results.all()}

    def path(self, result_id: str, fallback: str = "", limit: int = MAX_JSON_BYTES) -> Path | None:
        relative = self.paths.get(result_id, fallback)
        if not relative:
            return None
        try:
            path = storage.result_path(self.job.job_id, relative)
        except ValueError:
            return None
        if not path.is_file():
            return None
        if path.stat().st_size > limit:
            raise Unreadable(f"{result_id} is too large to show here")
        return path

    def json(self, result_id: str, fallback: str = "") -> dict | None:
        path = self.path(result_id, fallback)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise Unreadable(f"{result_id} is not readable JSON") from exc
        if not isinstance(data, dict):
            raise Unreadable(f"{result_id} is not a JSON object")
        return data

    def votable(self, result_id: str, limit: int | None = None, columns=None) -> Rows | None:
        """The head of a VOTable result: up to ``limit`` rows of ``columns`` (all: None)."""
        path = self.path(result_id, limit=MAX_TABLE_BYTES)
        if path is None:
            return None
        try:
            return read_rows(path, limit, columns)
        except VOTableUnreadable as exc:
            raise Unreadable(f"{result_id} is not a readable VOTable") from exc


# --- shared helpers ------------------------------------------------------------------------


def proportion(k: int, n: int) -> dict:
    """A share with its exact (Clopper-Pearson) interval, for templates."""
    from services.learning.metrics import proportion_interval

    low, high = proportion_interval(k, n, CONFIDENCE)
    return {"k": k, "n": n, "value": k / n if n else math.nan, "low": low, "high": high}


def bootstrap(statistic: Callable[[np.ndarray], float], n: int, seed: int = 0) -> tuple:
    """Percentile bootstrap interval of ``statistic(indices)`` over ``n`` items (seeded)."""
    if n < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    values = [statistic(rng.integers(0, n, n)) for _ in range(400)]
    tail = 100 * (1 - CONFIDENCE) / 2
    return float(np.nanpercentile(values, tail)), float(np.nanpercentile(values, 100 - tail))


def _ece(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10) -> float:
    which = np.clip(np.digitize(confidence, np.linspace(0, 1, n_bins + 1)[1:-1]), 0, n_bins - 1)
    total = 0.0
    for b in np.unique(which):
        inside = which == b
        total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)


def _text(values) -> np.ndarray:
    return np.array([v.decode() if isinstance(v, bytes) else str(v) for v in values])


# --- train -----------------------------------------------------------------------------------


def history_from_bokeh(html: str) -> dict[str, list[float]]:
    """The per-epoch series of a learning-curve HTML written by services/learning/plots.py.

    Older train jobs kept their history only in that plot: its Bokeh document holds one
    line per series, named by its legend item.
    """
    match = re.search(
        r'<script type="application/json" id="[^"]*">\s*(.*?)\s*</script>', html, re.S
    )
    if not match:
        return {}
    objects: dict[str, dict] = {}

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "id" in node:
                objects[node["id"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(match.group(1)))
    series = {}
    for item in objects.values():
        if item.get("name") != "LegendItem":
            continue
        attributes = item.get("attributes", {})
        label = attributes.get("label", {}).get("value")
        for ref in attributes.get("renderers", []):
            renderer = objects.get(ref.get("id"), {}).get("attributes", {})
            source = objects.get(renderer.get("data_source", {}).get("id"), {})
            entries = dict(source.get("attributes", {}).get("data", {}).get("entries", []))
            if isinstance(label, str) and isinstance(entries.get("y"), list):
                series[label] = [float(v) if v is not None else math.nan for v in entries["y"]]
    return series


def _learning_curve(files: ResultFiles) -> list[charts.Panel]:
    history = files.json("history", "history.json")
    if history is None:
        path = files.path("learning-curve")
        history = history_from_bokeh(path.read_text(encoding="utf-8")) if path else {}
    history = {str(k): v for k, v in history.items() if isinstance(v, list)}
    losses = {k: v for k, v in history.items() if "loss" in k}
    others = {k: v for k, v in history.items() if "loss" not in k}
    panels = [charts.line_panel(losses, "Loss", "loss")]
    metric = next((k for k in others if not k.startswith("val_")), "")
    if metric:
        panels.append(charts.line_panel(others, metric.replace("_", " ").capitalize(), metric))
    return [p for p in panels if p is not None]


def _confusion(labels: np.ndarray, predicted: np.ndarray) -> dict:
    classes = sorted(set(labels.tolist()) | set(predicted.tolist()))[:MAX_CLASSES_SHOWN]
    rows = []
    for truth in classes:
        mine = predicted[labels == truth]
        total = int(mine.size)
        cells = []
        for guess in classes:
            count = int((mine == guess).sum())
            share = count / total if total else 0.0
            cells.append({"count": count, "alpha": round(0.08 + 0.8 * share, 2) if count else 0,
                          "diagonal": guess == truth})  # fmt: skip
        rows.append({"label": truth, "cells": cells, "total": total})
    return {"classes": classes, "rows": rows}


def _classification(metrics: dict, table: Rows | None) -> dict:
    labels = predicted = confidence = None
    if table is not None:
        labels, predicted = table.text("label"), table.text("predicted")
        confidence = table.floats("confidence")
    found: dict = {"task": "classification"}
    if labels is not None and predicted is not None:
        correct = (labels == predicted).astype(float)  # [n_val]
        found["accuracy"] = proportion(int(correct.sum()), int(correct.size))
        found["confusion"] = _confusion(labels, predicted)
        if confidence is not None and np.isfinite(confidence).all():
            found["ece_interval"] = bootstrap(
                lambda i: _ece(confidence[i], correct[i]), int(correct.size)
            )
    elif isinstance(metrics.get("accuracy"), int | float) and metrics.get("n_validation"):
        n = int(metrics["n_validation"])
        found["accuracy"] = proportion(round(float(metrics["accuracy"]) * n), n)
    if isinstance(metrics.get("ece"), int | float):
        found["ece"] = float(metrics["ece"])
    found["reliability"] = charts.reliability_panel(metrics.get("bins") or [])
    return found


def _regression(metrics: dict, table: Rows | None) -> dict:
    truth, mean, pit = (
        (None, None, None) if table is None else (table.floats(c) for c in ("truth", "mean", "pit"))
    )
    found: dict = {"task": "regression"}
    n = int(metrics.get("n_validation") or (0 if truth is None else truth.size))
    if isinstance(metrics.get("rmse"), int | float):
        found["rmse"] = float(metrics["rmse"])
    if truth is not None and mean is not None:
        error = mean - truth  # [n_val]
        found["rmse"] = float(np.sqrt(np.mean(error**2)))
        found["rmse_interval"] = bootstrap(lambda i: float(np.sqrt(np.mean(error[i] ** 2))), n)
    if isinstance(metrics.get("mean_abs_z"), int | float):
        found["mean_abs_z"] = float(metrics["mean_abs_z"])
    coverage = metrics.get("coverage") if isinstance(metrics.get("coverage"), dict) else {}
    found["coverage"] = [
        {"level": str(level), **proportion(round(float(share) * n), n)}
        for level, share in coverage.items()
        if isinstance(share, int | float) and n
    ]
    if pit is not None:
        counts, edges = np.histogram(pit[np.isfinite(pit)], bins=10, range=(0, 1))
        found["pit"] = charts.histogram_panel(counts, edges, "PIT histogram", "PIT")
    return found


def _votes(metrics: dict, table: Rows | None) -> dict:
    found: dict = {"task": "votes", "questions": []}
    for key in ("rmse_fraction", "nll_per_item"):
        if isinstance(metrics.get(key), int | float):
            found[key] = float(metrics[key])
    asked = 0
    if table is not None:
        asked = sum(
            int((table.floats(c) > 0).sum()) for c in table.colnames if c.endswith("_voters")
        )
    for key, share in metrics.items():
        if key.startswith("coverage_") and isinstance(share, int | float) and asked:
            found["coverage"] = {"level": key.removeprefix("coverage_"),
                                 **proportion(round(float(share) * asked), asked)}  # fmt: skip
    questions = metrics.get("questions") if isinstance(metrics.get("questions"), dict) else {}
    for name, values in list(questions.items())[:MAX_CLASSES_SHOWN]:
        if isinstance(values, dict):
            found["questions"].append({"name": str(name), **values})
    return found


def _not_measured(metrics: dict) -> bool:
    """A job of the fixed regime: every label trained on, no validation set."""
    return metrics.get("n_validation") == 0 or str(metrics.get("validation", "")).startswith(
        "not measured"
    )


def _collapse_sentence(verdict) -> str:
    if isinstance(verdict, dict) and verdict.get("collapsed") is True:
        return str(verdict.get("sentence") or "The model looks collapsed to one class.")
    return ""


def train(job: Job, files: ResultFiles, space: UserSpace) -> Presentation:
    metrics = files.json("metrics") or {}
    task = job.parameters.get("TASK", "classification")
    collapse = _collapse_sentence(metrics.get("collapse"))
    if _not_measured(metrics):
        # the result table holds predictions on the training labels: a fit, never shown
        # as if it were a validation
        facts = {
            k: metrics[k] for k in ("n_labelled", "epochs_run") if isinstance(metrics.get(k), int)
        }
        context = {"task": task, "not_measured": True, "facts": facts, "collapse": collapse,
                   "weight_decay": metrics.get("weight_decay"),
                   "learning_curve": _learning_curve(files)}  # fmt: skip
        return Presentation("train.html", context)
    table = files.votable("result", limit=MAX_VALIDATION_ROWS)
    if task == "regression":
        found = _regression(metrics, table)
    elif task == "votes":
        found = _votes(metrics, table)
    else:
        found = _classification(metrics, table)
    facts = {
        key: metrics[key]
        for key in ("n_labelled", "n_train", "n_validation", "epochs_run")
        if isinstance(metrics.get(key), int)
    }
    context = {**found, "facts": facts, "learning_curve": _learning_curve(files)}
    context["collapse"] = collapse
    return Presentation("train.html", context)


# --- score / al-round --------------------------------------------------------------------------


def _thumbnails(space: UserSpace, dataset_name: str, rows: np.ndarray, paths: np.ndarray):
    """Sparkline points per candidate, "" where the dataset has changed since scoring."""
    from services.datasets.store import DatasetError, open_dataset

    try:
        dataset = open_dataset(space.dataset(dataset_name))
        meta_paths = _text(dataset.meta["path"])
    except (DatasetError, ValueError, OSError, KeyError):
        return [""] * len(rows)
    out = []
    for row, path in zip(rows, paths, strict=True):
        row = int(row)
        if 0 <= row < dataset.n_spectra and meta_paths[row] == path:
            flux = np.where(np.asarray(dataset.mask[row]), np.nan, dataset.flux[row])
            out.append(charts.sparkline(flux))
        else:
            out.append("")
    return out


def pool_prediction(infos: list[tuple[str, str]]) -> dict | None:
    """The score job's collapse check (INFO elements of its tables) for templates: the most
    predicted class with its share of the pool, n and interval, and the warning sentence."""
    found = dict(infos)
    try:
        k, n = int(found["collapse_k"]), int(found["collapse_n"])
    except (KeyError, ValueError):
        return None
    if not 0 <= k <= n or n == 0:
        return None
    return {"class": found.get("collapse_class", ""), **proportion(k, n),
            "collapsed": found.get("collapsed") == "true",
            "sentence": found.get("collapse", "")}  # fmt: skip


def candidates(job: Job, files: ResultFiles, space: UserSpace) -> Presentation:
    table = files.votable("top-k", limit=TOP_CANDIDATES)
    if table is None or not len(table):
        return Presentation("candidates.html", {"candidates": []})
    prediction = pool_prediction(table.infos)
    rows = table.floats("row")
    paths = table.text("path") if "path" in table.colnames else np.array([""] * len(table))
    thumbs = (
        _thumbnails(space, str(job.parameters.get("DATASET", "")), rows, paths)
        if rows is not None and np.isfinite(rows).all()
        else [""] * len(table)
    )
    objects = table.text("object") if "object" in table.colnames else [""] * len(table)
    scores = table.floats("score") if "score" in table.colnames else [math.nan] * len(table)
    extra = [c for c in ("predicted", "confidence", "mean", "sigma") if c in table.colnames]
    columns = [table.text(c) if c == "predicted" else table.floats(c) for c in extra]
    found = [
        {
            "rank": i + 1,
            "path": paths[i],
            "object": objects[i],
            "score": scores[i],
            "extra": [str(v[i]) if isinstance(v[i], str) else f"{v[i]:.3g}" for v in columns],
            "thumbnail": thumbs[i],
        }
        for i in range(len(table))
    ]
    total = re.match(r"top (\d+) by", table.description)
    context = {
        "candidates": found,
        "extra_columns": extra,
        "total": int(total.group(1)) if total else None,
        "acquisition": job.parameters.get("ACQUISITION", "bald"),
        "sparkline": {"width": 120, "height": 32},
        "pool_prediction": prediction,
    }
    return Presentation("candidates.html", context)


# --- ingest ------------------------------------------------------------------------------------


def ingest(job: Job, files: ResultFiles, space: UserSpace) -> Presentation:
    table = files.votable("result", columns={"status", "reason", "source"})
    infos = table.infos if table is not None else []
    status = table.text("status") if table is not None and "status" in table.colnames else []
    counts = {name: int(np.sum(np.asarray(status) == name)) for name in ("ok", "skipped", "failed")}
    groups: dict[str, list[str]] = {}
    if len(status):
        reasons = table.text("reason") if "reason" in table.colnames else [""] * len(status)
        sources = table.text("source") if "source" in table.colnames else [""] * len(status)
        for state, reason, source in zip(status, reasons, sources, strict=True):
            if state == "failed":
                groups.setdefault(reason or "no reason given", []).append(source)
    by_count = Counter({reason: len(items) for reason, items in groups.items()})
    failures = [
        {"reason": reason, "count": count, "examples": groups[reason][:3]}
        for reason, count in by_count.most_common(MAX_REASONS_SHOWN)
    ]
    context = {
        "counts": counts,
        "total": len(status),
        "failures": failures,
        "more_reasons": max(0, len(by_count) - MAX_REASONS_SHOWN),
        "notes": [str(value) for name, value in infos if name == "note"][:20],
        "target": job.parameters.get("TARGET", "") or f"ingest/{job.job_id}",
    }
    return Presentation("ingest.html", context)


PRESENTERS: dict[str, Callable[[Job, ResultFiles, UserSpace], Presentation]] = {
    "train": train,
    "score": candidates,
    "al-round": candidates,
    "ingest": ingest,
}


def render_presentation(presentation: Presentation | None) -> str:
    """The presentation as HTML (its template escapes every value); "" for none."""
    if presentation is None:
        return ""
    return render_to_string(f"portal/results/{presentation.template}", presentation.context)


def present(job: Job, space: UserSpace) -> Presentation | None:
    """The presentation of a COMPLETED job's results; None for kinds that show only files.

    A result that cannot be read gives the "unreadable" presentation (one sentence).
    """
    presenter = PRESENTERS.get(job.kind)
    if presenter is None or job.phase != Phase.COMPLETED:
        return None
    try:
        return presenter(job, ResultFiles(job), space)
    except Exception:
        logger.exception("presenting the results of job %s", job.job_id)
        return Presentation("unreadable.html", {})
