"""The first rows of a VOTable result, streamed: job pages show the head of tables that can
hold hundreds of thousands of rows (a ``top-k`` of 200 000 spectra is ~70 MB, which
astropy takes seconds to parse whole), so only the rows a page shows are read.

Values stay text (TABLEDATA cells, as the kinds write them); callers convert columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import ParseError, iterparse

import numpy as np


class VOTableUnreadable(ValueError):
    """Not a VOTable this reader understands (malformed XML, no TABLEDATA)."""


@dataclass
class Rows:
    fields: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    infos: list[tuple[str, str]] = field(default_factory=list)
    description: str = ""

    @property
    def colnames(self) -> list[str]:
        return self.fields

    def __len__(self) -> int:
        return len(self.rows)

    def text(self, name: str) -> np.ndarray | None:
        """A column as strings, shape (n_rows,); None when the table has no such column."""
        if name not in self.fields:
            return None
        i = self.fields.index(name)
        return np.array([row[i] for row in self.rows], dtype=object).astype(str)

    def floats(self, name: str) -> np.ndarray | None:
        """A column as float64 (empty or non-numeric cells are NaN); None when missing."""
        values = self.text(name)
        if values is None:
            return None
        return np.array([_float(v) for v in values], dtype=np.float64)


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _tag(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def read_rows(path: Path, limit: int | None = None, columns: set[str] | None = None) -> Rows:
    """FIELD names, INFO elements and up to ``limit`` rows of the first TABLE of ``path``.

    Only ``columns`` are kept (all when None); cells of the others are read as "" so that
    memory stays bounded by the columns asked for.

    Raises
    ------
    VOTableUnreadable
        If the file is not well-formed XML.
    """
    try:
        # An open file of our own: iterparse leaves its own open when the loop stops early.
        with open(path, "rb") as source:
            return _read(source, limit, columns)
    except ParseError as exc:
        raise VOTableUnreadable(f"{path.name}: not well-formed XML") from exc


def _read(source, limit: int | None, columns: set[str] | None) -> Rows:
    found = Rows()
    keep: list[bool] | None = None
    for _event, element in iterparse(source, events=("end",)):
        tag = _tag(element)
        if tag == "FIELD":
            found.fields.append(element.get("name") or element.get("ID") or "")
        elif tag == "INFO":
            found.infos.append((element.get("name", ""), element.get("value", "")))
        elif tag == "DESCRIPTION" and not found.description:
            found.description = (element.text or "").strip()[:500]
        elif tag == "TR":
            if keep is None:
                keep = [columns is None or f in columns for f in found.fields]
            cells = [(td.text or "") for td in element if _tag(td) == "TD"]
            cells += [""] * (len(found.fields) - len(cells))
            found.rows.append([c if k else "" for c, k in zip(cells, keep, strict=False)])
            element.clear()
            if limit is not None and len(found.rows) >= limit:
                break
        elif tag == "TABLE":
            break  # the first table only
    return found
