"""TypiClust: the first spectra to label, by typicality and diversity, without a model.

Hacohen, Dekel & Weinshall (2022), "Active learning on a budget: opposite strategies suit
high and low budgets" (ICML). With few or no labels the most useful spectra are the *typical*
ones of *different* regions of the feature space: cluster the pool into (labelled + budget)
clusters with k-means, and from each of the largest clusters that holds no labelled point
take its most typical point, where the typicality of a point is the inverse of its mean
distance to its ``k`` (20) nearest neighbours within its cluster.

As in the authors' implementation, at most :data:`MAX_CLUSTERS` clusters are made (or the
budget, if larger), clusters smaller than ``min_cluster_size`` (5) are taken
only when no bigger cluster is left, and once every cluster holds a labelled or chosen
point the next choice is from the cluster holding fewest (then the largest). Typicality of a
cluster bigger than ``max_typicality_points`` is measured on a seeded random subset of it
(the nearest-neighbour search is quadratic in the cluster's size).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.neighbors import NearestNeighbors

#: Neighbours of the typicality measure (the paper's k).
K_NEIGHBOURS = 20
#: Clusters smaller than this are taken last (the paper's MIN_CLUSTER_SIZE).
MIN_CLUSTER_SIZE = 5
#: At most this many clusters (or the budget, if larger): with many labels, (labelled +
#: budget) clusters would cost k-means dearly (the authors' MAX_NUM_CLUSTERS).
MAX_CLUSTERS = 500
#: Above this many points MiniBatchKMeans clusters the pool instead of KMeans.
MINIBATCH_FROM = 20_000
#: Typicality of a bigger cluster is measured on a random subset of this many points.
MAX_TYPICALITY_POINTS = 10_000


@dataclass(frozen=True)
class Proposal:
    """The spectra TypiClust proposes, in proposal order.

    Attributes
    ----------
    rows : ndarray of int64, shape (m,)
        Indices into the features, first proposed first (m <= budget).
    typicality : ndarray of float64, shape (m,)
        Each one's typicality within its cluster (1 / mean distance to its neighbours).
    clusters : ndarray of int64, shape (m,)
        The k-means cluster each one was taken from.
    n_clusters : int
        How many clusters the pool was split into.
    labels : ndarray of int64, shape (n,)
        The cluster of every row of the features.
    """

    rows: np.ndarray
    typicality: np.ndarray
    clusters: np.ndarray
    n_clusters: int
    labels: np.ndarray


def typicality(features: np.ndarray, k: int = K_NEIGHBOURS) -> np.ndarray:
    """1 / (mean Euclidean distance to the ``k`` nearest other points), per point.

    With a single point, its typicality is 1 (there is nothing to compare with).
    """
    n = features.shape[0]
    if n <= 1:
        return np.ones(n)
    k = min(k, n - 1)
    distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(features).kneighbors(features)
    # column 0 is the point itself (or a duplicate of it: both are at distance 0)
    return 1.0 / (distances[:, 1:].mean(axis=1) + 1e-5)


def cluster(features: np.ndarray, n_clusters: int, seed: int = 0) -> np.ndarray:
    """k-means cluster labels of ``features`` (MiniBatchKMeans for big pools), seeded."""
    if n_clusters <= 1:
        return np.zeros(features.shape[0], dtype=np.int64)
    if features.shape[0] >= MINIBATCH_FROM:
        model = MiniBatchKMeans(
            n_clusters=n_clusters,
            random_state=seed,
            batch_size=max(1024, 3 * n_clusters),
            n_init=3,
        )
    else:
        model = KMeans(n_clusters=n_clusters, random_state=seed, n_init=1)
    return model.fit_predict(features).astype(np.int64)


def typiclust(
    features: np.ndarray,
    budget: int,
    labelled: Sequence[int] | np.ndarray = (),
    *,
    k_neighbours: int = K_NEIGHBOURS,
    min_cluster_size: int = MIN_CLUSTER_SIZE,
    max_typicality_points: int = MAX_TYPICALITY_POINTS,
    seed: int = 0,
) -> Proposal:
    """Choose ``budget`` rows of ``features`` to label next.

    Parameters
    ----------
    features : ndarray, shape (n, d)
        The pool's features (e.g. a pretrained embedding), labelled rows included.
    budget : int
        How many rows to choose; fewer come back when fewer rows are unlabelled.
    labelled : sequence of int
        Rows already labelled: never chosen, and their clusters are covered.
    k_neighbours, min_cluster_size, max_typicality_points, seed
        See the module's docstring; the same seed gives the same proposal.

    Returns
    -------
    Proposal
    """
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"features must be 2-D (spectra x features), not {x.ndim}-D")
    n = x.shape[0]
    taken = np.zeros(n, dtype=bool)
    known = np.unique(np.asarray(labelled, dtype=np.int64))
    if known.size and (known.min() < 0 or known.max() >= n):
        raise ValueError("a labelled row is outside the features")
    taken[known] = True
    budget = int(min(max(budget, 0), n - known.size))
    empty = np.zeros(0, dtype=np.int64)
    if budget == 0:
        return Proposal(empty, np.zeros(0), empty, 0, np.zeros(n, dtype=np.int64))
    if not np.isfinite(x).all():
        raise ValueError("the features have NaN or infinite values")
    distinct = np.unique(x, axis=0).shape[0]  # k-means cannot make more clusters than that
    n_clusters = int(min(known.size + budget, max(MAX_CLUSTERS, budget), distinct))
    labels = cluster(x, n_clusters, seed)
    sizes = np.bincount(labels, minlength=n_clusters)
    # how many labelled or chosen points each cluster holds
    held = np.bincount(labels[known], minlength=n_clusters).astype(np.int64)
    rng = np.random.default_rng(seed)
    typical: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    rows, scores, origins = [], [], []
    while len(rows) < budget:
        free = np.bincount(labels[~taken], minlength=n_clusters)
        open_ = np.flatnonzero(free > 0)
        # fewest held first, big clusters before tiny ones, then the largest, then the index
        order = np.lexsort((open_, -sizes[open_], sizes[open_] < min_cluster_size, held[open_]))
        chosen = int(open_[order[0]])
        if chosen not in typical:
            members = np.flatnonzero(labels == chosen)
            if members.size > max_typicality_points:
                members = np.sort(rng.choice(members, max_typicality_points, replace=False))
            typical[chosen] = (members, typicality(x[members], k_neighbours))
        members, values = typical[chosen]
        values = np.where(taken[members], -np.inf, values)
        best = int(np.argmax(values))
        if not np.isfinite(values[best]):  # the subset is used up: measure the rest
            rest = np.flatnonzero((labels == chosen) & ~taken)
            typical[chosen] = (rest, typicality(x[rest], k_neighbours))
            continue
        row = int(members[best])
        taken[row] = True
        held[chosen] += 1
        rows.append(row)
        scores.append(float(values[best]))
        origins.append(chosen)
    return Proposal(
        np.array(rows, dtype=np.int64),
        np.array(scores, dtype=np.float64),
        np.array(origins, dtype=np.int64),
        n_clusters,
        labels,
    )
