"""A round's validation numbers as an expert should read them: with their n, a 95 %
interval for an accuracy, and a warning when the validation set is too small to mean much.

A pool check (:func:`pool_check`, :mod:`vocloud.labelling.checks`) is the honest
number, on spectra drawn at random from the round's pool; the pages show it first.

The train job holds out a share of the labels (``n_validation`` spectra); early rounds have
few labels, so an accuracy of 0.14 may rest on 7 spectra. With fewer still the job holds out
nothing (its fixed regime, ``n_validation`` 0): then there is no number to show, only
:func:`note`. :func:`warning` says when the round's model looks collapsed to one class,
judged on the unlabelled pool once the al-round job has scored it, else on the labels.
"""

from __future__ import annotations

import json
import math

from services.learning.metrics import proportion_interval
from vocloud.labelling.models import Round
from vocloud.uws import storage
from vocloud.uws.models import Job, Phase

CONFIDENCE = 0.95
# Below this many validation spectra a 95 % interval of an accuracy is wider than ±0.18:
# the number tells the expert little about the model.
MIN_VALIDATION = 30


def note(metrics: dict) -> str:
    """Why a round has no validation number (the fixed regime), or ""."""
    if not isinstance(metrics, dict):
        return ""
    if metrics.get("n_validation") == 0 or str(metrics.get("validation", "")).startswith(
        "not measured"
    ):
        n = metrics.get("n_labelled")
        labels = f"all {n} labels" if isinstance(n, int) else "all labels"
        return f"Not measured: too few labels to hold out a validation set ({labels} trained on)."
    return ""


def pool_collapse(job: Job | None) -> dict | None:
    """The collapse verdict of a COMPLETED al-round job on the unlabelled pool, if any."""
    if job is None or job.phase != Phase.COMPLETED:
        return None
    try:
        found = json.loads((storage.results_dir(job.job_id) / "summary.json").read_text())
    except (OSError, ValueError):
        return None  # an al-round from before the check, or its results are gone
    verdict = found.get("collapse") if isinstance(found, dict) else None
    return verdict if isinstance(verdict, dict) else None


def warning(metrics: dict, pool: dict | None = None) -> str:
    """The collapse sentence of a round: from the pool's verdict when there is one (what
    matters for the spectra it selects), else from the training job's, else ""."""
    trained = metrics.get("collapse") if isinstance(metrics, dict) else None
    verdict = pool if pool is not None else trained
    if isinstance(verdict, dict) and verdict.get("collapsed") is True:
        return str(verdict.get("sentence") or "The model looks collapsed to one class.")
    return ""


def summary(metrics: dict) -> dict | None:
    """The headline metric of a round with its uncertainty; None when there is none.

    Returns ``{"name", "value", "n", "low", "high", "text", "warning"}``: ``text`` reads
    e.g. "accuracy 0.71 [0.52, 0.85], n = 24, ECE 0.08"; ``warning`` is a sentence when
    fewer than :data:`MIN_VALIDATION` spectra were validated (or their number is unknown),
    else "". ``low`` and ``high`` are None for an RMSE.
    """
    if not isinstance(metrics, dict):
        return None
    name = "accuracy" if "accuracy" in metrics else "RMSE" if "rmse" in metrics else ""
    value = _number(metrics.get("accuracy" if name == "accuracy" else "rmse"))
    if value is None:
        return None
    n = metrics.get("n_validation")
    n = n if isinstance(n, int) and n >= 0 else None
    low = high = None
    if name == "accuracy":
        text = f"accuracy {value:.2f}"
        if n:
            low, high = proportion_interval(round(value * n), n, CONFIDENCE)
            text += f" [{low:.2f}, {high:.2f}]"
    else:
        text = f"RMSE {value:.3g}"
    text += f", n = {n}" if n is not None else " (number of validation spectra not recorded)"
    ece = _number(metrics.get("ece"))
    if ece is not None:
        text += f", ECE {ece:.2f}"
    if n is None:
        warning = f"The number of validation spectra is unknown: this {name} is a rough guide."
    elif n < MIN_VALIDATION:
        spectra = "spectrum" if n == 1 else "spectra"
        warning = f"Only {n} validation {spectra}: this {name} is a rough guide."
    else:
        warning = ""
    return {
        "name": name,
        "value": value,
        "n": n,
        "low": low,
        "high": high,
        "text": text,
        "warning": warning,
    }


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def pool_check(round_: Round) -> dict | None:
    """The round's headline from its pool check (spectra drawn at random from its pool and
    checked by the expert); None when the round offers no check (a numeric session, a cold
    start, a round not ready yet).

    Returns ``{"name", "source", "value", "low", "high", "n", "correct", "skipped", "drawn",
    "pending", "text", "warning", "skip_note"}``: ``text`` reads e.g. "accuracy on 40
    random pool spectra: 0.82 [0.68, 0.91] (round 3)", or "Not measured yet" before the
    first answer; ``warning`` is a sentence below :data:`MIN_VALIDATION` answers;
    ``skip_note`` says how many were skipped and that skipping can bias the number.
    """
    from vocloud.labelling import checks  # checks' state reads this module's headline

    if not checks.offered(round_):
        return None
    found = checks.estimate(round_)
    n, skipped = found["n"], found["skipped"]
    if n:
        spectra = "spectrum" if n == 1 else "spectra"
        text = (
            f"accuracy on {n} random pool {spectra}: {found['value']:.2f} "
            f"[{found['low']:.2f}, {found['high']:.2f}] (round {round_.number})"
        )
    else:
        text = "Not measured yet"
    warning = ""
    if 0 < n < MIN_VALIDATION:
        answers = "answer" if n == 1 else "answers"
        warning = f"Only {n} {answers}: this accuracy is a rough guide; check more spectra."
    skip_note = ""
    if skipped:
        skip_note = (
            f"{skipped} skipped (or bad data), not counted: skipping can bias the number "
            "when the model is wrong more often on the spectra you skip."
        )
    return found | {
        "name": "accuracy",
        "source": "pool check",
        "text": text,
        "warning": warning,
        "skip_note": skip_note,
    }
