"""PowerBALD draws, and spreading a batch out in an embedding (k-center, k-means++)."""

from __future__ import annotations

import numpy as np
import pytest

from services.acquisition import (
    bald,
    kcenter_greedy,
    kmeanspp_weighted,
    power_sample,
    powerbald,
    select,
)


def test_powerbald_is_reproducible_with_a_seed(make_log_probs):
    log_probs = make_log_probs(8, 200, 4)
    first = powerbald(log_probs, 10, rng=11)
    np.testing.assert_array_equal(first[0], powerbald(log_probs, 10, rng=11)[0])
    assert not np.array_equal(first[0], powerbald(log_probs, 10, rng=12)[0])
    np.testing.assert_array_equal(first[1], bald(log_probs)[first[0]])
    assert len(set(first[0].tolist())) == 10


def test_power_sampling_favours_high_scores():
    scores = np.full(1000, 1e-4)
    scores[:10] = 1.0  # ten items hold ~99 % of the mass
    picks = power_sample(scores, 10, rng=0)
    assert np.sum(picks < 10) >= 8


def test_power_sampling_draws_in_proportion_to_score_to_the_beta():
    scores = np.array([1.0, 2.0, 3.0, 4.0])
    rng = np.random.default_rng(0)
    firsts = [power_sample(scores, 1, rng=rng)[0] for _ in range(4000)]
    np.testing.assert_allclose(np.bincount(firsts) / 4000, scores / 10, atol=0.025)
    squared = [power_sample(scores, 1, rng=rng, beta=2.0)[0] for _ in range(4000)]
    np.testing.assert_allclose(np.bincount(squared) / 4000, scores**2 / 30, atol=0.025)


def _two_clusters(n_per_cluster: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """An embedding [2n, 2] with clusters at (0, 0) and (10, 10); cluster A scores higher."""
    rng = np.random.default_rng(0)
    embedding = np.concatenate(
        [rng.normal(0, 0.1, (n_per_cluster, 2)), rng.normal(10, 0.1, (n_per_cluster, 2))]
    )
    scores = np.concatenate([rng.uniform(0.8, 1.0, n_per_cluster), rng.uniform(0.5, 0.7, 20)])
    return embedding, scores


def test_kcenter_takes_one_item_from_each_of_two_clusters():
    embedding, scores = _two_clusters()
    indices = kcenter_greedy(embedding, scores, 2, n_candidates=40)
    assert indices[0] == np.argmax(scores)
    assert indices[1] >= 20  # the other cluster, although every item there scores lower


def test_kcenter_only_looks_at_the_best_candidates():
    embedding, scores = _two_clusters()
    embedding = np.concatenate([embedding, [[1000.0, 1000.0]]])  # far away, worst score
    scores = np.append(scores, 0.01)
    indices = kcenter_greedy(embedding, scores, 3, n_candidates=40)
    assert 40 not in indices
    assert 40 in kcenter_greedy(embedding, scores, 3, n_candidates=41)


@pytest.mark.parametrize("seed", range(5))
def test_kmeanspp_takes_one_item_from_each_cluster_and_is_seeded(seed):
    embedding, scores = _two_clusters()
    indices = kmeanspp_weighted(embedding, scores, 2, rng=seed, n_candidates=40)
    assert sorted(i >= 20 for i in indices) == [False, True]
    again = kmeanspp_weighted(embedding, scores, 2, rng=seed, n_candidates=40)
    np.testing.assert_array_equal(indices, again)


def test_kmeanspp_still_returns_distinct_items_when_all_points_coincide():
    embedding = np.zeros((6, 3))
    scores = np.array([1.0, 0.0, 1.0, 0.5, 0.0, 0.2])
    indices = kmeanspp_weighted(embedding, scores, 6, rng=0)
    assert sorted(indices.tolist()) == list(range(6))
    assert set(indices[:4].tolist()) == {0, 2, 3, 5}  # zero scores only when nothing is left


def test_diverse_methods_through_select_return_bald_scores(make_log_probs):
    log_probs = make_log_probs(6, 40, 3)
    embedding, _ = _two_clusters()
    for method in ("bald_kcenter", "bald_kmeanspp"):
        indices, scores = select(method, log_probs, k=4, rng=1, embedding=embedding)
        assert len(set(indices.tolist())) == 4
        np.testing.assert_array_equal(scores, bald(log_probs)[indices])
