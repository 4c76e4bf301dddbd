"""What the labelling page shows of spectra: thumbnails, and each class's labelled examples.

Both work on a dataset's common wavelength grid (:mod:`services.datasets`): a thumbnail is a
spectrum reduced to a few hundred pixels for a small plot, and a class reference is the
median of the class's labelled spectra, each scaled to a median flux of one, so that the
expert compares shapes, not brightness.
"""

from __future__ import annotations

import numpy as np

#: Pixels of a thumbnail: enough for the lines of a 120-px-high small plot.
THUMBNAIL_PIXELS = 240
#: Spectra that make a class reference at most (a seeded sample of the labelled ones).
REFERENCE_SPECTRA = 200


def normalised(flux: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Flux scaled to a median of one over its good pixels; NaN where masked or bad.

    Parameters
    ----------
    flux, mask : ndarray, shape (..., n_pix)
        Fluxes and their masks (True: bad pixel).
    """
    flux = np.where(mask | ~np.isfinite(flux), np.nan, np.asarray(flux, dtype=np.float64))
    with np.errstate(all="ignore"):
        level = np.nanmedian(np.abs(flux), axis=-1, keepdims=True)
        level = np.where(np.isfinite(level) & (level > 0), level, 1.0)
        return flux / level


def thumbnail(wave: np.ndarray, flux: np.ndarray, mask: np.ndarray) -> tuple[list, list]:
    """A spectrum reduced to at most :data:`THUMBNAIL_PIXELS` pixels (bin means).

    Bins without a good pixel are left out. Returns (wave, flux) as lists, rounded for JSON.
    """
    wave = np.asarray(wave, dtype=np.float64)
    flux = normalised(flux, mask)
    n = wave.size
    if n > THUMBNAIL_PIXELS:
        edges = np.linspace(0, n, THUMBNAIL_PIXELS + 1).astype(int)
        with np.errstate(all="ignore"):
            wave = np.add.reduceat(wave, edges[:-1]) / np.diff(edges)
            good = np.isfinite(flux)
            sums = np.add.reduceat(np.where(good, flux, 0.0), edges[:-1])
            counts = np.add.reduceat(good.astype(np.int64), edges[:-1])
            flux = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    keep = np.isfinite(flux)
    return wave[keep].round(2).tolist(), flux[keep].round(4).tolist()


def class_references(
    flux: np.ndarray, mask: np.ndarray, rows_by_class: dict[str, np.ndarray], seed: int = 0
) -> dict[str, dict]:
    """The median normalised spectrum of each class's labelled examples.

    Parameters
    ----------
    flux, mask : array-like, shape (n_spectra, n_pix)
        The dataset's fluxes and masks (a memory map is read only at the rows used).
    rows_by_class : dict of str to ndarray of int
        Dataset rows labelled with each class.

    Returns
    -------
    dict
        class -> {"n": labelled spectra, "used": spectra in the median, "flux": list}
        (NaN pixels become None); classes without examples are left out.
    """
    rng = np.random.default_rng(seed)
    out = {}
    for name, rows in rows_by_class.items():
        rows = np.sort(np.asarray(rows, dtype=np.int64))
        if rows.size == 0:
            continue
        used = rows
        if rows.size > REFERENCE_SPECTRA:
            used = np.sort(rng.choice(rows, REFERENCE_SPECTRA, replace=False))
        spectra = normalised(np.asarray(flux[used]), np.asarray(mask[used], dtype=bool))
        with np.errstate(all="ignore"):
            median = np.nanmedian(spectra, axis=0)
        out[name] = {
            "n": int(rows.size),
            "used": int(used.size),
            "flux": [None if not np.isfinite(v) else round(float(v), 4) for v in median],
        }
    return out
