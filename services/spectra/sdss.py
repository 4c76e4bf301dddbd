"""SDSS/BOSS ``spec-*.fits`` files: COADD binary table in HDU 1, SPALL redshift in HDU 2.

Two paths build the same :class:`Spectrum`: :func:`read_sdss_stream` reads the tables with
:mod:`services.spectra.fitstable` (fast, the normal path), :func:`read_sdss` uses an astropy
``HDUList`` (fallback for files the fast reader leaves alone).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, BinaryIO

import astropy.units as u
import numpy as np
from astropy.io import fits

from services.spectra.assemble import assemble
from services.spectra.fitsheader import FitsHeader, Unsupported, read_extension_header
from services.spectra.fitstable import read_bintable
from services.spectra.header_meta import HeaderLike, meta_from_header
from services.spectra.spectrum import Spectrum
from services.spectra.units import parse_unit

__all__ = ["is_sdss", "read_sdss", "read_sdss_stream", "sdss_spectrum"]

# Flux unit when BUNIT is missing.
_FLUX_UNIT = 1e-17 * u.erg / u.s / u.cm**2 / u.AA
_COADD_COLUMNS = ("loglam", "flux", "ivar", "and_mask")
_SPALL_EXTRA = ("CLASS", "SUBCLASS", "Z_ERR", "ZWARNING", "OBJTYPE", "SN_MEDIAN_ALL")
_SPALL_COLUMNS = ("Z", "PLATE", "MJD", "FIBERID", *_SPALL_EXTRA)


def is_sdss(primary: HeaderLike) -> bool:
    """Whether a primary header is that of an SDSS spectrum (TELESCOP = 'SDSS 2.5-M')."""
    return str(primary.get("TELESCOP", "")).strip().upper().startswith("SDSS")


def _object_name(primary: HeaderLike, spall: Mapping[str, Any]) -> str | None:
    plate = primary.get("PLATEID", spall.get("PLATE"))
    mjd = primary.get("MJD", spall.get("MJD"))
    fiber = primary.get("FIBERID", spall.get("FIBERID"))
    if None in (plate, mjd, fiber):
        return None
    return f"SDSS {int(plate):04d}-{int(mjd):05d}-{int(fiber):04d}"


def sdss_spectrum(
    primary: HeaderLike,
    coadd: Mapping[str, np.ndarray],
    spall: Mapping[str, Any],
    source: str,
) -> Spectrum:
    """Assemble an SDSS spectrum.

    Parameters
    ----------
    primary : HeaderLike
        Primary header (PLUG_RA, PLUG_DEC, MJD, PLATEID, FIBERID, DATE-OBS, BUNIT...).
    coadd : mapping
        Lower-case COADD column name -> array of shape (n_pix,): ``loglam`` (log10 Angstrom),
        ``flux``, and optionally ``ivar`` and ``and_mask``.
    spall : mapping
        Upper-case SPALL column name -> first-row value (``Z``, ``CLASS``...).
    source : str
        File base name.

    Returns
    -------
    Spectrum
        Vacuum wavelengths in Angstrom, flux in 1e-17 erg/s/cm2/Angstrom, mask = and_mask != 0.
    """
    meta = meta_from_header(primary, source=source, fmt="sdss-spec")
    meta.wave_medium = "vacuum"
    if primary.get("PLUG_RA") is not None:  # RA/DEC in the header are the plate centre
        meta.ra, meta.dec = float(primary.get("PLUG_RA")), float(primary.get("PLUG_DEC"))
    for key in _SPALL_EXTRA:
        if spall.get(key) is not None:
            value = spall[key]
            meta.extra[key.lower()] = value.strip() if isinstance(value, str) else value
    z = spall.get("Z")
    if isinstance(z, int | float) and -1.0 < z < 100.0:
        meta.redshift = float(z)
    meta.object_name = meta.object_name or _object_name(primary, spall)
    return assemble(
        meta,
        10.0 ** np.asarray(coadd["loglam"], dtype=np.float64),
        coadd["flux"],
        flux_unit=parse_unit(primary.get("BUNIT")) or _FLUX_UNIT,
        ivar=coadd.get("ivar"),
        mask=coadd.get("and_mask"),
    )


def read_sdss_stream(fh: BinaryIO, primary: FitsHeader, source: str) -> Spectrum:
    """Fast path: read COADD and the first SPALL row from a stream after the primary header.

    Raises
    ------
    Unsupported
        HDU 1 is not a COADD-like table (the caller falls back to astropy).
    Truncated
        The file ends inside the tables.
    """
    header = read_extension_header(fh)
    if header is None:
        raise Unsupported("no HDU 1")
    table = read_bintable(fh, header)
    coadd = {name: table.column(name) for name in _COADD_COLUMNS if name in table}
    if "loglam" not in coadd or "flux" not in coadd:
        raise Unsupported("HDU 1 has no loglam/flux columns")
    spall: dict[str, Any] = {}
    header = read_extension_header(fh)
    if header is not None and header.get("XTENSION") == "BINTABLE" and header.get("NAXIS2"):
        row = read_bintable(fh, header, max_rows=1)
        spall = {key: row.scalar(key) for key in _SPALL_COLUMNS if key in row}
    return sdss_spectrum(primary, coadd, spall, source)


def read_sdss(hdul: fits.HDUList, primary: HeaderLike, source: str) -> Spectrum | None:
    """Astropy path: the same from an open ``HDUList``; None if HDU 1 is not a COADD table."""
    coadd_hdu = hdul[1] if len(hdul) > 1 else None
    if not isinstance(coadd_hdu, fits.BinTableHDU):
        return None
    names = {name.lower(): name for name in coadd_hdu.columns.names}
    if "loglam" not in names or "flux" not in names:
        return None
    coadd = {key: np.asarray(coadd_hdu.data[names[key]]) for key in _COADD_COLUMNS if key in names}
    spall: dict[str, Any] = {}
    spall_hdu = hdul[2] if len(hdul) > 2 else None
    if isinstance(spall_hdu, fits.BinTableHDU) and spall_hdu.header.get("NAXIS2"):
        upper = {name.upper(): name for name in spall_hdu.columns.names}
        for key in _SPALL_COLUMNS:
            if key in upper:
                value = np.asarray(spall_hdu.data[upper[key]])[0]
                spall[key] = value.item() if hasattr(value, "item") else value
    return sdss_spectrum(primary, coadd, spall, source)
