"""Physically sensible augmentations of a batch of spectra on a common grid (NumPy).

Every function takes ``flux`` and ``ivar`` of shape (n, n_pix) on a
:class:`~services.datasets.grid.Grid` and a seeded :class:`numpy.random.Generator`, and
returns new arrays (the inputs are never changed):

:func:`add_noise`
    Gaussian noise at each pixel's own error ``1 / sqrt(ivar)``; where ``ivar`` is 0 or not
    finite, at the spectrum's DER_SNR noise (Stoehr et al. 2008), a robust estimate from the
    flux itself. The returned ``ivar`` is halved (the variance doubled) where noise was added.
:func:`doppler_shift`
    The spectrum seen at redshift ``z`` (a velocity ``v = c z`` for small ``z``): a feature at
    ``lambda`` moves to ``lambda (1 + z)``. Flux-conserving: the cumulative integral of
    ``F dlambda`` is carried over, so ``F'(lambda) = F(lambda / (1 + z)) / (1 + z)`` and the
    integral of every feature is kept. Works on linear and log-lambda grids alike (it uses
    the pixel edges in Angstrom). Beyond the grid's ends the edge pixel's flux is assumed.
:func:`continuum_tilt`
    A multiplicative power law ``(lambda / lambda_pivot) ** alpha``: 1 at the pivot (the
    grid's geometric centre by default), like a change of reddening or flux calibration.
:func:`mask_segments`
    Random contiguous segments set to the local continuum (a straight line between the
    segment's neighbours) or to 0, with ``ivar`` 0 there.
:func:`augment`
    A random composition of the above, the views of contrastive pretraining.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from services.datasets.grid import Grid

__all__ = [
    "AugmentOptions",
    "add_noise",
    "augment",
    "continuum_tilt",
    "der_snr_sigmas",
    "doppler_shift",
    "mask_segments",
]
C_KMS = 299_792.458


def _pair(flux: np.ndarray, ivar: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    flux = np.atleast_2d(np.asarray(flux, dtype=np.float64))
    if ivar is None:
        ivar = np.zeros_like(flux)
    ivar = np.atleast_2d(np.asarray(ivar, dtype=np.float64))
    if ivar.shape != flux.shape:
        raise ValueError(f"ivar has shape {ivar.shape}, flux {flux.shape}")
    return flux, np.where(np.isfinite(ivar) & (ivar > 0), ivar, 0.0)


def der_snr_sigmas(flux: np.ndarray) -> np.ndarray:
    """DER_SNR noise of each spectrum, ``1.482602 / sqrt(6) median|2 f_i - f_{i-2} - f_{i+2}|``.

    Parameters
    ----------
    flux : ndarray, shape (n, n_pix)

    Returns
    -------
    ndarray, shape (n,)
        1-sigma noise per spectrum (0 for fewer than 5 pixels).
    """
    flux = np.atleast_2d(flux)
    if flux.shape[1] < 5:
        return np.zeros(flux.shape[0])
    second = np.abs(2.0 * flux[:, 2:-2] - flux[:, :-4] - flux[:, 4:])
    return 1.482602 / np.sqrt(6.0) * np.median(second, axis=1)


def add_noise(
    flux: np.ndarray, ivar: np.ndarray | None, rng: np.random.Generator, scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Add Gaussian noise of standard deviation ``scale / sqrt(ivar)`` at each pixel.

    Pixels with ``ivar`` 0 or unknown (``ivar=None``) get the spectrum's DER_SNR noise.
    The result's variance is ``(1 + scale**2) / ivar``.

    Returns
    -------
    flux, ivar : ndarray, shape (n, n_pix), float64
    """
    flux, ivar = _pair(flux, ivar)
    sigma = np.where(ivar > 0, 1.0 / np.sqrt(np.where(ivar > 0, ivar, 1.0)), 0.0)
    unknown = ivar == 0
    if unknown.any():
        robust = np.broadcast_to(der_snr_sigmas(flux)[:, None], flux.shape)
        sigma = np.where(unknown, robust, sigma)
    noisy = flux + scale * sigma * rng.standard_normal(flux.shape)
    new_ivar = np.where(ivar > 0, ivar / (1.0 + scale**2), 0.0)
    return noisy, new_ivar


def _shift_one_side(values: np.ndarray, edges: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Flux-conserving shift of ``values`` (n, n_pix) by ``z`` (n,) on pixel ``edges``.

    The new pixel ``[e_i, e_i+1]`` holds ``C(e_i+1 / (1 + z)) - C(e_i / (1 + z))`` of flux,
    ``C`` the cumulative integral of the old spectrum, divided by its width.
    """
    width = np.diff(edges)  # [n_pix]
    n = values.shape[0]
    # Cumulative integral at the edges, extended linearly beyond them with the edge flux.
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(values * width, axis=1)], axis=1)
    source = edges[None, :] / (1.0 + z[:, None])  # [n, n_pix + 1]: where each new edge came from
    out = np.empty_like(values)
    for i in range(n):  # np.interp is 1-D; n is a batch, n_pix the heavy axis
        inside = np.interp(source[i], edges, cum[i])
        below = source[i] < edges[0]
        above = source[i] > edges[-1]
        inside[below] = (source[i, below] - edges[0]) * values[i, 0]
        inside[above] = cum[i, -1] + (source[i, above] - edges[-1]) * values[i, -1]
        out[i] = np.diff(inside) / width
    return out


def doppler_shift(
    flux: np.ndarray, ivar: np.ndarray | None, grid: Grid, z: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The spectra seen at redshift ``z`` (scalar or one per spectrum), flux-conserving.

    A feature at ``lambda`` moves to ``lambda (1 + z)``; the flux density becomes
    ``F(lambda / (1 + z)) / (1 + z)``, integrated exactly over each new pixel for a flux that
    is constant within each old pixel. ``ivar`` follows the source pixel of each new pixel's
    centre, scaled by ``(1 + z)**2``; 0 stays 0.

    Returns
    -------
    flux, ivar : ndarray, shape (n, n_pix), float64
    """
    flux, ivar = _pair(flux, ivar)
    z = np.broadcast_to(np.asarray(z, dtype=np.float64), (flux.shape[0],))
    if np.any(z <= -1):
        raise ValueError("z must be > -1")
    edges = grid.edges()
    shifted = _shift_one_side(flux, edges, z)  # already F(lambda / (1 + z)) / (1 + z)
    source = grid.wave()[None, :] / (1.0 + z[:, None])
    pixel = np.clip(np.searchsorted(edges, source) - 1, 0, grid.n_pix - 1)
    new_ivar = np.take_along_axis(ivar, pixel, axis=1) * (1.0 + z[:, None]) ** 2
    outside = (source < edges[0]) | (source > edges[-1])
    return shifted, np.where(outside, 0.0, new_ivar)


def continuum_tilt(
    flux: np.ndarray,
    ivar: np.ndarray | None,
    grid: Grid,
    alpha: float | np.ndarray,
    pivot: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Multiply by ``(lambda / pivot) ** alpha`` (``alpha`` scalar or one per spectrum).

    ``pivot`` defaults to the geometric centre of the grid; the flux there is unchanged.
    ``ivar`` is divided by the square of the factor.
    """
    flux, ivar = _pair(flux, ivar)
    wave = grid.wave()
    pivot = float(np.sqrt(wave[0] * wave[-1])) if pivot is None else float(pivot)
    alpha = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (flux.shape[0],))
    factor = (wave[None, :] / pivot) ** alpha[:, None]
    return flux * factor, ivar / factor**2


def mask_segments(
    flux: np.ndarray,
    ivar: np.ndarray | None,
    rng: np.random.Generator,
    *,
    n_segments: int = 2,
    max_fraction: float = 0.1,
    fill: Literal["continuum", "zero"] = "continuum",
) -> tuple[np.ndarray, np.ndarray]:
    """Hide up to ``n_segments`` random segments of at most ``max_fraction`` of the pixels.

    A hidden segment becomes the straight line between its two neighbouring pixels
    (``fill="continuum"``) or 0 (``"zero"``); its ``ivar`` is 0.
    """
    flux, ivar = _pair(flux, ivar)
    flux, ivar = flux.copy(), ivar.copy()
    n, n_pix = flux.shape
    longest = max(1, int(max_fraction * n_pix))
    for i in range(n):
        for _ in range(n_segments):
            length = int(rng.integers(1, longest + 1))
            start = int(rng.integers(0, max(1, n_pix - length + 1)))
            stop = min(n_pix, start + length)
            if fill == "zero":
                flux[i, start:stop] = 0.0
            else:
                left = flux[i, start - 1] if start > 0 else flux[i, min(stop, n_pix - 1)]
                right = flux[i, stop] if stop < n_pix else left
                flux[i, start:stop] = np.linspace(left, right, stop - start + 2)[1:-1]
            ivar[i, start:stop] = 0.0
    return flux, ivar


@dataclass(frozen=True)
class AugmentOptions:
    """Ranges of the random augmentations of :func:`augment`.

    Attributes
    ----------
    noise_scale : float
        Extra noise in units of each pixel's own error (1: the S/N drops by sqrt 2).
    max_velocity : float
        Doppler shifts uniform in +-this many km/s.
    tilt_sigma : float
        Standard deviation of the power-law index of the continuum tilt.
    n_segments, max_mask_fraction : int, float
        Masked segments per spectrum and the longest one as a fraction of the pixels.
    """

    noise_scale: float = 1.0
    max_velocity: float = 300.0
    tilt_sigma: float = 0.3
    n_segments: int = 2
    max_mask_fraction: float = 0.05


def augment(
    flux: np.ndarray,
    ivar: np.ndarray | None,
    grid: Grid,
    rng: np.random.Generator,
    options: AugmentOptions = AugmentOptions(),
) -> tuple[np.ndarray, np.ndarray]:
    """One random view of each spectrum: shift, tilt, masked segments, then noise.

    Returns
    -------
    flux, ivar : ndarray, shape (n, n_pix), float32
    """
    flux, ivar = _pair(flux, ivar)
    n = flux.shape[0]
    if options.max_velocity > 0:
        z = rng.uniform(-options.max_velocity, options.max_velocity, n) / C_KMS
        flux, ivar = doppler_shift(flux, ivar, grid, z)
    if options.tilt_sigma > 0:
        flux, ivar = continuum_tilt(flux, ivar, grid, options.tilt_sigma * rng.standard_normal(n))
    if options.n_segments > 0:
        flux, ivar = mask_segments(
            flux,
            ivar,
            rng,
            n_segments=options.n_segments,
            max_fraction=options.max_mask_fraction,
        )
    if options.noise_scale > 0:
        flux, ivar = add_noise(flux, ivar, rng, options.noise_scale)
    return flux.astype(np.float32), ivar.astype(np.float32)
