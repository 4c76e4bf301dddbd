"""The :class:`Spectrum` data class, its metadata and the reader error.

Conventions used throughout :mod:`services.spectra`:

* arrays are 1-D ``numpy.float64`` of shape ``(n_pix,)``, sorted by increasing wavelength;
* ``ivar`` is the inverse variance ``1 / sigma**2`` in ``flux_unit**-2``; a pixel without
  information has ``ivar == 0`` and ``uncertainty == inf``;
* ``mask`` is ``True`` for a *bad* pixel.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np

__all__ = [
    "Spectrum",
    "SpectrumMeta",
    "SpectrumReadError",
    "UnrecognisedLayout",
    "ivar_from_uncertainty",
    "uncertainty_from_ivar",
]


class SpectrumReadError(ValueError):
    """A file could not be read as a spectrum.

    Parameters
    ----------
    path : str or os.PathLike
        The file that failed; the message names its base name.
    reason : str
        Why, in words ("truncated FITS file (expected 2880-byte blocks)", ...).
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{Path(self.path).name or self.path}: {reason}")

    def __reduce__(self) -> tuple[type[SpectrumReadError], tuple[str, str]]:
        return (type(self), (self.path, self.reason))


class UnrecognisedLayout(SpectrumReadError):
    """A well-formed file in a layout no fast reader knows (specutils may still read it)."""


@dataclass(slots=True)
class SpectrumMeta:
    """What is known about a spectrum besides its arrays.

    Attributes
    ----------
    source : str
        File name the spectrum was read from (base name, no directories).
    format : str
        Layout that was recognised, e.g. ``"lamost-dr2"``, ``"ondrejov-ccd700"``,
        ``"sdss-spec"``, ``"fits-wcs-1d"``, ``"fits-table"``, ``"votable-sdm"``, ``"ascii"``.
    object_name : str or None
        Target name (OBJNAME, OBJECT, Target.Name, ...).
    ra, dec : float or None
        ICRS/FK5 position in degrees.
    obs_date : str or None
        ISO 8601 date or date-time of the observation (UTC as given by the file).
    instrument, telescope : str or None
        Instrument and telescope names.
    redshift : float or None
        Redshift when the file gives one (sentinels such as -9999 become None).
    wave_medium : str or None
        ``"vacuum"`` or ``"air"`` when the file says which; None when it does not.
    extra : dict
        Further scalar header values worth keeping (class, exposure time, ...).
    warnings : list of str
        Problems met while reading that did not prevent it (non-standard keywords, ...).
    guesses : list of str
        What the reader inferred instead of reading it from the file (a wavelength unit by
        the plausibility rule of :mod:`services.spectra.units`...); the ingest report shows
        them per item, so that no guess is silent.
    """

    source: str
    format: str
    object_name: str | None = None
    ra: float | None = None
    dec: float | None = None
    obs_date: str | None = None
    instrument: str | None = None
    telescope: str | None = None
    redshift: float | None = None
    wave_medium: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    guesses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the metadata as a plain (JSON-friendly) dictionary."""
        return dataclasses.asdict(self)

    def warn(self, message: str) -> None:
        """Record ``message`` in :attr:`warnings` unless it is already there."""
        if message not in self.warnings:
            self.warnings.append(message)

    def guess(self, message: str) -> None:
        """Record ``message`` in :attr:`guesses` unless it is empty or already there."""
        if message and message not in self.guesses:
            self.guesses.append(message)


def uncertainty_from_ivar(ivar: np.ndarray) -> np.ndarray:
    """1-sigma uncertainty from inverse variance.

    Parameters
    ----------
    ivar : numpy.ndarray, shape (n_pix,)
        Inverse variance; values that are not finite and positive carry no information.

    Returns
    -------
    numpy.ndarray, shape (n_pix,), float64
        ``1 / sqrt(ivar)``, ``inf`` where ``ivar`` is not finite and positive.
    """
    good = np.isfinite(ivar) & (ivar > 0)
    out = np.full(ivar.shape, np.inf)
    np.sqrt(ivar, out=out, where=good)
    np.divide(1.0, out, out=out, where=good)
    return out


def ivar_from_uncertainty(uncertainty: np.ndarray) -> np.ndarray:
    """Inverse variance from 1-sigma uncertainty.

    Parameters
    ----------
    uncertainty : numpy.ndarray, shape (n_pix,)
        1-sigma errors; values that are not finite and positive carry no information.

    Returns
    -------
    numpy.ndarray, shape (n_pix,), float64
        ``1 / uncertainty**2``, 0 where ``uncertainty`` is not finite and positive.
    """
    good = np.isfinite(uncertainty) & (uncertainty > 0)
    out = np.zeros(uncertainty.shape)
    np.divide(1.0, np.square(uncertainty, where=good, out=np.ones_like(out)), out=out, where=good)
    return out


def _column(values: Any, name: str, n_pix: int | None = None) -> np.ndarray:
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if n_pix is not None and array.shape[0] != n_pix:
        raise ValueError(f"{name} has {array.shape[0]} pixels, wave has {n_pix}")
    return array


@dataclass(eq=False, kw_only=True)
class Spectrum:
    """A 1-D spectrum: flux sampled on a wavelength grid.

    Attributes
    ----------
    wave : numpy.ndarray, shape (n_pix,), float64
        Wavelength of each pixel, in :attr:`wave_unit`.
    flux : numpy.ndarray, shape (n_pix,), float64
        Flux (density) of each pixel, in :attr:`flux_unit`.
    wave_unit : astropy.units.UnitBase
        Unit of :attr:`wave`; the readers always give Angstrom.
    flux_unit : astropy.units.UnitBase or None
        Unit of :attr:`flux` when the file states one (may be ``adu``, ``count``...).
    ivar : numpy.ndarray, shape (n_pix,), float64, or None
        Inverse variance in ``flux_unit**-2``; 0 for pixels without information.
    uncertainty : numpy.ndarray, shape (n_pix,), float64, or None
        1-sigma flux error in ``flux_unit``; ``inf`` for pixels without information.
        Whichever of ``ivar`` and ``uncertainty`` is given, the other is derived.
    mask : numpy.ndarray, shape (n_pix,), bool, or None
        ``True`` marks a bad pixel.
    meta : SpectrumMeta
        Object, position, date, instrument, source file and recognised format.
    """

    wave: np.ndarray
    flux: np.ndarray
    wave_unit: u.UnitBase = u.AA
    flux_unit: u.UnitBase | None = None
    ivar: np.ndarray | None = None
    uncertainty: np.ndarray | None = None
    mask: np.ndarray | None = None
    meta: SpectrumMeta = field(default_factory=lambda: SpectrumMeta(source="", format="memory"))

    def __post_init__(self) -> None:
        self.wave = _column(self.wave, "wave")
        n_pix = self.wave.shape[0]
        self.flux = _column(self.flux, "flux", n_pix)
        self.wave_unit = u.Unit(self.wave_unit)
        if self.flux_unit is not None:
            self.flux_unit = u.Unit(self.flux_unit)
        if self.ivar is not None:
            self.ivar = _column(self.ivar, "ivar", n_pix)
        if self.uncertainty is not None:
            self.uncertainty = _column(self.uncertainty, "uncertainty", n_pix)
        if self.ivar is not None and self.uncertainty is None:
            self.ivar = np.where(np.isfinite(self.ivar) & (self.ivar > 0), self.ivar, 0.0)
            self.uncertainty = uncertainty_from_ivar(self.ivar)
        elif self.uncertainty is not None and self.ivar is None:
            self.ivar = ivar_from_uncertainty(self.uncertainty)
            self.uncertainty = np.where(self.ivar > 0, self.uncertainty, np.inf)
        if self.mask is not None:
            self.mask = np.asarray(self.mask, dtype=bool).reshape(-1)
            if self.mask.shape[0] != n_pix:
                raise ValueError(f"mask has {self.mask.shape[0]} pixels, wave has {n_pix}")

    @property
    def n_pix(self) -> int:
        """Number of pixels."""
        return int(self.wave.shape[0])

    @property
    def good(self) -> np.ndarray:
        """Usable pixels, shape (n_pix,), bool: unmasked, finite flux, ``ivar > 0``."""
        good = np.isfinite(self.flux)
        if self.mask is not None:
            good &= ~self.mask
        if self.ivar is not None:
            good &= self.ivar > 0
        return good
