"""Two- or three-column text spectra (CSV, TSV or whitespace separated).

Columns are wavelength, flux and optionally the 1-sigma error, unless a header line names
them (``wave,flux,err`` or ``# wavelength[nm] flux ivar``; names as in
:mod:`services.spectra.columns`, units in square brackets or parentheses). Lines starting
with ``#`` are comments; text after ``#`` on a data line is ignored. A file without a
wavelength unit is read by the plausibility rule (µm or Angstrom), reported as a guess.
ECSV files (``# %ECSV``) go to :mod:`services.spectra.ecsv_reader`.
"""

from __future__ import annotations

import os
import re

import astropy.units as u
import numpy as np

from services.spectra.assemble import assemble_columns
from services.spectra.columns import ColumnInfo
from services.spectra.ecsv_reader import ECSV_SIGNATURE, read_ecsv
from services.spectra.fits_tables import arrays_from_columns
from services.spectra.sniff import open_binary
from services.spectra.spectrum import Spectrum, SpectrumMeta, SpectrumReadError
from services.spectra.units import parse_unit

__all__ = ["read_text"]

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$|^[+-]?(nan|inf)$", re.IGNORECASE)
_NAME_UNIT = re.compile(r"^\s*([^\[\(]*?)\s*[\[\(]\s*([^\]\)]*)\s*[\]\)]\s*$")


def _delimiter(line: str) -> str | None:
    for candidate in (",", ";"):
        if candidate in line:
            return candidate
    return None


def _split(line: str, delimiter: str | None) -> list[str]:
    return [token.strip() for token in line.split(delimiter)] if delimiter else line.split()


def _is_numeric(tokens: list[str]) -> bool:
    return bool(tokens) and all(_NUMBER.match(token) for token in tokens)


def _column_info(token: str) -> ColumnInfo:
    match = _NAME_UNIT.match(token)
    if match:
        return ColumnInfo(name=match.group(1), unit=match.group(2) or None)
    return ColumnInfo(name=token)


def _scan(lines: list[str]) -> tuple[list[str] | None, list[str], str | None]:
    """Header tokens (if any), data lines and delimiter."""
    last_comment: str | None = None
    header: list[str] | None = None
    data: list[str] = []
    delimiter: str | None = None
    for line in lines:
        text = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not text:
            if line.lstrip().startswith("#") and not data:
                last_comment = line.lstrip()[1:].strip()
            continue
        if not data and header is None:
            delimiter = _delimiter(text)
            tokens = _split(text, delimiter)
            if not _is_numeric(tokens):
                header = tokens
                continue
            if last_comment:
                comment_tokens = _split(last_comment, delimiter)
                if len(comment_tokens) == len(tokens) and not _is_numeric(comment_tokens):
                    header = comment_tokens
        data.append(text)
    return header, data, delimiter


def _parse(data: list[str], delimiter: str | None) -> np.ndarray:
    try:
        table = np.loadtxt(data, delimiter=delimiter, ndmin=2, dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"could not read the numeric columns ({exc})") from None
    if table.shape[1] < 2:
        raise ValueError("no wavelength axis found (a text spectrum needs at least two columns)")
    return table


def _positional(table: np.ndarray, meta: SpectrumMeta) -> dict[str, np.ndarray]:
    if table.shape[1] > 3:
        meta.warn(f"{table.shape[1]} unnamed columns: read as wavelength, flux, error")
    arrays = {"wave": table[:, 0], "flux": table[:, 1]}
    if table.shape[1] >= 3:
        arrays["error"] = table[:, 2]
    return arrays


def _arrays(
    header: list[str] | None, table: np.ndarray, meta: SpectrumMeta
) -> tuple[dict[str, np.ndarray], u.UnitBase | None, u.UnitBase | None]:
    """Role -> column, with units: by header names when they work, else by position."""
    if header is not None and len(header) == table.shape[1]:
        infos = [_column_info(token) for token in header]
        positions = {info.name: i for i, info in enumerate(infos)}
        found = arrays_from_columns(infos, lambda name: table[:, positions[name]])
        if found is not None:
            return found
        meta.warn(f"header {header} names no wavelength/flux columns; read by position")
        wave_unit = parse_unit(infos[0].unit)
        flux_unit = parse_unit(infos[1].unit)
        return _positional(table, meta), wave_unit, flux_unit
    if header is not None:
        meta.warn(f"header has {len(header)} names for {table.shape[1]} columns; ignored")
    return _positional(table, meta), None, None


def read_text(path: str) -> Spectrum:
    """Read a text spectrum.

    Parameters
    ----------
    path : str
        CSV or whitespace-separated file (may be gzipped), or astropy ECSV. The wavelength
        unit is the header's (``wave[nm]``); without one it is guessed by the plausibility
        rule of :func:`services.spectra.units.guess_wave_unit` (µm or Angstrom) and the
        guess recorded in ``meta.guesses``.

    Returns
    -------
    Spectrum
        Format ``"ascii-csv"`` for delimited files, ``"ascii"`` for whitespace-separated,
        ``"ecsv"`` for ECSV.

    Raises
    ------
    SpectrumReadError
        No numeric data, fewer than two columns, or unparsable lines.
    """
    with open_binary(path) as fh:
        text = fh.read().decode("utf-8", errors="replace")
    if text.lstrip("\ufeff").startswith(ECSV_SIGNATURE):
        return read_ecsv(path, text)
    header, data, delimiter = _scan(text.splitlines())
    if not data:
        raise SpectrumReadError(path, "no wavelength axis found (no numeric data lines)")
    try:
        table = _parse(data, delimiter)
    except ValueError as exc:
        raise SpectrumReadError(path, str(exc)) from None
    meta = SpectrumMeta(source=os.path.basename(path), format="ascii-csv" if delimiter else "ascii")
    arrays, wave_unit, flux_unit = _arrays(header, table, meta)
    return assemble_columns(meta, arrays, wave_unit, flux_unit)
