"""Per-item acquisition scores from Monte-Carlo dropout samples, and top-k selection.

Every scorer takes ``log_probs[T, N, C]`` (T Monte-Carlo dropout samples, N pool items,
C classes; natural-log probabilities, e.g. log-softmax outputs, any float dtype) and
returns ``scores[N]`` in float64, higher = more worth labelling. Entropies are in nats.
The pool is processed ``chunk`` items at a time (see
:func:`services.acquisition.validation.iter_log_prob_chunks`), so peak memory is about
``5 * T * chunk * C * 8`` bytes whatever N is, and each item's score does not depend on
the chunk size.

References: Gal, Islam & Ghahramani 2017 (DBAL); Houlsby et al. 2011 (BALD);
Kampffmeyer et al. 2016 (mean STD).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from services.acquisition.reductions import mean_over_samples, var_over_samples
from services.acquisition.validation import (
    DEFAULT_CHUNK,
    as_rng,
    check_chunk,
    check_k,
    check_log_probs,
    iter_log_prob_chunks,
)

_TINY = np.finfo(np.float64).tiny

# (lp[T, n, C], p[T, n, C]) -> scores[n], all float64
ChunkScorer = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _score_chunks(log_probs: np.ndarray, chunk: int, scorer: ChunkScorer) -> np.ndarray:
    """Apply ``scorer`` to each validated chunk of the pool; ``scores[N]`` in float64."""
    log_probs = check_log_probs(log_probs)
    scores = np.empty(log_probs.shape[1], dtype=np.float64)  # [N]
    for items, lp, p in iter_log_prob_chunks(log_probs, check_chunk(chunk)):
        scores[items] = scorer(lp, p)
    return scores


def _predictive_entropy(p: np.ndarray) -> np.ndarray:
    """Entropy of the mean prediction, ``H[mean_t p]``, shape (n,), from ``p[T, n, C]``."""
    p_mean = mean_over_samples(p)  # [T, n, C] -> [n, C]
    log_p_mean = np.log(np.maximum(p_mean, _TINY))  # [n, C]
    return -np.einsum("nc,nc->n", p_mean, log_p_mean)  # sum over classes -> [n]


def _expected_entropy(lp: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Mean over samples of each sample's entropy, ``mean_t H[p_t]``, shape (n,)."""
    return -mean_over_samples(np.einsum("tnc,tnc->tn", p, lp))  # [T, n, C] -> [T, n] -> [n]


def bald_chunk(lp: np.ndarray, p: np.ndarray) -> np.ndarray:
    """BALD of one chunk: ``lp`` log-probabilities (T, n, C) and ``p`` their exponentials;
    shape (n,), >= 0. The streamed :func:`bald` calls it chunk by chunk."""
    mutual_information = _predictive_entropy(p) - _expected_entropy(lp, p)  # [n]
    return np.maximum(mutual_information, 0.0)  # >= 0 by Jensen; clip rounding


def _entropy_chunk(lp: np.ndarray, p: np.ndarray) -> np.ndarray:
    return _predictive_entropy(p)


def _variation_ratio_chunk(lp: np.ndarray, p: np.ndarray) -> np.ndarray:
    n_samples, n_items, n_class = lp.shape
    votes = lp.argmax(axis=-1)  # [T, n], ties go to the lower class index
    flat = votes + n_class * np.arange(n_items)  # [T, n]: one bin per (item, class)
    counts = np.bincount(flat.ravel(), minlength=n_items * n_class)  # [n * C]
    modal = counts.reshape(n_items, n_class).max(axis=-1)  # [n * C] -> [n, C] -> [n]
    return 1.0 - modal / n_samples


def _mean_std_chunk(lp: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.sqrt(var_over_samples(p)).mean(axis=-1)  # [T, n, C] -> [n, C] -> [n]


def mean_probs(log_probs: np.ndarray, *, chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """The MC-dropout mean prediction ``mean_t p_t``, shape (N, C), float64."""
    log_probs = check_log_probs(log_probs)
    out = np.empty(log_probs.shape[1:], dtype=np.float64)  # [N, C]
    for items, _lp, p in iter_log_prob_chunks(log_probs, check_chunk(chunk)):
        out[items] = mean_over_samples(p)  # [T, n, C] -> [n, C]
    return out


def bald(log_probs: np.ndarray, *, chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """BALD: mutual information between an item's label and the model parameters.

    ``I[y; w] = H[mean_t p_t] - mean_t H[p_t]`` (predictive minus expected entropy),
    in nats, between 0 and ``log C``. Zero when all samples agree, whatever they predict.

    Parameters
    ----------
    log_probs : ndarray, shape (T, N, C)
        Log-probabilities of T Monte-Carlo dropout samples for N items and C classes.
    chunk : int
        Pool items processed at a time.

    Returns
    -------
    scores : ndarray of float64, shape (N,)
        Mutual information in nats.
    """
    return _score_chunks(log_probs, chunk, bald_chunk)


def expected_entropy(log_probs: np.ndarray, *, chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """Mean over samples of each sample's entropy, ``mean_t H[p_t]``, in nats, shape (N,).

    The aleatoric part of the predictive entropy (``max_entropy - bald``); used by
    BatchBALD. Parameters as :func:`bald`.
    """
    return _score_chunks(log_probs, chunk, _expected_entropy)


def max_entropy(log_probs: np.ndarray, *, chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """Max entropy: the entropy of the mean prediction, ``H[mean_t p_t]``, in nats.

    Between 0 and ``log C`` (uniform mean prediction). Parameters as :func:`bald`.
    """
    return _score_chunks(log_probs, chunk, _entropy_chunk)


def variation_ratios(log_probs: np.ndarray, *, chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """Variation ratios from votes, as in DBAL: ``1 - (votes for the modal class) / T``.

    Each of the T samples votes for its most probable class (ties to the lower class
    index); the score is the fraction of votes *not* for the most voted class, between
    0 (all samples agree) and ``1 - 1/C``. With T = 1 every score is 0. This is not
    "least confidence" (``1 - max_c mean_t p``), which is not offered here.
    Parameters as :func:`bald`; scores are dimensionless.
    """
    return _score_chunks(log_probs, chunk, _variation_ratio_chunk)


def mean_std(log_probs: np.ndarray, *, chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """Mean STD: the mean over classes of the standard deviation over samples of p.

    Population standard deviation (``ddof=0``, i.e. ``sqrt(E[p^2] - E[p]^2)`` as in
    Kampffmeyer et al. 2016) of the probabilities, between 0 and 0.5; zero when all
    samples are identical. Parameters as :func:`bald`.
    """
    return _score_chunks(log_probs, chunk, _mean_std_chunk)


def random_scores(n_pool: int, rng: np.random.Generator | int) -> np.ndarray:
    """Uniform random scores in [0, 1), shape (n_pool,): their top k is a random batch."""
    if n_pool < 1:
        raise ValueError("the pool is empty")
    return as_rng(rng).random(n_pool)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first; ties go to the lower index.

    Parameters
    ----------
    scores : ndarray, shape (N,)
        Finite scores.
    k : int
        Batch size, clipped to N.

    Returns
    -------
    indices : ndarray of int64, shape (min(k, N),)
    """
    scores = np.asarray(scores)
    k = check_k(k, scores.shape[0])
    kth = -np.partition(-scores, k - 1)[k - 1]  # the k-th highest score, O(N)
    above = np.flatnonzero(scores > kth)
    tied = np.flatnonzero(scores == kth)[: k - above.size]
    chosen = np.concatenate([above, tied])  # [k]
    return chosen[np.lexsort((chosen, -scores[chosen]))]  # by score desc, then index
