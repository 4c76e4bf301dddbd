"""The acquisition methods job parameters can name, and the one entry point, :func:`select`.

>>> import numpy as np
>>> from services.acquisition import select
>>> rng = np.random.default_rng(0)
>>> logits = rng.normal(size=(20, 100, 3))  # T=20 samples, N=100 items, C=3 classes
>>> log_probs = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
>>> indices, scores = select("bald", log_probs, k=5, rng=0)
>>> indices.shape, scores.shape
((5,), (5,))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from services.acquisition import regression, scores
from services.acquisition.batchbald import batchbald
from services.acquisition.discovery import balanced, discovery
from services.acquisition.diversity import kcenter_greedy, kmeanspp_weighted
from services.acquisition.stochastic import powerbald
from services.acquisition.validation import (
    DEFAULT_CHUNK,
    as_rng,
    check_chunk,
    check_embedding,
    check_k,
    check_log_probs,
    check_regression,
)


@dataclass(frozen=True)
class Pool:
    """What a method may read about the pool; see :func:`select` for shapes."""

    log_probs: np.ndarray | None
    means: np.ndarray | None
    log_vars: np.ndarray | None
    embedding: np.ndarray | None
    chunk: int


# (pool, k, rng, **options) -> (indices[k], scores[k])
Runner = Callable[..., tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Method:
    """One named acquisition method.

    Attributes
    ----------
    name : str
        The name job parameters use.
    needs : {"log_probs", "regression", "any"}
        ``log_probs[T, N, C]`` (classification), ``means`` and ``log_vars`` ``[T, N]``
        (regression), or any per-item array (``random`` only needs the pool size).
    needs_embedding : bool
        Whether ``embedding[N, D]`` is required.
    options : tuple of str
        Extra keyword arguments :func:`select` passes on.
    summary : str
        One line for forms and documentation.
    """

    name: str
    needs: Literal["log_probs", "regression", "any"]
    needs_embedding: bool
    options: tuple[str, ...]
    summary: str
    run: Runner


def _ranked(per_item: Callable[[Pool], np.ndarray]) -> Runner:
    """A method that takes the top k of a per-item score."""

    def run(pool: Pool, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        item_scores = per_item(pool)  # [N]
        indices = scores.top_k(item_scores, k)
        return indices, item_scores[indices]

    return run


def _random(pool: Pool, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    item_scores = scores.random_scores(_pool_size(pool), rng)  # [N]
    indices = scores.top_k(item_scores, k)
    return indices, item_scores[indices]


def _batchbald(
    pool: Pool, k: int, rng: np.random.Generator, **options: Any
) -> tuple[np.ndarray, np.ndarray]:
    return batchbald(pool.log_probs, k, rng=rng, chunk=pool.chunk, **options)


def _powerbald(
    pool: Pool, k: int, rng: np.random.Generator, **options: Any
) -> tuple[np.ndarray, np.ndarray]:
    return powerbald(pool.log_probs, k, rng=rng, chunk=pool.chunk, **options)


def _discovery(
    pool: Pool, k: int, rng: np.random.Generator, **options: Any
) -> tuple[np.ndarray, np.ndarray]:
    if "target_class" not in options:
        raise ValueError("method 'discovery' needs the option target_class, a class index")
    return discovery(pool.log_probs, k, chunk=pool.chunk, **options)


def _balanced(pool: Pool, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return balanced(pool.log_probs, k, chunk=pool.chunk)


def _diverse(spread: Callable[..., np.ndarray], seeded: bool) -> Runner:
    """A method that spreads BALD's best items out in the embedding with ``spread``."""

    def run(
        pool: Pool, k: int, rng: np.random.Generator, **options: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        item_scores = scores.bald(pool.log_probs, chunk=pool.chunk)  # [N]
        extra = {"rng": rng} if seeded else {}
        indices = spread(pool.embedding, item_scores, k, **extra, **options)
        return indices, item_scores[indices]

    return run


def _on_log_probs(scorer: Callable[..., np.ndarray]) -> Runner:
    """Top k of ``scorer(log_probs, chunk=...)``."""
    return _ranked(lambda pool: scorer(pool.log_probs, chunk=pool.chunk))


def _on_gaussians(scorer: Callable[..., np.ndarray]) -> Runner:
    """Top k of ``scorer(means, log_vars, chunk=...)``."""
    return _ranked(lambda pool: scorer(pool.means, pool.log_vars, chunk=pool.chunk))


_LOG_PROBS, _REGRESSION, _ANY = "log_probs", "regression", "any"
_KCENTER, _KMEANSPP = _diverse(kcenter_greedy, seeded=False), _diverse(kmeanspp_weighted, True)

METHODS: dict[str, Method] = {
    method.name: method
    for method in [
        # name, needs, needs_embedding, options, summary, run
        Method("bald", _LOG_PROBS, False, (), "mutual information (BALD), top k",
               _on_log_probs(scores.bald)),
        Method("entropy", _LOG_PROBS, False, (), "entropy of the mean prediction, top k",
               _on_log_probs(scores.max_entropy)),
        Method("variation_ratios", _LOG_PROBS, False, (),
               "1 - fraction of the T votes for the modal class, top k",
               _on_log_probs(scores.variation_ratios)),
        Method("mean_std", _LOG_PROBS, False, (),
               "mean over classes of the std over samples of p, top k",
               _on_log_probs(scores.mean_std)),
        Method("random", _ANY, False, (), "uniformly random batch", _random),
        Method("batchbald", _LOG_PROBS, False, ("n_samples",),
               "greedy joint mutual information (BatchBALD)", _batchbald),
        Method("powerbald", _LOG_PROBS, False, ("beta",),
               "drawn with probability proportional to BALD ** beta", _powerbald),
        Method("bald_kcenter", _LOG_PROBS, True, ("n_candidates",),
               "k-center greedy in the embedding among the best by BALD", _KCENTER),
        Method("bald_kmeanspp", _LOG_PROBS, True, ("n_candidates",),
               "k-means++ seeding weighted by BALD in the embedding", _KMEANSPP),
        Method("discovery", _LOG_PROBS, False, ("target_class", "bald_weight"),
               "most likely members of a target class (plus a weight times BALD), top k",
               _discovery),
        Method("balanced", _LOG_PROBS, False, (),
               "k split evenly over the predicted classes, top by BALD within each",
               _balanced),
        Method("epistemic_variance", _REGRESSION, False, (),
               "variance over samples of the predicted means, top k",
               _on_gaussians(regression.epistemic_variance)),
        Method("predictive_variance", _REGRESSION, False, (),
               "epistemic plus mean predicted (aleatoric) variance, top k",
               _on_gaussians(regression.predictive_variance)),
    ]
}  # fmt: skip


# The methods whose batch is the top k of a per-item score: a pool scored in parts (shards)
# can be merged exactly, by ranking the parts' scores together.
RANKED = frozenset(
    {"bald", "entropy", "variation_ratios", "mean_std", "random"}
    | {"epistemic_variance", "predictive_variance"}
)


def _pool_size(pool: Pool) -> int:
    """N, from whichever per-item array the pool has."""
    for array, pool_axis in ((pool.log_probs, 1), (pool.means, 1), (pool.embedding, 0)):
        if array is not None and np.ndim(array) > pool_axis:
            n_pool = int(np.shape(array)[pool_axis])
            if n_pool == 0:
                raise ValueError("the pool is empty")
            return n_pool
    raise ValueError("random selection needs log_probs, means or an embedding to size the pool")


def _check_pool(method: Method, pool: Pool) -> int:
    """Fail early, naming the method, on missing or malformed inputs; returns N."""
    if method.needs == "log_probs":
        if pool.log_probs is None:
            raise ValueError(f"method {method.name!r} needs log_probs, shape (T, N, C)")
        check_log_probs(pool.log_probs)
    elif method.needs == "regression":
        if pool.means is None or pool.log_vars is None:
            raise ValueError(f"method {method.name!r} needs means and log_vars, shape (T, N)")
        check_regression(pool.means, pool.log_vars)
    n_pool = _pool_size(pool)
    if method.needs_embedding:
        if pool.embedding is None:
            raise ValueError(f"method {method.name!r} needs an embedding, shape (N, D)")
        check_embedding(pool.embedding, n_pool)
    return n_pool


def _method(name: str, options: dict[str, Any]) -> Method:
    """The registered method ``name``, if it takes all of ``options``."""
    spec = METHODS.get(name)
    if spec is None:
        raise ValueError(f"unknown acquisition method {name!r}; known: {', '.join(METHODS)}")
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        raise ValueError(f"method {name!r} takes no option {', '.join(map(repr, unknown))}")
    return spec


def select(
    method: str,
    log_probs: np.ndarray | None = None,
    *,
    k: int,
    rng: np.random.Generator | int,
    embedding: np.ndarray | None = None,
    means: np.ndarray | None = None,
    log_vars: np.ndarray | None = None,
    chunk: int = DEFAULT_CHUNK,
    **options: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Choose ``k`` pool items to label with the acquisition method named ``method``.

    Parameters
    ----------
    method : str
        A key of :data:`METHODS`.
    log_probs : ndarray, shape (T, N, C), optional
        Natural-log class probabilities of T Monte-Carlo dropout samples (consistent
        masks across items) for N pool items; classification methods.
    k : int
        Batch size, >= 1, clipped to N.
    rng : numpy.random.Generator or int
        Seeds every random choice; deterministic methods ignore it.
    embedding : ndarray, shape (N, D), optional
        Feature vectors, for ``bald_kcenter`` and ``bald_kmeanspp``.
    means, log_vars : ndarray, shape (T, N), optional
        Predicted Gaussian means (target units) and natural-log variances; regression.
    chunk : int
        Pool items processed at a time: bounds memory; per-item scores do not change.
    **options
        The method's own (:attr:`Method.options`): ``n_samples`` (batchbald), ``beta``
        (powerbald), ``n_candidates`` (bald_kcenter, bald_kmeanspp),
        ``target_class`` (discovery: the index of the class sought, required),
        ``bald_weight`` (discovery: weight of BALD added to the class probability, 0).

    Returns
    -------
    indices : ndarray of int64, shape (min(k, N),)
        Distinct pool items, best or first chosen first.
    scores : ndarray of float64, shape (min(k, N),)
        Each chosen item's score (nats; target units squared for regression; the
        batch's joint mutual information so far for ``batchbald``; the mean probability
        of the target class, plus the weighted BALD, for ``discovery``).

    Raises
    ------
    ValueError
        Unknown method or option, missing or malformed inputs, an empty pool.
    """
    spec = _method(method, options)
    pool = Pool(log_probs, means, log_vars, embedding, check_chunk(chunk))
    k = check_k(k, _check_pool(spec, pool))
    return spec.run(pool, k, as_rng(rng), **options)
