"""FITS binary-table spectra with wavelength and flux columns (read with astropy)."""

from __future__ import annotations

import re
from typing import Any

import astropy.units as u
import numpy as np
from astropy.io import fits

from services.spectra.assemble import assemble_columns
from services.spectra.columns import ColumnInfo, match_columns
from services.spectra.header_meta import AstropyHeader, ChainedHeader, HeaderLike, meta_from_header
from services.spectra.spectrum import Spectrum
from services.spectra.units import parse_unit

__all__ = ["NotOneSpectrum", "arrays_from_columns", "column_infos", "table_spectrum"]

_LOG_UNIT = re.compile(r"^\s*(?:log|log10|dex)\s*\(\s*(.+?)\s*\)\s*$", re.IGNORECASE)


def column_infos(hdu: fits.BinTableHDU | fits.TableHDU) -> list[ColumnInfo]:
    """Name, TUNIT, TUCD and TUTYP of each column of a FITS table HDU."""
    header = hdu.header
    return [
        ColumnInfo(
            name=column.name,
            unit=column.unit or None,
            ucd=header.get(f"TUCD{k}"),
            utype=header.get(f"TUTYP{k}"),
        )
        for k, column in enumerate(hdu.columns, start=1)
    ]


class NotOneSpectrum(ValueError):
    """A table whose wavelength and flux columns hold several spectra (rows of arrays)."""


def _vector(data: Any, name: str) -> np.ndarray:
    """Column ``name`` as a 1-D array: one value per row, or one array cell in a 1-row table."""
    array = np.asarray(data[name])
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 1:
        raise NotOneSpectrum(f"column {name!r} has shape {array.shape}, not one spectrum")
    return array


def _wave_unit(info: ColumnInfo) -> tuple[bool, u.UnitBase | None]:
    """Whether the column is log10(wavelength), and the wavelength unit."""
    unit_text = info.unit or ""
    match = _LOG_UNIT.match(unit_text)
    if match:
        return True, parse_unit(match.group(1)) or u.AA
    if info.is_log_wave:  # loglam & co.: log10(Angstrom) by the SDSS convention
        unit = parse_unit(unit_text)
        return True, unit if unit is not None and unit.physical_type == "length" else u.AA
    return False, parse_unit(unit_text) if unit_text else None


def arrays_from_columns(
    infos: list[ColumnInfo], get: Any
) -> tuple[dict[str, np.ndarray], u.UnitBase | None, u.UnitBase | None] | None:
    """Role -> array for a table, plus wavelength and flux units; None without wave and flux.

    Parameters
    ----------
    infos : list of ColumnInfo
        The table's columns.
    get : callable
        ``get(name)`` returns the column's values as an array.

    Returns
    -------
    tuple or None
        ``(arrays, wave_unit, flux_unit)``; ``arrays["wave"]`` is linear wavelength.
    """
    roles = match_columns(infos)
    if "wave" not in roles or "flux" not in roles:
        return None
    arrays = {role: get(infos[index].name) for role, index in roles.items()}
    is_log, wave_unit = _wave_unit(infos[roles["wave"]])
    arrays["wave"] = np.asarray(arrays["wave"], dtype=np.float64)
    if is_log:
        arrays["wave"] = 10.0 ** arrays["wave"]
    return arrays, wave_unit, parse_unit(infos[roles["flux"]].unit)


def table_spectrum(
    hdu: fits.BinTableHDU | fits.TableHDU,
    primary: HeaderLike,
    source: str,
    fmt: str = "fits-table",
) -> Spectrum | None:
    """Spectrum from a FITS table with wavelength and flux columns, or None without them.

    Parameters
    ----------
    hdu : astropy.io.fits.BinTableHDU or TableHDU
        The table; either one row per pixel, or one row holding array cells.
    primary : HeaderLike
        Primary header, consulted after the table header for metadata.
    source : str
        File base name.
    fmt : str
        Format name recorded in the metadata.

    Returns
    -------
    Spectrum or None
    """
    found = arrays_from_columns(column_infos(hdu), lambda name: _vector(hdu.data, name))
    if found is None:
        return None
    arrays, wave_unit, flux_unit = found
    header = ChainedHeader(AstropyHeader(hdu.header), primary)
    meta = meta_from_header(header, source=source, fmt=fmt)
    if flux_unit is None:
        flux_unit = parse_unit(header.get("BUNIT"))
    return assemble_columns(meta, arrays, wave_unit, flux_unit)
