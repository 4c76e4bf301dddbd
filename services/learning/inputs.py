"""Dataset rows as network input."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from services.jobs import JobFailure


def model_input(flux: np.ndarray, mask: np.ndarray, offset: int = 0) -> np.ndarray:
    """Flux with bad pixels set to 0, float32; refuses NaN or infinite values.

    Parameters
    ----------
    flux : ndarray, shape (n, n_pix)
        Normalised flux from a dataset.
    mask : ndarray, shape (n, n_pix), bool
        True for bad pixels.
    offset : int
        Dataset row of the first row (for the error message).
    """
    x = np.where(mask, 0.0, flux).astype(np.float32, copy=False)
    bad = ~np.isfinite(x)
    if bad.any():
        rows = offset + np.unique(np.nonzero(bad)[0])[:5]
        raise JobFailure(
            f"the flux has NaN or infinite values in rows {rows.tolist()} (rebuild the dataset)"
        )
    return x


def gather(dataset, rows: np.ndarray) -> np.ndarray:
    """``model_input`` of the given rows of a dataset, shape (len(rows), n_pix)."""
    return model_input(np.asarray(dataset.flux[rows]), np.asarray(dataset.mask[rows]))


def stream(
    dataset, chunk_rows: int = 8192, start: int = 0, stop: int | None = None
) -> Iterator[np.ndarray]:
    """Rows ``start`` to ``stop`` (default: every row) of a dataset as network input, a
    block at a time."""
    for rows, flux, _ivar, mask in dataset.iter_chunks(chunk_rows, start, stop):
        yield model_input(flux, mask, offset=rows.start)
