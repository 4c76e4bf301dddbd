"""Lenient parsing of the unit strings found in spectra files, and wavelength conversion."""

from __future__ import annotations

import functools
import re

import astropy.units as u
import numpy as np

from services.spectra.capture import captured_warnings

__all__ = ["parse_unit", "wave_to_angstrom"]

# "A", "Ang", "angstroms", "Å"... as a whole word: in a spectrum file this is Angstrom, not Ampere.
_ANGSTROM_WORD = re.compile(
    r"(?<![A-Za-z])(?:AA|A|Ang|Angs|ANG|[Aa]ngstroms?|ANGSTROMS?|Å)(?![A-Za-z])"
)
_ALIASES: dict[str, u.UnitBase] = {
    "adu": u.adu,
    "adus": u.adu,
    "count": u.count,
    "counts": u.count,
    "cts": u.count,
    "electron": u.electron,
    "electrons": u.electron,
    "e-": u.electron,
    "microns": u.micron,
    "micron": u.micron,
    "relative": u.dimensionless_unscaled,
    "normalized": u.dimensionless_unscaled,
    "normalised": u.dimensionless_unscaled,
}


@functools.lru_cache(maxsize=512)
def parse_unit(text: str | None) -> u.UnitBase | None:
    """Parse a unit string as written in FITS, VOTable or text headers.

    Parameters
    ----------
    text : str or None
        For example ``"Angstrom"``, ``"angstroms"``, ``"1E-17 erg/cm^2/s/Ang"``, ``"ADU"``.

    Returns
    -------
    astropy.units.UnitBase or None
        The unit, or None when ``text`` is empty or not understood. Astropy's unit warnings
        (multiple slashes, ...) are swallowed here; results are cached.
    """
    if text is None:
        return None
    text = str(text).strip()
    if not text:
        return None
    alias = _ALIASES.get(text.lower())
    if alias is not None:
        return alias
    cleaned = _ANGSTROM_WORD.sub("Angstrom", text)
    with captured_warnings():
        for fmt in ("generic", "vounit", "cds"):
            try:
                unit = u.Unit(cleaned, format=fmt)
            except (ValueError, TypeError):
                continue
            if not isinstance(unit, u.UnrecognizedUnit):
                return unit
    return None


def wave_to_angstrom(wave: np.ndarray, unit: u.UnitBase | None) -> np.ndarray:
    """Convert a spectral axis to wavelength in Angstrom.

    Parameters
    ----------
    wave : numpy.ndarray, shape (n_pix,), float64
        Spectral coordinate of each pixel.
    unit : astropy.units.UnitBase or None
        Its unit: a length, or a frequency, energy or wavenumber (converted with
        :func:`astropy.units.spectral`). None means Angstrom.

    Returns
    -------
    numpy.ndarray, shape (n_pix,), float64
        Wavelength in Angstrom (not re-sorted: frequency axes come out decreasing).

    Raises
    ------
    ValueError
        When ``unit`` is not a spectral unit.
    """
    if unit is None or unit == u.AA:
        return wave
    if unit.physical_type == "length":
        return wave * unit.to(u.AA)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(unit.to(u.AA, wave, equivalencies=u.spectral()), dtype=np.float64)
    except u.UnitConversionError:
        raise ValueError(f"spectral axis unit '{unit}' is not a wavelength or frequency") from None
