"""Checks on what the acquisition functions are given, and the chunked walk over the pool.

The pool can be a memory-mapped array far larger than memory: nothing here touches the
whole of ``log_probs`` at once. Each chunk is validated as it is converted to float64,
so scoring a pool reads it once.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

DEFAULT_CHUNK = 4096  # pool items per chunk: ~5 x T x chunk x C x 8 bytes of temporaries
NORMALISATION_ATOL = 1e-3  # |sum_c p - 1| allowed, i.e. |logsumexp_c log p| <~ 1e-3


def as_rng(rng: np.random.Generator | int) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a generator or an integer seed."""
    if rng is None or isinstance(rng, bool):
        raise ValueError("rng must be a numpy.random.Generator or an integer seed")
    return np.random.default_rng(rng)


def check_k(k: int, n_pool: int) -> int:
    """The batch size, a positive integer, clipped to the pool size ``n_pool``."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise ValueError(f"k must be an integer, got {k!r}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return min(int(k), n_pool)


def check_positive_int(name: str, value: object) -> int:
    """``value`` if it is an integer >= 1 (not a bool), else a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_target_class(target_class: object, n_class: int) -> int:
    """The index of a class, an integer in ``[0, n_class)``, else a ValueError naming the range."""
    if (
        isinstance(target_class, bool)
        or not isinstance(target_class, int | np.integer)
        or not 0 <= target_class < n_class
    ):
        raise ValueError(
            f"target_class must be a class index from 0 to {n_class - 1}, got {target_class!r}"
        )
    return int(target_class)


def check_chunk(chunk: int) -> int:
    """The number of pool items per chunk, a positive integer."""
    return check_positive_int("chunk", chunk)


def _check_float_array(name: str, array: object, ndim: int, axes: str) -> np.ndarray:
    """``array`` as an ndarray (memory maps stay memory maps) of floats with ``ndim`` axes."""
    if array is None:
        raise ValueError(f"{name} is required for this method")
    array = np.asanyarray(array)
    if array.ndim != ndim:
        raise ValueError(f"{name} must have shape {axes}, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"{name} must hold floats, got dtype {array.dtype}")
    return array


def check_log_probs(log_probs: object) -> np.ndarray:
    """Check the shape and dtype of ``log_probs[T, N, C]`` (values are checked per chunk).

    Raises
    ------
    ValueError
        Not three axes, not floats, no samples, fewer than two classes, or an empty pool.
    """
    log_probs = _check_float_array("log_probs", log_probs, 3, "(T, N, C)")
    n_samples, n_pool, n_class = log_probs.shape
    if n_pool == 0:
        raise ValueError("the pool is empty")
    if n_samples == 0:
        raise ValueError("log_probs holds no Monte-Carlo samples (T == 0)")
    if n_class < 2:
        raise ValueError(f"log_probs needs at least two classes, got C = {n_class}")
    return log_probs


def _raise_bad_log_probs(lp: np.ndarray, total: np.ndarray, start: int) -> None:
    """Explain the first bad entry of one chunk: NaN, +inf, or rows not normalised."""
    if np.isnan(lp).any():
        raise ValueError("log_probs contains NaN")
    if np.isposinf(lp).any():
        raise ValueError("log_probs contains +inf")
    t, n = np.argwhere(~(np.abs(total - 1.0) <= NORMALISATION_ATOL))[0]
    with np.errstate(divide="ignore"):
        lse = np.log(total[t, n])
    raise ValueError(
        f"log_probs are not normalised over classes: logsumexp over C is {lse:.4g} for "
        f"sample {t}, item {start + n} (expected 0 within {NORMALISATION_ATOL}); "
        "pass log-softmax outputs, not logits or probabilities"
    )


def iter_log_prob_chunks(
    log_probs: np.ndarray, chunk: int = DEFAULT_CHUNK
) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
    """Walk the pool in chunks, validating each one.

    Parameters
    ----------
    log_probs : ndarray, shape (T, N, C)
        Log-probabilities (natural log), any float dtype; ``-inf`` is an exact zero.
    chunk : int
        Pool items per chunk.

    Yields
    ------
    items : slice
        The pool items of this chunk.
    lp : ndarray of float64, shape (T, n, C)
        The chunk's log-probabilities, ``-inf`` replaced by the most negative finite
        value of the input's dtype.
    p : ndarray of float64, shape (T, n, C)
        ``exp(lp)``, computed in float32 for float32 input, in float64 otherwise.

    Raises
    ------
    ValueError
        NaN, ``+inf``, or a sample whose probabilities do not sum to one.
    """
    n_pool = log_probs.shape[1]
    for start in range(0, n_pool, chunk):
        items = slice(start, min(start + chunk, n_pool))
        raw = np.asarray(log_probs[:, items, :])  # [T, n, C], read from disk if mapped
        # float32 stays float32 through exp (2x faster, error ~ the input's own rounding);
        # -inf becomes the most negative finite value, so that 0 * log p == 0
        work = np.float32 if raw.dtype == np.float32 else np.float64
        lp = np.maximum(raw.astype(work, copy=False), np.finfo(work).min)
        with np.errstate(over="ignore"):
            p = np.exp(lp).astype(np.float64, copy=False)  # [T, n, C]
        lp = lp.astype(np.float64, copy=False)  # [T, n, C]
        total = p @ np.ones(p.shape[-1])  # [T, n, C] @ [C] -> [T, n]: sum over classes
        if not (np.abs(total - 1.0) <= NORMALISATION_ATOL).all():  # also catches NaN
            _raise_bad_log_probs(lp, total, start)
        yield items, lp, p


def check_regression(means: object, log_vars: object) -> tuple[np.ndarray, np.ndarray]:
    """Check ``means[T, N]`` and ``log_vars[T, N]`` of heteroscedastic Gaussian heads."""
    means = _check_float_array("means", means, 2, "(T, N)")
    log_vars = _check_float_array("log_vars", log_vars, 2, "(T, N)")
    if means.shape != log_vars.shape:
        raise ValueError(f"means {means.shape} and log_vars {log_vars.shape} differ in shape")
    if means.shape[1] == 0:
        raise ValueError("the pool is empty")
    if means.shape[0] == 0:
        raise ValueError("means holds no Monte-Carlo samples (T == 0)")
    return means, log_vars


def iter_finite_chunks(
    name: str, array: np.ndarray, chunk: int = DEFAULT_CHUNK
) -> Iterator[tuple[slice, np.ndarray]]:
    """Walk ``array[T, N]`` in chunks of pool items, as float64, rejecting NaN and inf."""
    n_pool = array.shape[1]
    for start in range(0, n_pool, chunk):
        items = slice(start, min(start + chunk, n_pool))
        values = np.asarray(array[:, items], dtype=np.float64)  # [T, n]
        if not np.isfinite(values).all():
            raise ValueError(f"{name} contains NaN or inf")
        yield items, values


def check_embedding(embedding: object, n_pool: int) -> np.ndarray:
    """Check the shape of ``embedding[N, D]``: one row per pool item, floats."""
    embedding = _check_float_array("embedding", embedding, 2, "(N, D)")
    if embedding.shape[0] != n_pool:
        raise ValueError(f"embedding has {embedding.shape[0]} rows for a pool of {n_pool} items")
    if embedding.shape[1] == 0:
        raise ValueError("embedding has no dimensions (D == 0)")
    return embedding


def embedding_rows(embedding: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Rows ``items`` of ``embedding[N, D]`` as float64, shape (len(items), D), all finite."""
    rows = np.asarray(embedding[items], dtype=np.float64)  # [m, D]
    if not np.isfinite(rows).all():
        raise ValueError("embedding contains NaN or inf")
    return rows
