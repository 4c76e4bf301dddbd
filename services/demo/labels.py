"""The frozen label snapshot: a CSV file with a ``path`` column and label columns.

See :mod:`services.demo` for the format. Files are written atomically (a temporary file
in the same directory, then ``os.replace``) so a reader never sees half a snapshot.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from services.storage.paths import PathEscape, clean_relative

PATH_COLUMN = "path"


class LabelsError(ValueError):
    """A labels file that does not follow the snapshot format."""


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


def write_labels(path: Path, rows: Iterable[Mapping[str, object]], columns: Sequence[str]) -> int:
    """Write a label snapshot.

    Parameters
    ----------
    path : Path
        The CSV file (replaced atomically).
    rows : iterable of mapping
        One mapping per spectrum with key ``"path"`` (relative to the user's ``files/``)
        and the label columns; None and NaN are written as empty cells.
    columns : sequence of str
        The label columns, in order (``"path"`` comes first and is added).

    Returns
    -------
    int
        Number of rows written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = [PATH_COLUMN, *(c for c in columns if c != PATH_COLUMN)]
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    n_rows = 0
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(fields)
            for row in rows:
                writer.writerow([_cell(row.get(field)) for field in fields])
                n_rows += 1
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n_rows


def read_labels(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Read a label snapshot.

    Returns
    -------
    columns : list of str
        The label columns (without ``path``), in file order.
    rows : list of dict
        One dict per spectrum, values as strings (``""`` = no label); ``"path"`` is a
        clean relative POSIX path.

    Raises
    ------
    LabelsError
        Without a ``path`` column or a label column, with an empty, absolute, escaping
        (``..``) or repeated path, or a row with the wrong number of cells.
    """
    with Path(path).open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header or PATH_COLUMN not in header or len(header) < 2:
            raise LabelsError(f"{path}: the header needs a 'path' column and a label column")
        rows, seen = [], set()
        for line_no, cells in enumerate(reader, start=2):
            if len(cells) != len(header):
                raise LabelsError(f"{path}:{line_no}: {len(cells)} cells, expected {len(header)}")
            row = dict(zip(header, cells, strict=True))
            try:
                row[PATH_COLUMN] = clean_relative(row[PATH_COLUMN]).as_posix()
            except PathEscape as exc:
                raise LabelsError(f"{path}:{line_no}: bad path: {exc}") from exc
            if row[PATH_COLUMN] == ".":
                raise LabelsError(f"{path}:{line_no}: empty path")
            if row[PATH_COLUMN] in seen:
                raise LabelsError(f"{path}:{line_no}: {row[PATH_COLUMN]!r} appears twice")
            seen.add(row[PATH_COLUMN])
            rows.append(row)
    return [c for c in header if c != PATH_COLUMN], rows


def as_float(value: str) -> float:
    """A numeric label cell as float; NaN for an empty cell."""
    return float(value) if value.strip() else math.nan
