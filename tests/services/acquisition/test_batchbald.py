"""BatchBALD: agrees with BALD for one item, with brute force for small batches, and
avoids asking the same question twice."""

from __future__ import annotations

import itertools

import numpy as np

from services.acquisition import bald, batchbald, expected_entropy, select, top_k


def _joint_mutual_information(log_probs: np.ndarray, items: list[int]) -> float:
    """``I[y_items; w]`` by enumerating every label configuration with itertools."""
    p = np.exp(log_probs[:, items, :])  # [T, b, C]
    _, n_items, n_class = p.shape
    joint_entropy = 0.0
    for labels in itertools.product(range(n_class), repeat=n_items):
        p_config = np.prod(p[:, np.arange(n_items), labels], axis=1).mean()  # mean_t prod_i
        joint_entropy -= p_config * np.log(p_config) if p_config > 0 else 0.0
    return joint_entropy - expected_entropy(log_probs)[items].sum()


def _joint_mutual_information_vectorised(log_probs: np.ndarray, items: list[int]) -> float:
    """The same, as products over items of ``[T, K]`` tables (for ``C**b`` up to ~1e5)."""
    p = np.exp(log_probs[:, items, :])  # [T, b, C]
    table = np.ones((p.shape[0], 1))  # [T, 1]
    for i in range(p.shape[1]):
        table = (table[:, :, None] * p[:, None, i, :]).reshape(p.shape[0], -1)  # [T, K*C]
    p_config = table.mean(axis=0)  # [K]
    joint_entropy = -(p_config * np.log(np.where(p_config > 0, p_config, 1.0))).sum()
    return joint_entropy - expected_entropy(log_probs)[items].sum()


def test_a_batch_of_one_is_balds_argmax_with_its_value(make_log_probs):
    log_probs = make_log_probs(12, 80, 5)
    indices, scores = batchbald(log_probs, 1, rng=0)
    bald_scores = bald(log_probs)
    assert indices.tolist() == [int(np.argmax(bald_scores))]
    np.testing.assert_allclose(scores, [bald_scores.max()], rtol=1e-10)


def test_never_picks_an_item_twice_even_when_taking_the_whole_pool(make_log_probs):
    log_probs = make_log_probs(6, 12, 3, seed=4)
    indices, scores = batchbald(log_probs, 50, rng=0, n_samples=20)
    assert sorted(indices.tolist()) == list(range(12))
    assert np.isfinite(scores).all()


def _smoothed(pattern: list[int], confidence: float) -> np.ndarray:
    """Log-probabilities ``[T, 2]`` of an item whose sample t predicts class pattern[t]."""
    probs = np.where(np.eye(2, dtype=bool)[pattern], confidence, 1 - confidence)
    return np.log(probs)


def test_prefers_new_questions_over_copies_of_the_best_one():
    best = _smoothed([0, 1, 0, 1], 0.99)  # [T=4, C=2]: half the samples say 1
    other = _smoothed([0, 0, 1, 1], 0.98)  # disagrees along another split of the samples
    third = _smoothed([0, 1, 1, 0], 0.97)
    log_probs = np.stack([best, best, best, other, third], axis=1)  # [T, N=5, C]
    assert top_k(bald(log_probs), 3).tolist() == [0, 1, 2]  # BALD asks the same thing thrice
    indices, scores = batchbald(log_probs, 3, rng=0)
    assert indices.tolist() == [0, 3, 4]
    for size in (1, 2, 3):
        expected = _joint_mutual_information(log_probs, indices[:size].tolist())
        np.testing.assert_allclose(scores[size - 1], expected, rtol=1e-10)
    assert scores[-1] > np.log(4.0) - 0.2  # four equally likely dropout masks, nearly pinned


def test_enumerated_scores_match_brute_force(make_log_probs):
    log_probs = make_log_probs(8, 10, 2, seed=5)
    indices, scores = batchbald(log_probs, 5, rng=0, n_samples=1000)  # 2**4 configs: exact
    for size in range(1, 6):
        expected = _joint_mutual_information(log_probs, indices[:size].tolist())
        np.testing.assert_allclose(scores[size - 1], expected, rtol=1e-10)
    assert np.all(np.diff(scores) >= 0)


def test_sampled_configurations_estimate_the_joint_information_and_are_seeded(make_log_probs):
    log_probs = make_log_probs(10, 6, 10, seed=6, spread=4.0)
    # exact while 10**|A| <= 2000 (batches up to 4), sampled for the fifth item
    indices, scores = batchbald(log_probs, 5, rng=1, n_samples=2000)
    exact = [_joint_mutual_information_vectorised(log_probs, indices[:s].tolist()) for s in (4, 5)]
    np.testing.assert_allclose(scores[3], exact[0], rtol=1e-10)
    np.testing.assert_allclose(scores[4], exact[1], rtol=0.01)
    again = batchbald(log_probs, 5, rng=1, n_samples=2000)
    np.testing.assert_array_equal(again[0], indices)
    np.testing.assert_array_equal(again[1], scores)


def test_several_sampled_steps_stay_close_to_brute_force(make_log_probs):
    log_probs = make_log_probs(10, 7, 4, seed=6, spread=4.0)
    indices, scores = batchbald(log_probs, 7, rng=2, n_samples=64)  # sampled from the 5th item
    exact = _joint_mutual_information_vectorised(log_probs, indices.tolist())
    np.testing.assert_allclose(scores[-1], exact, rtol=0.05)


def test_is_reachable_through_select_with_its_option(make_log_probs):
    log_probs = make_log_probs(6, 30, 3).astype(np.float32)
    indices, scores = select("batchbald", log_probs, k=4, rng=3, n_samples=50, chunk=7)
    direct = batchbald(log_probs, 4, rng=3, n_samples=50)
    np.testing.assert_array_equal(indices, direct[0])
    np.testing.assert_allclose(scores, direct[1], rtol=1e-12)
