"""Fast reading of fixed-width FITS binary tables straight into numpy.

:mod:`astropy.io.fits` builds a ``Column`` object per column, which costs tens of
milliseconds for the ~200-column SPALL table of an SDSS ``spec-*.fits`` file while we need
only its redshift. This reader maps a table's rows onto a structured numpy dtype instead.
Variable-length (``P``/``Q``) columns raise :class:`Unsupported` (astropy takes over).
"""

from __future__ import annotations

import os
import re
from typing import Any, BinaryIO

import numpy as np

from services.spectra.fitsheader import BLOCK, FitsHeader, Truncated, Unsupported

__all__ = ["FastTable", "read_bintable"]

_TFORM = re.compile(r"^\s*(\d*)\s*([LXBIJKAEDCM])")
_CODES = {
    "L": "S1",
    "B": "u1",
    "I": ">i2",
    "J": ">i4",
    "K": ">i8",
    "E": ">f4",
    "D": ">f8",
    "C": ">c8",
    "M": ">c16",
}


def _field_format(tform: str) -> np.dtype | None:
    """numpy dtype of one TFORM cell, None for a zero-width column."""
    match = _TFORM.match(tform)
    if not match:
        raise Unsupported(f"TFORM {tform!r}")
    count, code = int(match.group(1) or 1), match.group(2)
    if count == 0:
        return None
    if code == "A":
        return np.dtype(f"S{count}")
    if code == "X":
        return np.dtype(f"V{(count + 7) // 8}")
    base = np.dtype(_CODES[code])
    return base if count == 1 else np.dtype((base, (count,)))


def _row_dtype(header: FitsHeader) -> tuple[np.dtype, dict[str, tuple[str, int, str]]]:
    """Structured row dtype and upper-case TTYPE -> (field name, column number, type code)."""
    names: list[str] = []
    formats: list[np.dtype] = []
    offsets: list[int] = []
    lookup: dict[str, tuple[str, int, str]] = {}
    position = 0
    for k in range(1, int(header.get("TFIELDS", 0)) + 1):
        tform = str(header.get(f"TFORM{k}", ""))
        fmt = _field_format(tform)
        if fmt is None:
            continue
        names.append(f"c{k}")
        formats.append(fmt)
        offsets.append(position)
        position += fmt.itemsize
        code = tform.strip().lstrip("0123456789")[:1]
        lookup.setdefault(str(header.get(f"TTYPE{k}", "")).strip().upper(), (f"c{k}", k, code))
    width = header.get("NAXIS1")
    if position != width:
        raise Unsupported(f"columns add up to {position} bytes, rows are {width}")
    dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": width})
    return dtype, lookup


class FastTable:
    """Rows of a binary table as a structured array, with FITS-aware column access.

    Attributes
    ----------
    header : FitsHeader
        The extension header.
    rows : numpy.ndarray, structured, shape (n_rows,)
        Raw big-endian rows.
    """

    __slots__ = ("_lookup", "header", "rows")

    def __init__(self, header: FitsHeader, rows: np.ndarray, lookup: dict) -> None:
        self.header = header
        self.rows = rows
        self._lookup = lookup

    def __contains__(self, name: str) -> bool:
        return name.upper() in self._lookup

    def column(self, name: str) -> np.ndarray | None:
        """Column ``name`` (case-insensitive), scaled by TSCAL/TZERO; None if absent.

        Returns
        -------
        numpy.ndarray or None
            Shape (n_rows,) or (n_rows, repeat); native byte order; strings as ``str``,
            logicals as ``bool``.
        """
        found = self._lookup.get(name.upper())
        if found is None:
            return None
        field, k, code = found
        values = self.rows[field]
        if code == "A":
            return np.char.rstrip(np.char.decode(values, "ascii", "replace"))
        if code == "L":
            return values == b"T"
        scale, zero = self.header.get(f"TSCAL{k}", 1), self.header.get(f"TZERO{k}", 0)
        if scale != 1 or zero != 0:
            return values * float(scale) + zero
        return values.astype(values.dtype.newbyteorder("="))

    def scalar(self, name: str) -> Any:
        """First-row value of column ``name`` as a Python scalar, None if absent."""
        values = self.column(name)
        if values is None or not len(values):
            return None
        first = values[0]
        return first.item() if hasattr(first, "item") else first


def read_bintable(fh: BinaryIO, header: FitsHeader, max_rows: int | None = None) -> FastTable:
    """Read a binary table whose header has just been read from ``fh``.

    Parameters
    ----------
    fh : binary file object
        Positioned at the start of the table data; left at the next HDU's header.
    header : FitsHeader
        The table's header (XTENSION = 'BINTABLE').
    max_rows : int, optional
        Read at most this many rows (the rest is skipped).

    Returns
    -------
    FastTable

    Raises
    ------
    Truncated
        The file ends inside the rows that were asked for.
    Unsupported
        Not a BINTABLE, or column types this reader leaves to astropy.
    """
    if header.get("XTENSION") != "BINTABLE":
        raise Unsupported(f"XTENSION={header.get('XTENSION')!r}")
    dtype, lookup = _row_dtype(header)
    n_rows = int(header.get("NAXIS2", 0))
    wanted = n_rows if max_rows is None else min(n_rows, max_rows)
    raw = fh.read(dtype.itemsize * wanted)
    if len(raw) < dtype.itemsize * wanted:
        raise Truncated(f"a table needs {dtype.itemsize * wanted} bytes, only {len(raw)} follow")
    rows = np.frombuffer(raw, dtype=dtype, count=wanted)
    size = dtype.itemsize * n_rows + int(header.get("PCOUNT", 0))
    fh.seek(size - len(raw) + (-size) % BLOCK, os.SEEK_CUR)
    return FastTable(header, rows, lookup)
