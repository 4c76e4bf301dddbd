"""Frozen label snapshots: a CSV with a ``path`` column and one or more label columns.

``path`` is relative to the user's ``files/`` (as in a dataset's ``meta.fits``); rows whose
label is empty are unlabelled. The snapshot is read once when a job starts, so labelling
may go on while a model trains.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.jobs import JobFailure


@dataclass(frozen=True)
class Labelled:
    """Dataset rows that carry a label.

    Attributes
    ----------
    rows : ndarray, shape (n_labelled,), int64
        Row indices into the dataset.
    values : ndarray, shape (n_labelled,)
        The labels as strings (classification) or floats (regression).
    """

    rows: np.ndarray
    values: np.ndarray


def read_snapshot(path: Path, target: str) -> dict[str, str]:
    """``path`` -> label for every row of the CSV whose ``target`` column is not empty."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = {c.strip().lower(): c for c in reader.fieldnames or []}
            if "path" not in columns:
                raise JobFailure(f"{path.name}: the label snapshot has no 'path' column")
            if target.lower() not in columns:
                raise JobFailure(
                    f"{path.name}: no label column {target!r}; it has {', '.join(sorted(columns))}"
                )
            key, column = columns["path"], columns[target.lower()]
            return {
                row[key].strip(): row[column].strip()
                for row in reader
                if row.get(column) and row[column].strip()
            }
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise JobFailure(f"{path.name}: unreadable label snapshot ({exc})") from None


def match(dataset_paths: list[str], labels: dict[str, str], *, numeric: bool) -> Labelled:
    """The dataset rows that have a label in the snapshot, with the labels."""
    index = {p: i for i, p in enumerate(dataset_paths)}
    found = [(index[p], v) for p, v in labels.items() if p in index]
    if not found:
        raise JobFailure(
            f"none of the {len(labels)} labelled paths is in this dataset: the label "
            "snapshot does not match the dataset (paths must be relative to your files)"
        )
    found.sort()
    rows = np.array([r for r, _ in found], dtype=np.int64)
    if not numeric:
        return Labelled(rows, np.array([v for _, v in found]))
    try:
        values = np.array([float(v) for _, v in found])
    except ValueError as exc:
        raise JobFailure(f"a regression target must be numeric: {exc}") from None
    if not np.all(np.isfinite(values)):
        raise JobFailure("the regression target has non-finite values")
    return Labelled(rows, values)
