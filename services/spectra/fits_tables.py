"""FITS binary-table spectra: SDSS ``spec-*.fits`` and generic wavelength/flux tables."""

from __future__ import annotations

import re
from typing import Any

import astropy.units as u
import numpy as np
from astropy.io import fits

from services.spectra.assemble import assemble
from services.spectra.columns import ColumnInfo, match_columns
from services.spectra.header_meta import AstropyHeader, ChainedHeader, HeaderLike, meta_from_header
from services.spectra.spectrum import Spectrum
from services.spectra.units import parse_unit

__all__ = ["column_infos", "is_sdss", "read_sdss", "table_spectrum"]

_LOG_UNIT = re.compile(r"^\s*(?:log|log10|dex)\s*\(\s*(.+?)\s*\)\s*$", re.IGNORECASE)
# SDSS flux unit when BUNIT is missing.
_SDSS_FLUX_UNIT = 1e-17 * u.erg / u.s / u.cm**2 / u.AA
_SDSS_SPALL_KEYS = ("CLASS", "SUBCLASS", "Z_ERR", "ZWARNING", "OBJTYPE", "SN_MEDIAN_ALL")


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


def _vector(data: Any, name: str) -> np.ndarray:
    """Column ``name`` as a 1-D array: one value per row, or one array cell in a 1-row table."""
    array = np.asarray(data[name])
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 1:
        raise ValueError(f"column {name!r} has shape {array.shape}, not one spectrum")
    return array


def _wave_unit(info: ColumnInfo) -> tuple[bool, u.UnitBase | None]:
    """Whether the column is log10(wavelength), and the wavelength unit."""
    unit_text = info.unit or ""
    match = _LOG_UNIT.match(unit_text)
    if match:
        return True, parse_unit(match.group(1)) or u.AA
    return info.is_log_wave, parse_unit(unit_text) if unit_text else None


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
    return assemble(
        meta,
        arrays["wave"],
        arrays["flux"],
        wave_unit=wave_unit,
        flux_unit=flux_unit,
        ivar=arrays.get("ivar"),
        uncertainty=arrays.get("error"),
        variance=arrays.get("variance"),
        mask=arrays.get("mask"),
    )


def is_sdss(hdul: fits.HDUList, primary: HeaderLike) -> bool:
    """Whether ``hdul`` looks like an SDSS/BOSS ``spec-*.fits`` file (COADD table in HDU 1)."""
    if not str(primary.get("TELESCOP", "")).upper().startswith("SDSS"):
        return False
    try:
        coadd = hdul[1]
    except IndexError:
        return False
    if not isinstance(coadd, fits.BinTableHDU):
        return False
    names = {name.lower() for name in coadd.columns.names}
    return {"loglam", "flux"} <= names


def _spall_row(hdul: fits.HDUList) -> dict[str, Any]:
    """Selected values of the one-row SPALL/SPECOBJ table in HDU 2, if present."""
    try:
        table = hdul[2]
    except IndexError:
        return {}
    if not isinstance(table, fits.BinTableHDU) or not table.header.get("NAXIS2"):
        return {}
    names = {name.upper(): name for name in table.columns.names}
    row: dict[str, Any] = {}
    for key in ("Z", "PLATE", "MJD", "FIBERID", *_SDSS_SPALL_KEYS):
        if key in names:
            value = np.asarray(table.data[names[key]])[0]
            row[key] = value.item() if hasattr(value, "item") else value
    return row


def read_sdss(hdul: fits.HDUList, primary: HeaderLike, source: str) -> Spectrum:
    """SDSS ``spec-*.fits``: COADD table (loglam, flux, ivar, and_mask) + SPALL redshift.

    Parameters
    ----------
    hdul : astropy.io.fits.HDUList
        The open file.
    primary : HeaderLike
        Its primary header (PLUG_RA, PLUG_DEC, MJD, PLATEID, BUNIT...).
    source : str
        File base name.

    Returns
    -------
    Spectrum
        Vacuum wavelengths in Angstrom, flux in 1e-17 erg/s/cm2/Angstrom.
    """
    coadd = hdul[1]
    data = coadd.data
    names = {name.lower(): name for name in coadd.columns.names}
    meta = meta_from_header(primary, source=source, fmt="sdss-spec")
    meta.wave_medium = "vacuum"
    if primary.get("PLUG_RA") is not None:  # RA/DEC in the header are the plate centre
        meta.ra, meta.dec = float(primary.get("PLUG_RA")), float(primary.get("PLUG_DEC"))
    spall = _spall_row(hdul)
    for key in _SDSS_SPALL_KEYS:
        if isinstance(spall.get(key), str):
            meta.extra[key.lower()] = spall[key].strip()
        elif key in spall:
            meta.extra[key.lower()] = spall[key]
    if "Z" in spall and -1.0 < float(spall["Z"]) < 100.0:
        meta.redshift = float(spall["Z"])
    plate = primary.get("PLATEID", spall.get("PLATE"))
    mjd = primary.get("MJD", spall.get("MJD"))
    fiber = primary.get("FIBERID", spall.get("FIBERID"))
    if meta.object_name is None and None not in (plate, mjd, fiber):
        meta.object_name = f"SDSS {int(plate):04d}-{int(mjd):05d}-{int(fiber):04d}"
    mask_name = names.get("and_mask") or names.get("mask")
    return assemble(
        meta,
        10.0 ** np.asarray(data[names["loglam"]], dtype=np.float64),
        data[names["flux"]],
        flux_unit=parse_unit(primary.get("BUNIT")) or _SDSS_FLUX_UNIT,
        ivar=data[names["ivar"]] if "ivar" in names else None,
        mask=data[mask_name] if mask_name else None,
    )
