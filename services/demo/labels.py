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
    """Read a label snapshot: UTF-8 text, with or without a byte-order mark.

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
        (``..``) or repeated path, a row with the wrong number of cells, text that is not
        UTF-8, a NUL character or a cell longer than the csv module takes. The message is
        one sentence naming the file by its name (never its place on the server) and line.
    """
    path = Path(path)
    try:
        # utf-8-sig: spreadsheets write a byte-order mark, which would otherwise end up in
        # the first column's name ("\ufeffpath").
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return _read(path.name, csv.reader(handle))
    except UnicodeDecodeError:
        raise LabelsError(f"{path.name} is not UTF-8 text; save it as CSV in UTF-8.") from None
    except csv.Error as exc:
        if "field limit" in str(exc):
            limit = csv.field_size_limit()
            raise LabelsError(f"{path.name}: a cell is longer than {limit:,} characters.") from None
        raise LabelsError(f"{path.name} is not a CSV file this reader takes ({exc}).") from None


def _read(name: str, reader) -> tuple[list[str], list[dict[str, str]]]:
    header = next(reader, None)
    if not header or PATH_COLUMN not in header or len(header) < 2:
        raise LabelsError(f"{name}: the header needs a 'path' column and a label column")
    rows, seen = [], set()
    for cells in reader:
        where = f"{name}, line {reader.line_num}"
        if len(cells) != len(header):
            raise LabelsError(f"{where}: {len(cells)} cells, expected {len(header)}")
        if any("\x00" in cell for cell in cells):
            raise LabelsError(f"{where}: a cell holds a NUL character")
        row = dict(zip(header, cells, strict=True))
        try:
            row[PATH_COLUMN] = clean_relative(row[PATH_COLUMN]).as_posix()
        except PathEscape as exc:
            raise LabelsError(f"{where}: bad path: {exc}") from exc
        if row[PATH_COLUMN] == ".":
            raise LabelsError(f"{where}: empty path")
        if row[PATH_COLUMN] in seen:
            raise LabelsError(f"{where}: {row[PATH_COLUMN]!r} appears twice")
        seen.add(row[PATH_COLUMN])
        rows.append(row)
    return [c for c in header if c != PATH_COLUMN], rows


def as_float(value: str) -> float:
    """A numeric label cell as float; NaN for an empty cell."""
    return float(value) if value.strip() else math.nan
