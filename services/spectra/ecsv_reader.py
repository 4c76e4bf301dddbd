"""Astropy ECSV tables (``# %ECSV 1.0``): text spectra whose header states the units.

ECSV is what :meth:`astropy.table.Table.write` and specutils write for text spectra: a YAML
header (commented with ``#``) gives each column's name, unit and dtype, then CSV-like rows.
The columns are matched by name as in :mod:`services.spectra.columns`; the table's ``meta``
keywords (``OBJECT``, ``RA``, ``DATE-OBS``...) are read like a FITS header.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from astropy.table import Table

from services.spectra.assemble import assemble_columns
from services.spectra.capture import captured_warnings
from services.spectra.columns import ColumnInfo
from services.spectra.fits_tables import arrays_from_columns
from services.spectra.header_meta import meta_from_header
from services.spectra.spectrum import Spectrum, SpectrumReadError

__all__ = ["ECSV_SIGNATURE", "read_ecsv"]

ECSV_SIGNATURE = "# %ECSV"


def _column(table: Table, name: str) -> np.ndarray:
    """Column ``name`` as float64, masked entries NaN."""
    return np.ma.filled(np.ma.asarray(table[name], dtype=np.float64), np.nan)


def _scalars(meta: dict[str, Any]) -> dict[str, Any]:
    """The table's scalar ``meta`` entries under upper-case keys (a header-like mapping)."""
    return {
        str(key).upper(): value
        for key, value in meta.items()
        if isinstance(value, str | int | float | bool)
    }


def read_ecsv(path: str, text: str) -> Spectrum:
    """Read an ECSV spectrum.

    Parameters
    ----------
    path : str
        The file (for messages and ``meta.source``).
    text : str
        Its whole (decoded) content.

    Returns
    -------
    Spectrum
        Format ``"ecsv"``; units from the column definitions (a missing wavelength unit is
        guessed and recorded in ``meta.guesses``).

    Raises
    ------
    SpectrumReadError
        No wavelength and flux columns among the table's.
    """
    with captured_warnings() as caught:
        table = Table.read(text.splitlines(), format="ascii.ecsv")
    infos = [
        ColumnInfo(name=name, unit=None if table[name].unit is None else str(table[name].unit))
        for name in table.colnames
    ]
    found = arrays_from_columns(infos, lambda name: _column(table, name))
    if found is None:
        names = ", ".join(table.colnames[:8])
        raise SpectrumReadError(path, f"ECSV table without wavelength and flux columns ({names})")
    arrays, wave_unit, flux_unit = found
    meta = meta_from_header(_scalars(table.meta), source=os.path.basename(path), fmt="ecsv")
    for warning in caught:
        meta.warn(f"{warning.category.__name__}: {warning.message}")
    return assemble_columns(meta, arrays, wave_unit, flux_unit)
