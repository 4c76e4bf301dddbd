"""2-D projections (PCA, t-SNE, UMAP) of a feature matrix, and the top-K selection.

Everything is seeded: the same input, parameters and ``random_state`` give the same
coordinates (on the same machine and library versions, with ``n_threads=1``).
umap and openTSNE are imported inside the functions that use them, never at module
import, so that the web process can import this module cheaply.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import time
import warnings
from typing import Any, Literal, NamedTuple

import numpy as np
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_limits

from services.projection.numba_setup import import_umap, numba_cache_dir, use_numba_cache

logger = logging.getLogger(__name__)

Method = Literal["pca", "tsne", "umap"]
TsneBackend = Literal["auto", "opentsne", "sklearn"]
METHODS: tuple[str, ...] = ("pca", "tsne", "umap")
DEFAULT_K = 2048
MIN_POINTS = 3
#: sklearn's Barnes-Hut t-SNE is single-machine O(n log n) but slow: ~1 min at 10k points
#: on these CPUs and > 7 min at 100k. Beyond this size only openTSNE (FFT) is used.
SKLEARN_TSNE_MAX_POINTS = 10_000
#: UMAP uses an exact (BLAS) neighbour search up to this size, pynndescent above it.
EXACT_KNN_MAX_POINTS = 50_000


class ProjectionError(ValueError):
    """The input cannot be projected (too few points, non-finite values, bad option)."""


class Projection(NamedTuple):
    """What :func:`project` returns; unpacks as ``coords, info``.

    Attributes
    ----------
    coords : ndarray, shape (n_points, 2), float32
        The 2-D coordinates, row ``i`` for input row ``i`` (arbitrary units).
    info : dict
        What was done: ``method``, ``implementation``, ``n_points``, ``n_features``,
        ``standardized``, ``reduced_to`` (dimensions after the PCA pre-reduction, or
        None), ``reduced_variance`` (fraction of variance it kept), ``params`` (the
        method's effective parameters), ``random_state``, ``seconds``, ``warnings``.
    """

    coords: np.ndarray
    info: dict[str, Any]


def top_k(scores: np.ndarray, k: int = DEFAULT_K) -> np.ndarray:
    """Indices of the ``k`` highest scores (most uncertain first; ties by lower index).

    Parameters
    ----------
    scores : ndarray, shape (n,)
        Uncertainty scores (higher = more uncertain), finite.
    k : int
        How many; all ``n`` when ``k >= n``.

    Returns
    -------
    ndarray, shape (min(k, n),), int64
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1:
        raise ProjectionError(f"scores must be 1-D, got shape {scores.shape}")
    if k < 1:
        raise ProjectionError(f"k must be at least 1, got {k}")
    if not np.isfinite(scores).all():
        raise ProjectionError(f"{int((~np.isfinite(scores)).sum())} scores are NaN or infinite")
    return np.argsort(-scores, kind="stable")[:k].astype(np.int64)


def project(
    features: np.ndarray,
    method: Method = "umap",
    *,
    random_state: int = 0,
    standardize: bool = False,
    reduce_dims: int | None = 50,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    perplexity: float = 30.0,
    tsne_backend: TsneBackend = "auto",
    n_threads: int = 1,
    numba_cache: str | os.PathLike[str] | None = None,
) -> Projection:
    """Project the rows of ``features`` to 2-D.

    Parameters
    ----------
    features : ndarray, shape (n_points, n_features)
        One row per spectrum: a network embedding ``[K, D]`` or the flux ``[K, n_pix]``.
        Must be finite; at least 3 rows.
    method : {"pca", "tsne", "umap"}
        PCA (sklearn), t-SNE (openTSNE when installed, else sklearn up to
        :data:`SKLEARN_TSNE_MAX_POINTS`) or UMAP (umap-learn).
    random_state : int
        Seed of every random choice.
    standardize : bool
        Scale each feature to zero mean and unit variance first (constant features are
        only centred). Useful for flux, where a few strong lines would dominate.
    reduce_dims : int or None
        For t-SNE and UMAP, reduce to this many dimensions with PCA first when there
        are more features; None disables it. Ignored by PCA.
    n_neighbors, min_dist : int, float
        UMAP's neighbourhood size (capped at ``n_points - 1``) and minimum distance.
    perplexity : float
        t-SNE perplexity (capped at ``(n_points - 1) / 3``).
    tsne_backend : {"auto", "opentsne", "sklearn"}
        Which t-SNE; "auto" prefers openTSNE.
    n_threads : int
        Threads for BLAS, openTSNE and numba. Results are reproducible with 1.
    numba_cache : str or os.PathLike, optional
        A persistent directory for numba's compiled code (UMAP and pynndescent); see
        :func:`services.projection.use_numba_cache`. Give it before the first UMAP in
        the process to have any effect.

    Returns
    -------
    Projection
        ``coords`` of shape (n_points, 2), float32, and ``info``.

    Raises
    ------
    ProjectionError
        For fewer than 3 rows, non-finite values, a non-2-D array, an unknown method or
        backend, or sklearn t-SNE asked for more than its size limit.
    """
    if method not in METHODS:
        raise ProjectionError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if tsne_backend not in ("auto", "opentsne", "sklearn"):
        raise ProjectionError(f"unknown t-SNE backend {tsne_backend!r}")
    if numba_cache is not None:
        use_numba_cache(numba_cache)
    start = time.perf_counter()
    x = _validated(features)
    info: dict[str, Any] = {"method": method, "n_points": x.shape[0], "n_features": x.shape[1]}
    info["random_state"] = random_state
    with threadpool_limits(limits=n_threads), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x = _prepare(x, method, standardize, reduce_dims, random_state, info)
        if method == "pca":
            coords = _pca(x, random_state, info)
        elif method == "tsne":
            coords = _tsne(x, perplexity, tsne_backend, random_state, n_threads, info)
        else:
            coords = _umap(x, n_neighbors, min_dist, random_state, n_threads, info)
    info["warnings"] = sorted({str(w.message) for w in caught})
    for message in info["warnings"]:
        logger.info("%s: %s", method, message)
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    if coords.shape != (x.shape[0], 2) or not np.isfinite(coords).all():
        raise ProjectionError(f"{method} produced no finite 2-D coordinates for this input")
    info["seconds"] = round(time.perf_counter() - start, 3)
    return Projection(coords, info)


def _validated(features: np.ndarray) -> np.ndarray:
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2:
        raise ProjectionError(f"features must be 2-D (n_points, n_features), got {x.shape}")
    if x.shape[0] < MIN_POINTS:
        raise ProjectionError(f"at least {MIN_POINTS} points are needed, got {x.shape[0]}")
    if x.shape[1] < 1:
        raise ProjectionError("features have no columns")
    bad_rows = ~np.isfinite(x).all(axis=1)
    if bad_rows.any():
        first = int(np.flatnonzero(bad_rows)[0])
        raise ProjectionError(
            f"{int(bad_rows.sum())} rows contain NaN or infinite values (first: row {first})"
        )
    return x


def _prepare(
    x: np.ndarray,
    method: str,
    standardize: bool,
    reduce_dims: int | None,
    seed: int,
    info: dict[str, Any],
) -> np.ndarray:
    """Optional standardisation, then (t-SNE/UMAP) the PCA pre-reduction."""
    info["standardized"] = standardize
    if standardize:
        std = x.std(axis=0)
        x = (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)
    info["reduced_to"], info["reduced_variance"] = None, None
    if method != "pca" and reduce_dims is not None:
        if reduce_dims < 2:
            raise ProjectionError(f"reduce_dims must be at least 2, got {reduce_dims}")
        n_components = min(reduce_dims, x.shape[0])
        if x.shape[1] > n_components:
            pca = PCA(n_components=n_components, random_state=seed)
            x = pca.fit_transform(x)  # [n, reduce_dims]
            info["reduced_to"] = n_components
            info["reduced_variance"] = round(float(pca.explained_variance_ratio_.sum()), 6)
    return x


def _pca(x: np.ndarray, seed: int, info: dict[str, Any]) -> np.ndarray:
    n_components = min(2, x.shape[1])
    pca = PCA(n_components=n_components, random_state=seed)
    coords = pca.fit_transform(x)  # [n, n_components]
    if n_components < 2:  # a single feature: the second axis is empty
        coords = np.column_stack([coords, np.zeros(len(coords))])
    info["implementation"] = f"scikit-learn {_version('scikit-learn')} PCA"
    info["params"] = {
        "explained_variance_ratio": [round(float(v), 6) for v in pca.explained_variance_ratio_]
    }
    return coords


def _tsne(
    x: np.ndarray,
    perplexity: float,
    backend: str,
    seed: int,
    n_threads: int,
    info: dict[str, Any],
) -> np.ndarray:
    perplexity = float(min(perplexity, max(1.0, (x.shape[0] - 1) / 3)))
    use_opentsne = backend == "opentsne" or (backend == "auto" and _has_opentsne())
    if use_opentsne:
        info["implementation"] = f"openTSNE {_version('openTSNE')}"
        info["params"] = {"perplexity": perplexity}
        return _opentsne(x, perplexity, seed, n_threads)
    if x.shape[0] > SKLEARN_TSNE_MAX_POINTS:
        raise ProjectionError(
            f"sklearn t-SNE is limited to {SKLEARN_TSNE_MAX_POINTS} points here "
            f"(got {x.shape[0]}); install openTSNE or use UMAP"
        )
    from sklearn.manifold import TSNE

    perplexity = min(perplexity, x.shape[0] - 1.0 - 1e-6)  # sklearn: perplexity < n
    tsne = TSNE(perplexity=perplexity, init="pca", random_state=seed, n_jobs=n_threads)
    info["implementation"] = f"scikit-learn {_version('scikit-learn')} TSNE"
    info["params"] = {"perplexity": perplexity}
    return tsne.fit_transform(x)


def _opentsne(x: np.ndarray, perplexity: float, seed: int, n_threads: int) -> np.ndarray:
    """openTSNE with the neighbour index chosen here, as openTSNE's "auto" would.

    openTSNE's own choice imports pynndescent just to see whether it is installed, which
    compiles its numba code: ~25 s on a cold numba cache, for an index it does not use
    with the euclidean metric.
    """
    from openTSNE import TSNE, affinity, nearest_neighbors

    k = min(x.shape[0] - 1, int(3 * perplexity))
    index_class = nearest_neighbors.Sklearn if x.shape[0] < 1000 else nearest_neighbors.Annoy
    index = index_class(x, k, metric="euclidean", n_jobs=n_threads, random_state=seed)
    affinities = affinity.PerplexityBasedNN(
        perplexity=perplexity, knn_index=index, n_jobs=n_threads, random_state=seed
    )
    tsne = TSNE(n_jobs=n_threads, random_state=seed)
    return np.asarray(tsne.fit(x, affinities=affinities, initialization="pca"))


def _umap(
    x: np.ndarray,
    n_neighbors: int,
    min_dist: float,
    seed: int,
    n_threads: int,
    info: dict[str, Any],
) -> np.ndarray:
    umap = import_umap()
    import numba

    numba.set_num_threads(max(1, min(n_threads, numba.config.NUMBA_NUM_THREADS)))
    n_neighbors = int(max(2, min(n_neighbors, x.shape[0] - 1)))
    # init="spectral" needs a graph larger than the embedding; tiny inputs use random init.
    init = "spectral" if x.shape[0] > 10 else "random"
    knn = _exact_knn(x, n_neighbors) if x.shape[0] <= EXACT_KNN_MAX_POINTS else None
    reducer = umap.UMAP(
        n_neighbors=n_neighbors,
        min_dist=min_dist,
        init=init,
        random_state=seed,
        n_jobs=1,  # a random_state forces 1 anyway; saying so avoids umap's warning
        precomputed_knn=knn or (None, None, None),
    )
    with warnings.catch_warnings():
        # Only transform() needs an NNDescent index; projection never calls it.
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
        coords = reducer.fit_transform(x.astype(np.float32))
    info["implementation"] = f"umap-learn {_version('umap-learn')}"
    info["params"] = {"n_neighbors": n_neighbors, "min_dist": min_dist, "init": init}
    info["params"]["neighbors"] = "exact (scikit-learn)" if knn else "pynndescent"
    cache = numba_cache_dir()
    info["numba_cache_dir"] = str(cache) if cache else None
    return coords


def _exact_knn(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, None]:
    """Exact k nearest neighbours (each point first), as umap's ``precomputed_knn``.

    umap's own path below 4096 points calls its numba distance once per pair from
    Python (12 s at 2048 points); above, pynndescent costs ~25 s of compilation on a
    cold numba cache. A BLAS brute-force search takes well under a second at 20k points.
    """
    from sklearn.neighbors import NearestNeighbors

    distances, indices = NearestNeighbors(n_neighbors=k).fit(x).kneighbors(x)  # [n, k] each
    return indices.astype(np.int32), distances.astype(np.float32), None


def _has_opentsne() -> bool:
    try:
        import openTSNE  # noqa: F401
    except ImportError:
        return False
    return True


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def project_top_k(
    features: np.ndarray,
    scores: np.ndarray,
    method: Method = "umap",
    k: int = DEFAULT_K,
    **options: Any,
) -> tuple[np.ndarray, Projection]:
    """Project the ``k`` most uncertain rows of ``features``.

    Parameters
    ----------
    features : ndarray, shape (n, n_features)
        All rows (a memory map is fine: only the selected rows are read).
    scores : ndarray, shape (n,)
        Uncertainty per row, higher = more uncertain.
    method : {"pca", "tsne", "umap"}
    k : int
        How many rows (default 2048).
    **options
        Passed to :func:`project`.

    Returns
    -------
    indices : ndarray, shape (K,), int64
        The selected rows of ``features``, most uncertain first.
    projection : Projection
        Coordinates of those rows, in the order of ``indices``.
    """
    if len(scores) != len(features):
        raise ProjectionError(f"{len(scores)} scores for {len(features)} rows of features")
    indices = top_k(scores, k)
    return indices, project(
        np.asarray(features[np.sort(indices)])[_order(indices)], method, **options
    )


def _order(indices: np.ndarray) -> np.ndarray:
    """Positions that put rows read in sorted-index order back into ``indices`` order."""
    return np.argsort(np.argsort(indices, kind="stable"), kind="stable")
