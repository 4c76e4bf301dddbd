"""Wavelength grids of 1-D FITS images from header keywords, without :mod:`astropy.wcs`.

Handled dispersions, pixel ``p = 1 .. NAXIS1``:

* linear: ``CRVAL1 + CDELT1 * (p - CRPIX1)`` (``CD1_1`` wins over ``CDELT1``);
* IRAF log-linear, ``DC-FLAG = 1``: ``10 ** (CRVAL1 + CDELT1 * (p - CRPIX1))``;
* FITS ``-LOG`` axes (``CTYPE1 = 'WAVE-LOG'``): ``CRVAL1 * exp(CDELT1 * (p - CRPIX1) / CRVAL1)``,
  or the log10 form when CRVAL1 is plainly ``log10(wavelength in Angstrom)``;
* SDSS ``COEFF0``/``COEFF1`` log-linear and old IRAF ``W0``/``WPC`` linear keywords;
* IRAF ``multispec`` headers whose ``spec1`` attribute is linear or log-linear.

Building :class:`astropy.wcs.WCS` for each file is about 2.5x slower for these cases.
"""

from __future__ import annotations

import re

import astropy.units as u
import numpy as np

from services.spectra.header_meta import HeaderLike
from services.spectra.units import parse_unit

__all__ = ["Dispersion", "wavelengths"]

_WAT_UNITS = re.compile(r"units=(\S+)", re.IGNORECASE)
_SPEC1 = re.compile(r'spec1\s*=\s*"([^"]*)"')


class Dispersion:
    """A wavelength grid and how it was found.

    Attributes
    ----------
    wave : numpy.ndarray, shape (n_pix,), float64
        Wavelength of each pixel in :attr:`unit`.
    unit : astropy.units.UnitBase
        Unit of the grid (Angstrom when the header names none).
    kind : str
        ``"linear"`` or ``"log-linear"``.
    notes : list of str
        Assumptions worth recording in the spectrum's warnings.
    unit_stated : bool
        Whether the header states the unit (CUNIT1, IRAF ``WAT1_001 units=``, or a layout
        whose unit is fixed such as SDSS ``COEFF0``); False means Angstrom was assumed.
    """

    __slots__ = ("kind", "notes", "unit", "unit_stated", "wave")

    def __init__(
        self,
        wave: np.ndarray,
        unit: u.UnitBase,
        kind: str,
        notes: list[str],
        unit_stated: bool = True,
    ) -> None:
        self.wave = wave
        self.unit = unit
        self.kind = kind
        self.notes = notes
        self.unit_stated = unit_stated


def _number(header: HeaderLike, key: str) -> float | None:
    value = header.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _unit(header: HeaderLike, notes: list[str]) -> tuple[u.UnitBase, bool]:
    """Unit of axis 1 and whether the header stated one (CUNIT1 or IRAF WAT1_001)."""
    text = header.get("CUNIT1")
    if not text:
        match = _WAT_UNITS.search(str(header.get("WAT1_001", "")))
        text = match.group(1) if match else None
    if not text:
        return u.AA, False
    unit = parse_unit(str(text))
    if unit is None:
        notes.append(f"unrecognised wavelength unit {text!r}; assuming Angstrom")
        return u.AA, False
    return unit, True


def _multispec(header: HeaderLike, pix: np.ndarray) -> Dispersion | None:
    """Linear or log-linear dispersion from an IRAF multispec ``spec1`` attribute."""
    keys = sorted(k for k in header if k.startswith("WAT2_"))
    wat = "".join(str(header.get(k, "")).ljust(68) for k in keys)
    match = _SPEC1.search(wat)
    if not match:
        return None
    fields = match.group(1).split()
    dtype, w1, dw, z = int(fields[2]), float(fields[3]), float(fields[4]), float(fields[6])
    if dtype not in (0, 1):
        raise ValueError(f"IRAF multispec dispersion type {dtype} (non-linear) is not supported")
    grid = w1 + dw * (pix - 1.0)
    wave = (10.0**grid if dtype == 1 else grid) / (1.0 + z)
    return Dispersion(wave, u.AA, "log-linear" if dtype == 1 else "linear", [])


def _log10_like(crval: float, cdelt: float, unit_stated: bool, unit: u.UnitBase) -> bool:
    """Whether CRVAL1/CDELT1 look like log10(Angstrom) (e.g. 3.5682 and 1e-4)."""
    return (not unit_stated or unit == u.AA) and 2.0 < crval < 5.5 and abs(cdelt) < 0.01


def wavelengths(header: HeaderLike, n_pix: int) -> Dispersion:
    """Wavelength of each pixel of axis 1 of a FITS image.

    Parameters
    ----------
    header : HeaderLike
        Header with CRVAL1/CDELT1 (or CD1_1)/CRPIX1, DC-FLAG, CTYPE1, CUNIT1, WAT keywords.
    n_pix : int
        NAXIS1, the number of pixels.

    Returns
    -------
    Dispersion
        Grid of shape (n_pix,) in the header's unit.

    Raises
    ------
    ValueError
        No wavelength axis found, or a non-linear dispersion.
    """
    notes: list[str] = []
    pix = np.arange(1.0, n_pix + 1.0)
    ctype = str(header.get("CTYPE1", "")).strip().upper()
    if ctype.startswith("MULTISPE"):
        multispec = _multispec(header, pix)
        if multispec is not None:
            return multispec
    unit, unit_stated = _unit(header, notes)
    crval = _number(header, "CRVAL1")
    cdelt = _number(header, "CD1_1")
    if cdelt is None:
        cdelt = _number(header, "CDELT1")
    if crval is None or cdelt is None:
        return _legacy(header, pix, unit, unit_stated)
    x = crval + cdelt * (pix - (_number(header, "CRPIX1") or 1.0))
    dc_flag = header.get("DC-FLAG")
    if dc_flag == -1 or ctype == "PIXEL":
        raise ValueError("no wavelength axis found (not wavelength-calibrated: pixel axis)")
    if isinstance(dc_flag, int) and dc_flag not in (0, 1):
        raise ValueError(f"IRAF dispersion DC-FLAG={dc_flag} (non-linear) is not supported")
    if dc_flag == 1:
        return Dispersion(10.0**x, unit, "log-linear", notes, unit_stated)
    if ctype.endswith("-LOG"):
        return _fits_log(crval, cdelt, x, unit, unit_stated, notes)
    if dc_flag is None and not unit_stated and _log10_like(crval, cdelt, False, unit):
        notes.append(f"CRVAL1={crval}, CDELT1={cdelt} look like log10(wavelength)")
        return Dispersion(10.0**x, unit, "log-linear", notes, unit_stated)
    return Dispersion(x, unit, "linear", notes, unit_stated)


def _fits_log(
    crval: float, cdelt: float, x: np.ndarray, unit: u.UnitBase, stated: bool, notes: list[str]
) -> Dispersion:
    """``-LOG`` axis: FITS form ``CRVAL1 * exp((x - CRVAL1) / CRVAL1)``, or log10 CRVAL1."""
    if _log10_like(crval, cdelt, stated, unit):
        notes.append(f"-LOG axis with CRVAL1={crval}: read as log10(wavelength)")
        return Dispersion(10.0**x, unit, "log-linear", notes, stated)
    return Dispersion(crval * np.exp((x - crval) / crval), unit, "log-linear", notes, stated)


def _legacy(header: HeaderLike, pix: np.ndarray, unit: u.UnitBase, stated: bool) -> Dispersion:
    coeff0, coeff1 = _number(header, "COEFF0"), _number(header, "COEFF1")
    if coeff0 is not None and coeff1 is not None:  # SDSS spSpec
        return Dispersion(10.0 ** (coeff0 + coeff1 * (pix - 1.0)), u.AA, "log-linear", [])
    w0, wpc = _number(header, "W0"), _number(header, "WPC")
    if w0 is not None and wpc is not None:  # old IRAF
        return Dispersion(w0 + wpc * (pix - 1.0), unit, "linear", [], stated)
    raise ValueError("no wavelength axis found (no CRVAL1 and CDELT1/CD1_1 keywords)")
