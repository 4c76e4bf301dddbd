"""Turn the arrays a reader found into a clean :class:`Spectrum`.

Shared last step of every reader: wavelength in Angstrom, increasing; rows with a
non-finite wavelength dropped; variance turned into inverse variance; non-finite flux masked.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np

from services.spectra.spectrum import Spectrum, SpectrumMeta
from services.spectra.units import guess_wave_unit, wave_to_angstrom

__all__ = ["assemble"]


def _float(values: object) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


def _order(wave: np.ndarray) -> np.ndarray | None:
    """Index that sorts ``wave`` increasingly, or None when it already is."""
    steps = np.diff(wave)
    if steps.size == 0 or bool(np.all(steps >= 0)):
        return None
    if bool(np.all(steps <= 0)):
        return np.arange(wave.size - 1, -1, -1)
    return np.argsort(wave, kind="stable")


def assemble(
    meta: SpectrumMeta,
    wave: np.ndarray,
    flux: np.ndarray,
    *,
    wave_unit: u.UnitBase | None = None,
    flux_unit: u.UnitBase | None = None,
    ivar: np.ndarray | None = None,
    uncertainty: np.ndarray | None = None,
    variance: np.ndarray | None = None,
    mask: np.ndarray | None = None,
) -> Spectrum:
    """Build a :class:`Spectrum` in the package's conventions.

    Parameters
    ----------
    meta : SpectrumMeta
        Metadata; notes about dropped rows are added to its warnings.
    wave : numpy.ndarray, shape (n_pix,)
        Spectral coordinate in ``wave_unit`` (length, frequency or energy).
    flux : numpy.ndarray, shape (n_pix,)
        Flux in ``flux_unit``.
    wave_unit, flux_unit : astropy.units.UnitBase or None
        Units; a missing ``wave_unit`` means Angstrom.
    ivar, uncertainty, variance : numpy.ndarray, shape (n_pix,), optional
        At most one is used, in this order of preference.
    mask : numpy.ndarray, shape (n_pix,), optional
        Truthy for bad pixels (bit masks are fine: non-zero is bad).

    Returns
    -------
    Spectrum
        Wavelength in Angstrom, increasing; ``mask`` always set (file mask or non-finite flux).
    """
    wave = wave_to_angstrom(_float(wave), wave_unit)
    arrays = {"flux": _float(flux), **_errors(ivar, uncertainty, variance)}
    arrays["mask"] = np.zeros(wave.shape, bool) if mask is None else np.asarray(mask).ravel() != 0
    for name, array in arrays.items():
        if array.shape != wave.shape:
            raise ValueError(f"{name} has {array.shape[0]} pixels, wavelength has {wave.size}")
    wave, arrays = _clean_rows(meta, wave, arrays)
    arrays["mask"] = arrays["mask"] | ~np.isfinite(arrays["flux"])
    return Spectrum(wave=wave, wave_unit=u.AA, flux_unit=flux_unit, meta=meta, **arrays)


def _errors(
    ivar: np.ndarray | None, uncertainty: np.ndarray | None, variance: np.ndarray | None
) -> dict[str, np.ndarray]:
    if ivar is not None:
        return {"ivar": _float(ivar)}
    if uncertainty is not None:
        return {"uncertainty": _float(uncertainty)}
    if variance is not None:
        var = _float(variance)
        return {"ivar": np.divide(1.0, var, out=np.zeros_like(var), where=var > 0)}
    return {}


def _clean_rows(
    meta: SpectrumMeta, wave: np.ndarray, arrays: dict[str, np.ndarray]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Drop pixels with a non-finite wavelength and sort by increasing wavelength."""
    finite = np.isfinite(wave)
    if not finite.all():
        meta.warn(f"dropped {int((~finite).sum())} pixels with a non-finite wavelength")
        wave = wave[finite]
        arrays = {name: array[finite] for name, array in arrays.items()}
    if wave.size == 0:
        raise ValueError("the spectrum has no pixels")
    order = _order(wave)
    if order is not None:
        wave = wave[order]
        arrays = {name: array[order] for name, array in arrays.items()}
    return wave, arrays


def assemble_columns(
    meta: SpectrumMeta,
    arrays: dict[str, np.ndarray],
    wave_unit: u.UnitBase | None,
    flux_unit: u.UnitBase | None,
) -> Spectrum:
    """:func:`assemble` from columns found by role (``wave``, ``flux``, ``ivar``, ``error``,
    ``variance``, ``mask``), as the table readers find them.

    A missing ``wave_unit`` is guessed by :func:`~services.spectra.units.guess_wave_unit`
    and the guess recorded in ``meta.guesses`` (a ``ValueError`` when nothing fits).
    """
    if wave_unit is None:
        wave_unit, note = guess_wave_unit(arrays["wave"])
        meta.guess(note)
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
