"""What the file manager shows of a file: FITS headers, a VOTable's rows, a text's start."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.io.votable import parse
from astropy.utils.exceptions import AstropyWarning

MAX_TEXT_BYTES = 200_000
MAX_TABLE_ROWS = 500
MAX_HDUS = 50
_TEXT_SUFFIXES = (".txt", ".csv", ".tsv", ".dat", ".asc", ".json", ".md", ".log", ".ecsv")


class PreviewError(ValueError):
    """A file that cannot be shown the way its type suggests; the message says why."""


@dataclass(frozen=True)
class HduHeader:
    index: int
    name: str
    kind: str  # "PrimaryHDU", "BinTableHDU", …
    cards: str  # the header, one 80-column card a line


@dataclass(frozen=True)
class TablePreview:
    """The first rows of a table as text, ready to be put in an HTML table."""

    name: str
    columns: list[str]  # "name [unit]"
    rows: list[list[str]]  # shape (n_shown, n_columns)
    n_rows: int  # rows in the whole table


@dataclass(frozen=True)
class TextPreview:
    text: str
    truncated: bool


def preview_kind(path: Path) -> str:
    """``"fits"``, ``"votable"``, ``"text"`` or ``"binary"``, from the name and first bytes."""
    with path.open("rb") as handle:
        head = handle.read(8192)
    name = path.name.lower()
    if head.startswith(b"SIMPLE  =") or name.endswith((".fits", ".fit", ".fts", ".fits.gz")):
        return "fits"
    if b"<VOTABLE" in head or name.endswith((".vot", ".votable")):
        return "votable"
    if name.endswith(_TEXT_SUFFIXES) or _looks_like_text(head):
        return "text"
    return "binary"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 4  # a character cut at the end of the sample
    return True


def fits_headers(path: Path, max_hdus: int = MAX_HDUS) -> list[HduHeader]:
    """The headers of the first ``max_hdus`` HDUs of a FITS file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)  # odd cards are shown as they are
            # Our own handle: astropy leaves its file open when the first header is corrupt.
            with open(path, "rb") as fh, fits.open(fh, memmap=False, lazy_load_hdus=True) as hdus:
                headers = []
                for index, hdu in enumerate(hdus):
                    if index >= max_hdus:
                        break
                    cards = hdu.header.tostring(sep="\n", padding=False, endcard=False)
                    headers.append(HduHeader(index, hdu.name, type(hdu).__name__, cards))
    except (OSError, ValueError, TypeError) as exc:
        raise PreviewError(f"{path.name}: not a readable FITS file ({exc})") from None
    return headers


def votable_preview(path: Path, max_rows: int = MAX_TABLE_ROWS) -> list[TablePreview]:
    """The first ``max_rows`` rows of each table of a VOTable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            votable = parse(str(path), verify="ignore")
            tables = [(t.name or t.ID or "", t.to_table()) for t in votable.iter_tables()]
    except Exception as exc:  # astropy raises many kinds for malformed XML
        raise PreviewError(f"{path.name}: not a readable VOTable ({exc})") from None
    previews = []
    for name, table in tables:
        columns = [f"{c.name} [{c.unit}]" if c.unit else c.name for c in table.itercols()]
        rows = [[_cell(value) for value in row] for row in table[:max_rows]]
        previews.append(TablePreview(name, columns, rows, len(table)))
    return previews


def _cell(value: object) -> str:
    if value is np.ma.masked:
        return ""
    if isinstance(value, np.ndarray):
        return np.array2string(value, threshold=8, max_line_width=10_000)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def text_preview(path: Path, max_bytes: int = MAX_TEXT_BYTES) -> TextPreview:
    """The first ``max_bytes`` of a text file, decoded as UTF-8 (bad bytes replaced)."""
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    return TextPreview(data[:max_bytes].decode("utf-8", errors="replace"), len(data) > max_bytes)
