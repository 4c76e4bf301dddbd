"""Predictions and uncertainties from a job's result table, joined onto catalogue rows.

A ``score`` or ``al-round`` job writes ``scores.vot`` (every spectrum of the dataset) and,
with ``CANDIDATE_CLASS``, a ``score`` or ``assess`` job writes ``candidates.vot`` (the spectra
predicted in that class, most confident first; ``assess`` adds the expert's ``verdict``).
Both have ``path`` (relative to the owner's ``files/``) and ``score`` (the acquisition
score: the uncertainty), and ``predicted`` and ``confidence`` (classes) or ``mean`` and
``sigma`` (a number). Rows are joined by path, not by dataset row: the dataset may have been
rebuilt since the job ran.

A finished job's tables never change, so a parsed table is kept per process, keyed by its
file's identity: parsing a 100,000-row ``scores.vot`` takes 2.5 s here (2 shared cores),
then nothing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io.votable import parse_single_table

from services.vo_serve.catalogue import Catalogue


@dataclass(frozen=True)
class Predictions:
    """One job's per-spectrum predictions.

    Attributes
    ----------
    paths : ndarray of str, shape (n,)
        In the table's order.
    columns : dict of str to ndarray, shape (n,)
        ``prediction`` (str), ``probability``, ``sigma``, ``uncertainty`` (float64, NaN where
        the model gives none) and ``verdict`` (str, "" without one).
    """

    paths: np.ndarray
    columns: dict[str, np.ndarray]

    @functools.cached_property
    def index(self) -> dict[str, int]:
        return {str(p): i for i, p in enumerate(self.paths)}


def read_predictions(table_path: Path) -> Predictions | None:
    """The predictions in ``table_path`` (``scores.vot`` or ``candidates.vot``); None if the
    file is gone or unreadable (a job deleted meanwhile)."""
    try:
        stat = Path(table_path).stat()
    except OSError:
        return None
    return _read(str(table_path), stat.st_ino, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _read(table_path: str, _inode: int, _mtime_ns: int) -> Predictions | None:
    try:
        table = parse_single_table(table_path).to_table()
    except (OSError, ValueError, IndexError):
        return None
    if "path" not in table.colnames:
        return None
    n = len(table)

    def number(name: str) -> np.ndarray:
        if name not in table.colnames:
            return np.full(n, np.nan)
        return np.ma.filled(np.ma.asarray(table[name], dtype=np.float64), np.nan)

    def text(name: str) -> np.ndarray:
        if name not in table.colnames:
            return np.full(n, "", dtype=object)
        return np.array([str(v) for v in np.ma.filled(table[name], "")], dtype=object)

    if "predicted" in table.colnames:
        prediction = text("predicted")
    else:
        prediction = np.array([f"{v:.5g}" if np.isfinite(v) else "" for v in number("mean")],
                              dtype=object)  # fmt: skip
    return Predictions(
        paths=text("path"),
        columns={
            "prediction": prediction,
            "probability": number("confidence"),
            "sigma": number("sigma"),
            "uncertainty": number("score"),
            "verdict": text("verdict"),
        },
    )


def join(found: Catalogue, predictions: Predictions | None, mine: np.ndarray) -> dict:
    """Prediction columns for the rows of ``found`` (shape (n,) each).

    Parameters
    ----------
    found : Catalogue
        The rows being returned.
    predictions : Predictions or None
        One job's table (None: nothing to add).
    mine : ndarray of bool, shape (n,)
        Which rows the job's table is about (the rows of its dataset).

    Returns
    -------
    dict of str to ndarray
        ``prediction``, ``probability``, ``sigma``, ``uncertainty`` and ``verdict``: values
        where the row is in the table, "" or NaN elsewhere.
    """
    n = len(found)
    out = {
        "prediction": np.full(n, "", dtype=object),
        "probability": np.full(n, np.nan),
        "sigma": np.full(n, np.nan),
        "uncertainty": np.full(n, np.nan),
        "verdict": np.full(n, "", dtype=object),
    }
    if predictions is None:
        return out
    index = predictions.index
    for i in np.flatnonzero(mine):
        at = index.get(str(found.columns["path"][i]))
        if at is not None:
            for name, values in predictions.columns.items():
                out[name][i] = values[at]
    return out


def candidate_rows(catalogue: Catalogue, collection: str, predictions: Predictions) -> np.ndarray:
    """Catalogue rows of ``collection`` in the order of the candidates table.

    Returns
    -------
    ndarray of int64, shape (n_found,)
        Candidates whose spectrum is no longer in the dataset are left out.
    """
    cols = catalogue.columns
    mine = np.flatnonzero(cols["collection"] == collection)
    by_path = {str(cols["path"][i]): i for i in mine}
    rows = [by_path.get(str(p)) for p in predictions.paths]
    return np.array([r for r in rows if r is not None], dtype=np.int64)
