"""Stochastic batch acquisition (Kirsch et al. 2021, "Stochastic Batch Acquisition").

Instead of the top k of a score, sample k distinct items with probability proportional
to ``score ** beta`` (power acquisition). Near-duplicates of the best item then rarely
fill the whole batch, at the cost of one score pass: a cheap stand-in for BatchBALD.
Sampling without replacement uses the Gumbel top-k trick: the k largest of
``beta * log(score) + Gumbel(0, 1)`` are a draw of k items without replacement with
those probabilities (Kool et al. 2019).
"""

from __future__ import annotations

import numpy as np

from services.acquisition.scores import bald, top_k
from services.acquisition.validation import DEFAULT_CHUNK, as_rng, check_k


def power_sample(
    scores: np.ndarray, k: int, *, rng: np.random.Generator | int, beta: float = 1.0
) -> np.ndarray:
    """Draw ``k`` distinct items with probability proportional to ``scores ** beta``.

    Parameters
    ----------
    scores : ndarray, shape (N,)
        Non-negative, finite scores. Items scoring 0 come only after all others.
    k : int
        Batch size, clipped to N.
    rng : numpy.random.Generator or int
        Source of the Gumbel noise.
    beta : float
        Temperature exponent, >= 0: 0 is uniform sampling, large beta approaches top-k.

    Returns
    -------
    indices : ndarray of int64, shape (k,)
        In the order drawn.
    """
    scores = np.asarray(scores, dtype=np.float64)
    k = check_k(k, scores.shape[0])
    if not np.isfinite(beta) or beta < 0:
        raise ValueError(f"beta must be a finite number >= 0, got {beta!r}")
    if not np.isfinite(scores).all() or (scores < 0).any():
        raise ValueError("power sampling needs finite, non-negative scores")
    with np.errstate(divide="ignore"):
        log_weights = beta * np.log(scores) if beta > 0 else np.zeros_like(scores)  # [N]
    keys = log_weights + as_rng(rng).gumbel(size=scores.shape[0])  # [N]
    return top_k(keys, k)


def powerbald(
    log_probs: np.ndarray,
    k: int,
    *,
    rng: np.random.Generator | int,
    beta: float = 1.0,
    chunk: int = DEFAULT_CHUNK,
) -> tuple[np.ndarray, np.ndarray]:
    """PowerBALD: ``k`` items drawn with probability proportional to ``BALD ** beta``.

    Parameters
    ----------
    log_probs : ndarray, shape (T, N, C)
        Log-probabilities of T Monte-Carlo dropout samples.
    k : int
        Batch size, clipped to N.
    rng : numpy.random.Generator or int
        Seeds the draw.
    beta : float
        Exponent; Kirsch et al. use 1.
    chunk : int
        Pool items processed at a time.

    Returns
    -------
    indices : ndarray of int64, shape (k,)
    scores : ndarray of float64, shape (k,)
        Their BALD scores, in nats.
    """
    scores = bald(log_probs, chunk=chunk)  # [N]
    indices = power_sample(scores, k, rng=rng, beta=beta)
    return indices, scores[indices]
