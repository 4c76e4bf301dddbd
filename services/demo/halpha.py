"""Synthetic H-alpha-region spectra like the Ondřejov CCD700 set, for demos without network.

Each spectrum covers 6250-6770 A (air) in 2000 linear pixels (~0.26 A/px, as the
Ondřejov 2-m telescope's CCD700 coudé spectra) and belongs to one of three classes, as in
the labelled Ondřejov data set of Be-star candidates:

``absorption``
    An H-alpha absorption line (Gaussian core plus Lorentzian wings), depth 0.2-0.6.
``emission``
    A single-peaked H-alpha emission line, peak 0.5-3 above the continuum.
``double-peak``
    Two emission peaks 3-8 A apart (a rotating disc), often with a central dip.

plus a random radial velocity (±100 km/s), a continuum slope, weak He I 6678 and
telluric lines, an ADU-like scale and Gaussian noise (S/N 30-200). Everything is drawn
from ``numpy.random.default_rng(seed)``: the same seed gives the same spectra.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from astropy.io import fits

HALPHA_AA = 6562.80  # air
HE_I_AA = 6678.15
TELLURIC_AA = (6276.6, 6278.1, 6280.6, 6284.0, 6287.5, 6290.2, 6293.9, 6298.5)
WAVE_START_AA = 6250.0
WAVE_END_AA = 6770.0
N_PIX = 2000
CLASSES = ("absorption", "emission", "double-peak")
C_KM_S = 299_792.458
CLASS_KEY = "CLASS"  # FITS keyword holding the class


def wavelengths(n_pix: int = N_PIX) -> np.ndarray:
    """Pixel centres in Angstrom (air), shape (n_pix,), linear from 6250 to 6770 A."""
    return np.linspace(WAVE_START_AA, WAVE_END_AA, n_pix)


def _gauss(wave: np.ndarray, centre: float, sigma: float) -> np.ndarray:
    return np.exp(-0.5 * ((wave - centre) / sigma) ** 2)


def _halpha(wave: np.ndarray, kind: str, centre: float, rng: np.random.Generator) -> np.ndarray:
    """The H-alpha profile relative to a unit continuum, shape (n_pix,)."""
    if kind == "absorption":
        depth, sigma, gamma = rng.uniform(0.2, 0.6), rng.uniform(1.5, 4.0), rng.uniform(2, 8)
        lorentz = 1.0 / (1.0 + ((wave - centre) / gamma) ** 2)
        return -depth * (0.6 * _gauss(wave, centre, sigma) + 0.4 * lorentz)
    if kind == "emission":
        return rng.uniform(0.5, 3.0) * _gauss(wave, centre, rng.uniform(1.0, 4.0))
    half_gap, sigma = rng.uniform(1.5, 4.0), rng.uniform(0.8, 2.0)
    blue, red = rng.uniform(0.4, 2.0, size=2)
    dip = rng.uniform(0.0, 0.3) * _gauss(wave, centre, sigma)
    peaks = blue * _gauss(wave, centre - half_gap, sigma) + red * _gauss(
        wave, centre + half_gap, sigma
    )
    return peaks - dip


def synthetic_spectrum(
    kind: str, rng: np.random.Generator, n_pix: int = N_PIX
) -> tuple[np.ndarray, dict[str, float]]:
    """One spectrum of class ``kind``.

    Returns
    -------
    flux : ndarray, shape (n_pix,), float32
        ADU-like counts on :func:`wavelengths`.
    params : dict
        ``vrad`` (km/s), ``snr``, ``slope`` (relative change over the range).
    """
    if kind not in CLASSES:
        raise ValueError(f"unknown class {kind!r}; choose one of {', '.join(CLASSES)}")
    wave = wavelengths(n_pix)
    vrad, snr, slope = rng.uniform(-100, 100), rng.uniform(30, 200), rng.uniform(-0.15, 0.15)
    doppler = 1.0 + vrad / C_KM_S
    x = (wave - wave.mean()) / (WAVE_END_AA - WAVE_START_AA)  # -0.5 .. 0.5
    profile = 1.0 + slope * x + _halpha(wave, kind, HALPHA_AA * doppler, rng)
    profile -= rng.uniform(0.02, 0.1) * _gauss(wave, HE_I_AA * doppler, 1.2)
    telluric_depth = rng.uniform(0.0, 0.15)  # tellurics do not move with the star
    for line in TELLURIC_AA:
        profile -= telluric_depth * rng.uniform(0.3, 1.0) * _gauss(wave, line, 0.25)
    profile = profile + rng.normal(size=n_pix) * np.abs(profile) / snr
    scale = 10 ** rng.uniform(3, 5)
    return (profile * scale).astype(np.float32), {"vrad": vrad, "snr": snr, "slope": slope}


def spectrum_hdu(
    flux: np.ndarray, kind: str, name: str, params: dict[str, float]
) -> fits.PrimaryHDU:
    """A 1-D linear-WCS FITS HDU for ``flux`` with the class in keyword ``CLASS``."""
    hdu = fits.PrimaryHDU(flux)
    header = hdu.header
    step = (WAVE_END_AA - WAVE_START_AA) / (flux.size - 1)
    header["CTYPE1"] = ("AWAV", "air wavelength")
    header["CUNIT1"] = "Angstrom"
    header["CRPIX1"], header["CRVAL1"], header["CDELT1"] = 1.0, WAVE_START_AA, step
    header["BUNIT"] = "adu"
    header["OBJECT"] = name
    header["ORIGIN"] = "vocloud synthetic H-alpha demo"
    header[CLASS_KEY] = (kind, "/".join(CLASSES))
    header["VRAD"] = (round(params["vrad"], 3), "[km/s] radial velocity")
    header["SNR"] = (round(params["snr"], 2), "signal to noise ratio")
    return hdu


def halpha_set(n_spectra: int = 600, seed: int = 0) -> Iterator[tuple[str, str, fits.PrimaryHDU]]:
    """Generate ``n_spectra`` synthetic spectra, classes balanced and shuffled.

    Parameters
    ----------
    n_spectra : int
        How many spectra.
    seed : int
        Seed of everything: the same seed gives the same files, byte for byte.

    Yields
    ------
    (str, str, astropy.io.fits.PrimaryHDU)
        File name (``halpha-00000.fits`` ...), class and the HDU to write.
    """
    rng = np.random.default_rng(seed)
    kinds = rng.permutation(np.arange(n_spectra) % len(CLASSES))
    for i, kind_index in enumerate(kinds):
        kind, name = CLASSES[kind_index], f"halpha-{i:05d}"
        flux, params = synthetic_spectrum(kind, rng)
        yield f"{name}.fits", kind, spectrum_hdu(flux, kind, name, params)


def write_halpha_set(
    dest: Path,
    n_spectra: int = 600,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> list[tuple[str, str]]:
    """Write :func:`halpha_set` as FITS files into ``dest`` (created).

    Parameters
    ----------
    dest : Path
        Directory for the files.
    n_spectra, seed : int
        As for :func:`halpha_set`.
    progress : callable, optional
        Called as ``progress(n_done, n_spectra)`` after each file.

    Returns
    -------
    list of (str, str)
        ``(file name, class)`` per spectrum, in file order.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for done, (name, kind, hdu) in enumerate(halpha_set(n_spectra, seed), start=1):
        hdu.writeto(dest / name, overwrite=True)
        written.append((name, kind))
        if progress is not None:
            progress(done, n_spectra)
    return written
