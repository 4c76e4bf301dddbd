"""Put one spectrum onto a dataset's grid: wavelength frame, rebinning, normalisation.

Order of operations in :func:`resample`:

1. wavelengths in air become vacuum wavelengths (:func:`air_to_vacuum`) when the file
   says ``wave_medium == "air"`` (``air_to_vacuum="auto"``) or always (``"yes"``);
2. shift to the rest frame, ``wave / (1 + z)``, when asked and the file gives ``z``
   (a spectrum without a redshift is kept in the observed frame and flagged);
3. rebinning onto the grid, flux-conserving (default) or by linear interpolation,
   propagating the inverse variance and the mask;
4. normalisation of flux (and ivar, by the square of the same factor).

Spectra without uncertainties get a constant noise estimated with DER_SNR
(Stoehr et al. 2008) so that every row has a usable ``ivar``; ``ivar_source`` says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from services.datasets.grid import Grid
from services.spectra import Spectrum

Method = Literal["conserve", "linear"]
AirToVacuum = Literal["auto", "yes", "no"]
Normalisation = Literal["none", "median", "mean", "max", "l2", "window"]

MIN_GOOD_FRACTION = 0.5  # of a grid pixel covered by good input pixels, else masked


class ResampleError(ValueError):
    """A spectrum that cannot be put onto the grid (no overlap, nothing to normalise by)."""


@dataclass(frozen=True)
class ResampleOptions:
    """How spectra are put onto the grid (stored in ``dataset.json`` as ``options``).

    Parameters
    ----------
    method : {"conserve", "linear"}
        Flux-conserving rebinning or linear interpolation at the grid's pixel centres.
    air_to_vacuum : {"auto", "yes", "no"}
        Convert air wavelengths when the file says they are in air, always, or never.
    rest_frame : bool
        Divide wavelengths by ``1 + z`` when the file gives a redshift ``z``.
    normalisation : {"none", "median", "mean", "max", "l2", "window"}
        Divide the flux by the median, mean or maximum of its good pixels, by its L2
        norm over good pixels, or by the median of good pixels inside ``norm_window``.
    norm_window : tuple of float, optional
        (start, end) in Angstrom on the grid, for ``normalisation="window"``.
    """

    method: Method = "conserve"
    air_to_vacuum: AirToVacuum = "auto"
    rest_frame: bool = False
    normalisation: Normalisation = "none"
    norm_window: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        window = self.norm_window
        if self.normalisation == "window" and (window is None or not window[0] < window[1]):
            raise ValueError("normalisation 'window' needs a window start < end (Å)")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["norm_window"] = list(self.norm_window) if self.norm_window else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResampleOptions:
        window = data.get("norm_window")
        return cls(**{**data, "norm_window": tuple(window) if window else None})


@dataclass
class Resampled:
    """One spectrum on the grid.

    Attributes
    ----------
    flux, ivar : ndarray, shape (n_pix,), float64
        Normalised flux and its inverse variance (0 where there is no information).
    mask : ndarray, shape (n_pix,), bool
        True for a bad pixel: outside the spectrum's coverage or mostly bad input.
    scale : float
        The normalisation factor the flux was divided by (1.0 for ``"none"``).
    vacuum : bool
        Whether air->vacuum conversion was applied.
    redshift : float or None
        The redshift the wavelengths were divided by (None: observed frame).
    ivar_source : str
        ``"file"`` or ``"der_snr"`` (estimated, the file has no uncertainties).
    """

    flux: np.ndarray
    ivar: np.ndarray
    mask: np.ndarray
    scale: float
    vacuum: bool
    redshift: float | None
    ivar_source: str

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(flux, ivar, mask), each shape (n_pix,)."""
        return self.flux, self.ivar, self.mask

    @property
    def n_good(self) -> int:
        return int(np.count_nonzero(~self.mask))

    @property
    def snr_median(self) -> float:
        """Median of ``flux * sqrt(ivar)`` over good pixels (NaN if none)."""
        good = ~self.mask
        if not good.any():
            return float("nan")
        return float(np.median(np.abs(self.flux[good]) * np.sqrt(self.ivar[good])))


def air_to_vacuum(wave_air: np.ndarray) -> np.ndarray:
    """Vacuum wavelengths from air wavelengths (IAU convention, VALD/Morton 2000 formula).

    Uses the inverse of the Birch & Downs (1994) refractive index of standard air as
    given by Morton (2000, ApJS 130, 403) and adopted by VALD (N. Piskunov):
    ``n = 1 + 8.336624212083e-5 + 2.408926869968e-2 / (130.1065924522 - s**2)
    + 1.599740894897e-4 / (38.92568793293 - s**2)`` with ``s = 1e4 / wave_air``.
    As in the IAU/SDSS convention, wavelengths below 2000 Å are already vacuum and are
    returned unchanged.

    Parameters
    ----------
    wave_air : ndarray, shape (n_pix,)
        Wavelengths in air, Angstrom.

    Returns
    -------
    ndarray, shape (n_pix,), float64
        Vacuum wavelengths, Angstrom (6562.80 Å in air gives 6564.61 Å).
    """
    wave_air = np.asarray(wave_air, dtype=np.float64)
    s2 = (1e4 / wave_air) ** 2
    n = 1 + 8.336624212083e-5 + 2.408926869968e-2 / (130.1065924522 - s2)
    n += 1.599740894897e-4 / (38.92568793293 - s2)
    return np.where(wave_air >= 2000.0, wave_air * n, wave_air)


def der_snr_sigma(flux: np.ndarray) -> float:
    """Noise of a spectrum from its own flux (DER_SNR, Stoehr et al. 2008).

    Parameters
    ----------
    flux : ndarray, shape (n_pix,)
        Finite flux values of good pixels, in wavelength order.

    Returns
    -------
    float
        The 1-sigma noise, ``1.482602 / sqrt(6) * median(|2 f_i - f_{i-2} - f_{i+2}|)``;
        NaN for fewer than 5 pixels.
    """
    if flux.size < 5:
        return float("nan")
    second = np.abs(2.0 * flux[2:-2] - flux[:-4] - flux[4:])
    return float(1.482602 / np.sqrt(6.0) * np.median(second))


def observed_to_grid_wave(
    spectrum: Spectrum, options: ResampleOptions
) -> tuple[np.ndarray, bool, float | None]:
    """The spectrum's wavelengths in the dataset's frame.

    Returns
    -------
    wave : ndarray, shape (n_pix,), float64
        Angstrom, vacuum if converted, rest frame if shifted.
    vacuum : bool
        Whether air->vacuum conversion was applied.
    redshift : float or None
        The redshift divided out, None when the spectrum stays in the observed frame.
    """
    wave = spectrum.wave
    medium = spectrum.meta.wave_medium
    vacuum = options.air_to_vacuum == "yes" or (options.air_to_vacuum == "auto" and medium == "air")
    if vacuum:
        wave = air_to_vacuum(wave)
    z = spectrum.meta.redshift
    if options.rest_frame and z is not None and np.isfinite(z) and z > -1:
        return wave / (1.0 + z), vacuum, float(z)
    return wave, vacuum, None


def resample(spectrum: Spectrum, grid: Grid, options: ResampleOptions) -> Resampled:
    """Put ``spectrum`` onto ``grid`` as ``options`` say (see the module's docstring).

    Parameters
    ----------
    spectrum : Spectrum
        Wave in Angstrom (ascending), flux, optional ivar and mask, each shape (n_in,).
    grid : Grid
        The dataset's grid, n_pix pixels.
    options : ResampleOptions
        Rebinning method, wavelength frame and normalisation.

    Returns
    -------
    Resampled
        flux, ivar, mask of shape (n_pix,) and what was done.

    Raises
    ------
    ResampleError
        If no good pixel lands on the grid or the normalisation factor is not positive.
    """
    wave, vacuum, z = observed_to_grid_wave(spectrum, options)
    good = spectrum.good
    if np.count_nonzero(good) < 2:
        raise ResampleError("fewer than two good pixels")
    flux = np.where(good, spectrum.flux, 0.0)
    ivar, ivar_source = _input_ivar(spectrum, good)
    var = np.divide(1.0, ivar, out=np.zeros_like(ivar), where=ivar > 0)
    if options.method == "linear":
        out_flux, out_var, bad = _interpolate(wave, flux, var, good, grid.wave())
    else:
        out_flux, out_var, bad = _rebin(wave, flux, var, good, grid.edges())
    out_ivar = np.divide(1.0, out_var, out=np.zeros_like(out_var), where=~bad & (out_var > 0))
    bad |= out_ivar <= 0
    if bad.all():
        raise ResampleError("no good pixel on the grid (no overlap with its wavelength range)")
    scale = _scale(out_flux, bad, grid, options)
    out_flux /= scale
    out_ivar *= scale * scale
    return Resampled(out_flux, out_ivar, bad, scale, vacuum, z, ivar_source)


def _input_ivar(spectrum: Spectrum, good: np.ndarray) -> tuple[np.ndarray, str]:
    if spectrum.ivar is not None:
        return np.where(good, spectrum.ivar, 0.0), "file"
    sigma = der_snr_sigma(spectrum.flux[good])
    if not (np.isfinite(sigma) and sigma > 0):
        # a noiseless (synthetic) spectrum: weight every good pixel alike
        sigma = 1.0
    return np.where(good, 1.0 / sigma**2, 0.0), "der_snr"


def _input_edges(wave: np.ndarray) -> np.ndarray:
    """Edges, shape (n_in + 1,), half-way between centres and half a step beyond the ends."""
    mid = 0.5 * (wave[1:] + wave[:-1])
    first = wave[0] - (mid[0] - wave[0])
    last = wave[-1] + (wave[-1] - mid[-1])
    return np.concatenate(([first], mid, [last]))


def _rebin(
    wave: np.ndarray, flux: np.ndarray, var: np.ndarray, good: np.ndarray, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flux-conserving rebinning onto the output ``edges`` (n_pix + 1,).

    The union of input and output edges splits the axis into segments, each inside one
    input pixel i and one output pixel j; with overlap lengths w_ij over good input pixels,
    ``f_j = sum_i w_ij f_i / sum_i w_ij`` and ``var_j = sum_i w_ij**2 var_i / (sum_i w_ij)**2``.
    With every input pixel good this conserves the integral ``sum_j f_j (e_j+1 - e_j)``.
    """
    in_edges = _input_edges(wave)  # (n_in + 1,)
    n_pix = edges.size - 1
    cuts = np.union1d(in_edges, edges)  # (n_cut,)
    lo, hi = cuts[:-1], cuts[1:]  # (n_seg,)
    centre = 0.5 * (lo + hi)
    i = np.searchsorted(in_edges, centre) - 1  # input pixel of each segment
    j = np.searchsorted(edges, centre) - 1  # output pixel of each segment
    keep = (i >= 0) & (i < wave.size) & (j >= 0) & (j < n_pix)
    i, j, length = i[keep], j[keep], (hi - lo)[keep]
    weight = length * good[i]  # (n_seg,), bad input pixels count for nothing
    covered = np.bincount(j, weights=weight, minlength=n_pix)  # (n_pix,), Å
    total = np.bincount(j, weights=weight * flux[i], minlength=n_pix)
    total_var = np.bincount(j, weights=weight**2 * var[i], minlength=n_pix)
    width = np.diff(edges)  # (n_pix,)
    inside = (edges[:-1] >= in_edges[0]) & (edges[1:] <= in_edges[-1])
    bad = ~inside | (covered < MIN_GOOD_FRACTION * width)
    safe = np.where(covered > 0, covered, 1.0)
    out_flux = np.where(covered > 0, total / safe, 0.0)
    out_var = np.where(covered > 0, total_var / safe**2, 0.0)
    return out_flux, out_var, bad


def _interpolate(
    wave: np.ndarray, flux: np.ndarray, var: np.ndarray, good: np.ndarray, centres: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear interpolation between good input pixels at the grid's ``centres`` (n_pix,).

    ``f = (1 - t) f_a + t f_b`` and ``var = (1 - t)**2 var_a + t**2 var_b``; a pixel is
    bad outside the spectrum or when a neighbouring input pixel (good or not) is bad.
    """
    w, f, v = wave[good], flux[good], var[good]  # (n_good,)
    out_flux = np.interp(centres, w, f)
    b = np.clip(np.searchsorted(w, centres), 1, w.size - 1)  # (n_pix,)
    a = b - 1
    t = np.clip((centres - w[a]) / (w[b] - w[a]), 0.0, 1.0)
    out_var = (1 - t) ** 2 * v[a] + t**2 * v[b]
    badness = np.interp(centres, wave, (~good).astype(np.float64))
    bad = (centres < wave[0]) | (centres > wave[-1]) | (badness > 0)
    out_flux = np.where(bad & ((centres < w[0]) | (centres > w[-1])), 0.0, out_flux)
    return out_flux, out_var, bad


def _scale(flux: np.ndarray, bad: np.ndarray, grid: Grid, options: ResampleOptions) -> float:
    mode = options.normalisation
    if mode == "none":
        return 1.0
    use = ~bad
    if mode == "window":
        assert options.norm_window is not None
        wave = grid.wave()
        use &= (wave >= options.norm_window[0]) & (wave <= options.norm_window[1])
        if not use.any():
            raise ResampleError("no good pixel in the normalisation window")
    values = flux[use]
    scale = {
        "median": np.median,
        "window": np.median,
        "mean": np.mean,
        "max": np.max,
        "l2": np.linalg.norm,
    }[mode](values)
    if not (np.isfinite(scale) and scale > 0):
        raise ResampleError(f"cannot normalise: the {mode} of the flux is {scale:.3g}")
    return float(scale)
