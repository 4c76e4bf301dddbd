"""Acquisition scores for regression with heteroscedastic Gaussian heads.

Each of T Monte-Carlo dropout samples predicts, for every pool item, a mean ``mu_t`` and
a log-variance ``log sigma_t^2`` (natural log) of a Gaussian. The predictive
distribution is the uniform mixture of the T Gaussians; its variance splits into an
epistemic part (spread of the means: what more labels can reduce) and an aleatoric part
(the mean of the predicted variances: noise no label removes) (Kendall & Gal 2017).
Scores are in the squared units of the target; sums are float64, chunked over the pool.
"""

from __future__ import annotations

import numpy as np

from services.acquisition.reductions import mean_over_samples, var_over_samples
from services.acquisition.validation import (
    DEFAULT_CHUNK,
    check_chunk,
    check_regression,
    iter_finite_chunks,
)


def epistemic_variance(
    means: np.ndarray, log_vars: np.ndarray | None = None, *, chunk: int = DEFAULT_CHUNK
) -> np.ndarray:
    """Variance over samples of the predicted means, ``var_t mu_t`` (``ddof=0``).

    Parameters
    ----------
    means : ndarray, shape (T, N)
        Predicted means of T Monte-Carlo samples for N items, in target units.
    log_vars : ndarray, shape (T, N), optional
        Predicted log-variances; only their shape is checked here.
    chunk : int
        Pool items processed at a time.

    Returns
    -------
    scores : ndarray of float64, shape (N,)
        Epistemic variance, in target units squared.
    """
    means, _ = check_regression(means, means if log_vars is None else log_vars)
    scores = np.empty(means.shape[1], dtype=np.float64)  # [N]
    for items, mu in iter_finite_chunks("means", means, check_chunk(chunk)):
        scores[items] = var_over_samples(mu)  # [T, n] -> [n]
    return scores


def aleatoric_variance(log_vars: np.ndarray, *, chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """Mean over samples of the predicted variances, ``mean_t exp(log_var_t)``, shape (N,)."""
    _, log_vars = check_regression(log_vars, log_vars)
    scores = np.empty(log_vars.shape[1], dtype=np.float64)  # [N]
    for items, log_var in iter_finite_chunks("log_vars", log_vars, check_chunk(chunk)):
        with np.errstate(over="ignore"):
            scores[items] = mean_over_samples(np.exp(log_var))  # [T, n] -> [n]
    if not np.isfinite(scores).all():
        raise ValueError("log_vars are too large: exp(log_vars) overflows float64")
    return scores


def predictive_variance(
    means: np.ndarray, log_vars: np.ndarray, *, chunk: int = DEFAULT_CHUNK
) -> np.ndarray:
    """Total variance of the predictive mixture: epistemic plus mean aleatoric variance.

    ``var_t mu_t + mean_t exp(log_var_t)``, the variance of the uniform mixture of the
    T Gaussians. Parameters as :func:`epistemic_variance` (``log_vars`` required).

    Returns
    -------
    scores : ndarray of float64, shape (N,)
        Predictive variance, in target units squared.
    """
    means, log_vars = check_regression(means, log_vars)
    return epistemic_variance(means, log_vars, chunk=chunk) + aleatoric_variance(
        log_vars, chunk=chunk
    )
