"""The projected sample of an active-learning round, as columns for the labelling page.

An ``al-round`` job writes ``projection.vot`` (row, path, object, score, x, y for the top K
in acquisition order) and ``scores.vot`` (every spectrum: predictions and uncertainties).
:func:`read_sample` joins them on the dataset row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io.votable import parse_single_table

from services.jobs import JobFailure
from services.learning.score_parts import PROBABILITY

#: Columns of ``scores.vot`` carried into the sample when present.
PREDICTION_COLUMNS = ("predicted", "confidence", "entropy", "bald", "mean", "sigma")


def _table(path: Path):
    try:
        return parse_single_table(path).to_table()
    except (OSError, ValueError) as exc:
        raise JobFailure(f"{path.name} is unreadable: {exc}") from None


def read_sample(results_dir: Path) -> dict[str, np.ndarray]:
    """Columns of the projected sample, in acquisition order.

    Returns
    -------
    dict of str to ndarray, each of shape (K,)
        ``row`` (dataset row), ``path``, ``object``, ``score``, ``x``, ``y``, ``rank``
        (0 = most uncertain) and the prediction columns the model gave: ``predicted`` and
        ``confidence`` (classes) or ``mean`` and ``sigma`` (a number).
    """
    projection = _table(Path(results_dir) / "projection.vot")
    scores = _table(Path(results_dir) / "scores.vot")
    rows = np.asarray(projection["row"], dtype=np.int64)
    out: dict[str, np.ndarray] = {
        "row": rows,
        "path": np.asarray(projection["path"]).astype(str),
        "object": np.asarray(projection["object"]).astype(str),
        "score": np.asarray(projection["score"], dtype=np.float64),
        "x": np.asarray(projection["x"], dtype=np.float64),
        "y": np.asarray(projection["y"], dtype=np.float64),
        "rank": np.arange(rows.size),
    }
    position = np.full(int(np.max(scores["row"])) + 1 if len(scores) else 0, -1)
    position[np.asarray(scores["row"], dtype=np.int64)] = np.arange(len(scores))
    at = position[rows]
    wanted = [*PREDICTION_COLUMNS, *(c for c in scores.colnames if c.startswith(PROBABILITY))]
    for name in wanted:
        if name in scores.colnames:
            values = np.asarray(scores[name])
            out[name] = values[at].astype(str) if values.dtype.kind in "USO" else values[at]
    return out


def class_probabilities(sample: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Class name -> mean predictive probability per point (empty for older rounds)."""
    return {
        name[len(PROBABILITY) :]: np.asarray(values, dtype=np.float64)
        for name, values in sample.items()
        if name.startswith(PROBABILITY)
    }


def prediction_text(sample: dict[str, np.ndarray]) -> np.ndarray:
    """The prediction as text: the class, or ``mean`` rounded to 5 significant digits;
    "" for each point of a sample without a model (a cold-start ``propose`` job's)."""
    if "predicted" in sample:
        return sample["predicted"]
    if "mean" not in sample:
        return np.full(np.asarray(sample["row"]).size, "", dtype=str)
    return np.array([f"{v:.5g}" for v in sample["mean"]])
