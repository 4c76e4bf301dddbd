"""Lenient parsing of the unit strings found in spectra files, and wavelength conversion.

When a file states no wavelength unit, :func:`guess_wave_unit` applies one documented
plausibility rule, the same for every reader: finite wavelengths that all lie within
:data:`MICRON_RANGE` (0.1-40) are micrometres (the far UV to Spitzer IRS), within
:data:`ANGSTROM_RANGE` (300-400000) Angstrom; anything else is refused. Nanometres are
never guessed (300-1000 nm would read as Angstrom): a file in nm must say so. Every guess
is returned as a sentence for ``SpectrumMeta.guesses``, which the ingest report shows.
"""

from __future__ import annotations

import functools
import re

import astropy.units as u
import numpy as np

from services.spectra.capture import captured_warnings

__all__ = [
    "ANGSTROM_RANGE",
    "MICRON_RANGE",
    "guess_wave_unit",
    "parse_unit",
    "range_warning",
    "wave_to_angstrom",
]

MICRON_RANGE = (0.1, 40.0)
ANGSTROM_RANGE = (300.0, 400000.0)

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
    "um": u.micron,
    "µm": u.micron,
}
# Spellings of older pipelines (IRTF Spextool: 'ergs s-1 cm-2 A-1') that astropy does not know.
_WORDS = ((re.compile(r"(?<![A-Za-z])ergs(?![A-Za-z])"), "erg"),)


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
    for pattern, replacement in _WORDS:
        cleaned = pattern.sub(replacement, cleaned)
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


def _rule() -> str:
    (um_lo, um_hi), (aa_lo, aa_hi) = MICRON_RANGE, ANGSTROM_RANGE
    return f"plausibility rule: {um_lo:g}-{um_hi:g} -> um, {aa_lo:g}-{aa_hi:g} -> Angstrom"


def guess_wave_unit(wave: np.ndarray) -> tuple[u.UnitBase, str]:
    """The wavelength unit of values given without one, by the module's plausibility rule.

    Parameters
    ----------
    wave : numpy.ndarray, shape (n_pix,)
        Spectral coordinate of each pixel, unit unknown; non-finite values are ignored.

    Returns
    -------
    unit : astropy.units.UnitBase
        ``u.micron`` or ``u.AA`` (Angstrom when there is no finite value to judge by).
    note : str
        The guess in words, for ``SpectrumMeta.guesses`` ("" when nothing was judged).

    Raises
    ------
    ValueError
        When the values fit neither range (a pixel index, nanometres below 300, Hz...).
    """
    values = np.asarray(wave, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return u.AA, ""
    lo, hi = float(values.min()), float(values.max())
    shown = f"{lo:.4g}-{hi:.4g}"
    for unit, (low, high), name in (
        (u.micron, MICRON_RANGE, "um"),
        (u.AA, ANGSTROM_RANGE, "Angstrom"),
    ):
        if low <= lo and hi <= high:
            return unit, f"no wavelength unit in the file: {shown} read as {name} ({_rule()})"
    raise ValueError(
        f"wavelengths {shown} without a unit fit no plausible unit ({_rule()}); "
        "the file must state its wavelength unit"
    )


def range_warning(wave_aa: np.ndarray, stated: str) -> str | None:
    """A warning when wavelengths read with a stated unit fall outside :data:`ANGSTROM_RANGE`.

    Parameters
    ----------
    wave_aa : numpy.ndarray, shape (n_pix,)
        Wavelengths in Angstrom, as converted from the file's stated unit.
    stated : str
        The unit as the file states it (for the message).

    Returns
    -------
    str or None
        ``"wavelengths 0.65-2.55 Angstrom (unit 'Angstrom' in the file) ..."``, or None.
    """
    values = np.asarray(wave_aa, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    lo, hi = float(values.min()), float(values.max())
    low, high = ANGSTROM_RANGE
    if low <= lo and hi <= high:
        return None
    return (
        f"wavelengths {lo:.4g}-{hi:.4g} Angstrom (unit {stated!r} in the file) lie outside "
        f"{low:g}-{high:g} Angstrom: is the stated unit right?"
    )
