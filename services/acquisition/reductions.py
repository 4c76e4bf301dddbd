"""Reductions over the Monte-Carlo sample axis in a fixed order.

NumPy sums a contiguous axis pairwise but a strided one row by row, so ``x.sum(axis=0)``
of a ``[T, n]`` chunk rounds differently when n is 1. Summing the T rows one after the
other, in float64, makes every item's score independent of the chunk size, bit for bit.
"""

from __future__ import annotations

import numpy as np


def sum_over_samples(x: np.ndarray) -> np.ndarray:
    """``sum_t x[t]`` in order, for ``x`` of shape (T, ...); returns shape (...)."""
    total = np.array(x[0], dtype=np.float64)  # [...]: a copy
    for row in x[1:]:
        total += row
    return total


def mean_over_samples(x: np.ndarray) -> np.ndarray:
    """``mean_t x[t]``, for ``x`` of shape (T, ...); returns shape (...)."""
    return sum_over_samples(x) / x.shape[0]


def var_over_samples(x: np.ndarray) -> np.ndarray:
    """Population variance over samples (``ddof=0``), shape (T, ...) -> (...).

    Two passes on data shifted by the first sample, so T identical samples give exactly 0.
    """
    shifted = x - x[0]  # [T, ...]
    centred = shifted - mean_over_samples(shifted)  # [T, ...] - [...] -> [T, ...]
    return mean_over_samples(centred * centred)
