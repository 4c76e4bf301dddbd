"""Top-k with diversity: spread a batch of high-scoring items out in an embedding.

Both functions first keep the ``n_candidates`` best items by score (default ``10 * k``)
so that their cost is ``O(n_candidates * k * D)`` whatever the pool size, then:

- :func:`kcenter_greedy` (core-set, Sener & Savarese 2018): start from the best item
  and repeatedly add the candidate farthest (Euclidean) from everything chosen;
  deterministic.
- :func:`kmeanspp_weighted` (k-means++ seeding, Arthur & Vassilvitskii 2007, as BADGE
  uses it, Ash et al. 2020): draw each next item with probability proportional to
  ``score * d^2``, d the distance to the nearest chosen item; seeded.

``embedding[N, D]`` is any per-item feature vector (penultimate-layer activations, a
UMAP projection), in its own units; only candidate rows are read (memory maps welcome).
"""

from __future__ import annotations

import numpy as np

from services.acquisition.scores import top_k
from services.acquisition.validation import (
    as_rng,
    check_embedding,
    check_k,
    check_positive_int,
    embedding_rows,
)


def _candidates(
    scores: np.ndarray, k: int, n_candidates: int | None
) -> tuple[np.ndarray, int, np.ndarray]:
    """The best ``n_candidates`` pool items by score (best first), and k clipped to them."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1 or not np.isfinite(scores).all():
        raise ValueError("scores must be a finite 1-d array, shape (N,)")
    k = check_k(k, scores.shape[0])
    n_candidates = 10 * k if n_candidates is None else n_candidates
    n_candidates = check_positive_int("n_candidates", n_candidates)
    candidates = top_k(scores, max(n_candidates, k))  # [M]
    return candidates, k, scores


def _squared_distances(points: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances from ``points[M, D]`` to ``centre[D]``, shape (M,)."""
    diff = points - centre  # [M, D] - [D] -> [M, D]
    return np.einsum("md,md->m", diff, diff)  # [M]


def kcenter_greedy(
    embedding: np.ndarray, scores: np.ndarray, k: int, *, n_candidates: int | None = None
) -> np.ndarray:
    """k-center greedy (core-set) among the ``n_candidates`` best items by score.

    Parameters
    ----------
    embedding : ndarray, shape (N, D)
        Feature vector of each pool item.
    scores : ndarray, shape (N,)
        Acquisition scores, higher = better; the first pick is the best item.
    k : int
        Batch size, clipped to N.
    n_candidates : int, optional
        How many of the best items to choose from (default ``10 * k``, at least k).

    Returns
    -------
    indices : ndarray of int64, shape (k,)
        In the order chosen: each the candidate farthest from those before it (ties to
        the higher score).
    """
    candidates, k, _ = _candidates(scores, k, n_candidates)
    points = embedding_rows(check_embedding(embedding, len(scores)), candidates)  # [M, D]
    chosen = [0]  # positions in `candidates`; the best item first
    nearest = _squared_distances(points, points[0])  # [M]
    for _ in range(k - 1):
        nearest[chosen] = -1.0  # never again, even when every distance is 0
        pick = int(np.argmax(nearest))
        chosen.append(pick)
        nearest = np.minimum(nearest, _squared_distances(points, points[pick]))
    return candidates[chosen]


def kmeanspp_weighted(
    embedding: np.ndarray,
    scores: np.ndarray,
    k: int,
    *,
    rng: np.random.Generator | int,
    n_candidates: int | None = None,
) -> np.ndarray:
    """k-means++ seeding weighted by score among the ``n_candidates`` best items.

    The first item is drawn with probability proportional to its score, each next one
    proportional to ``score * d^2``. When every remaining weight is 0 (duplicates, zero
    scores) the draw falls back to ``score``, then to uniform, over unchosen candidates.

    Parameters
    ----------
    embedding : ndarray, shape (N, D)
        Feature vector of each pool item.
    scores : ndarray, shape (N,)
        Non-negative acquisition scores.
    k : int
        Batch size, clipped to N.
    rng : numpy.random.Generator or int
        Seeds the draws.
    n_candidates : int, optional
        How many of the best items to choose from (default ``10 * k``, at least k).

    Returns
    -------
    indices : ndarray of int64, shape (k,)
        Distinct pool items, in the order drawn.
    """
    candidates, k, scores = _candidates(scores, k, n_candidates)
    if (scores < 0).any():
        raise ValueError("k-means++ weighting needs non-negative scores")
    points = embedding_rows(check_embedding(embedding, len(scores)), candidates)  # [M, D]
    weights = scores[candidates]  # [M]
    rng = as_rng(rng)
    nearest = np.full(len(candidates), np.inf)  # [M]: squared distance to the chosen set
    available = np.ones(len(candidates), dtype=bool)  # [M]
    chosen: list[int] = []
    for _ in range(k):
        pick = _draw(weights * np.where(np.isinf(nearest), 1.0, nearest), weights, available, rng)
        chosen.append(pick)
        available[pick] = False
        nearest = np.minimum(nearest, _squared_distances(points, points[pick]))
    return candidates[chosen]


def _draw(
    mass: np.ndarray, weights: np.ndarray, available: np.ndarray, rng: np.random.Generator
) -> int:
    """One position drawn ∝ ``mass`` among ``available``; falls back to weights, uniform."""
    for p in (mass, weights, np.ones_like(weights)):
        p = np.where(available, p, 0.0)  # [M]
        total = p.sum()
        if total > 0 and np.isfinite(total):
            return int(rng.choice(p.size, p=p / total))
    raise AssertionError("unreachable: some candidate is always available")
