"""Frozen label snapshots: a CSV with a ``path`` column and one or more label columns.

``path`` is relative to the user's ``files/`` (as in a dataset's ``meta.fits``); rows whose
label is empty are unlabelled. The snapshot is read once when a job starts, so labelling
may go on while a model trains.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
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


def _rows(path: Path) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    """(path column name, lower-case name -> column, row) for each row of a snapshot CSV."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            found = {c.strip().lower(): c for c in reader.fieldnames or []}
            if "path" not in found:
                raise JobFailure(f"{path.name}: the label snapshot has no 'path' column")
            for row in reader:
                yield found["path"], found, row
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise JobFailure(f"{path.name}: unreadable label snapshot ({exc})") from None


def read_columns(path: Path, columns: list[str]) -> dict[str, tuple[str, ...]]:
    """``path`` -> the values of ``columns`` for every CSV row where none of them is empty."""
    out: dict[str, tuple[str, ...]] = {}
    for key, found, row in _rows(path):
        missing = [c for c in columns if c.lower() not in found]
        if missing:
            raise JobFailure(
                f"{path.name}: no label column {missing[0]!r}; it has {', '.join(sorted(found))}"
            )
        values = tuple((row.get(found[c.lower()]) or "").strip() for c in columns)
        if all(values):
            out[row[key].strip()] = values
    return out


def read_snapshot(path: Path, target: str) -> dict[str, str]:
    """``path`` -> label for every row of the CSV whose ``target`` column is not empty."""
    return {p: values[0] for p, values in read_columns(path, [target]).items()}


def labelled_paths(path: Path) -> set[str]:
    """Paths of the snapshot's rows that carry a label in any column (unlabelled: none)."""
    return {
        row[key].strip()
        for key, _found, row in _rows(path)
        if any((v or "").strip() for c, v in row.items() if c != key)
    }


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
