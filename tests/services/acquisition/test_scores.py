"""Per-item scores on hand-computed cases, their bounds, chunking and float32 accuracy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from services.acquisition import (
    bald,
    expected_entropy,
    max_entropy,
    mean_probs,
    mean_std,
    random_scores,
    top_k,
    variation_ratios,
)

SCORERS = [bald, max_entropy, variation_ratios, mean_std, expected_entropy]


def _repeat(probs: list[list[float]], n_mc: int) -> np.ndarray:
    """The same prediction ``probs[N][C]`` from every one of ``n_mc`` samples, as logs."""
    return np.log(np.broadcast_to(np.asarray(probs), (n_mc, *np.shape(probs))))  # [T, N, C]


def test_bald_is_zero_when_all_samples_agree_whatever_they_predict():
    log_probs = _repeat([[0.7, 0.2, 0.1], [1 / 3, 1 / 3, 1 / 3], [0.98, 0.01, 0.01]], 6)
    np.testing.assert_allclose(bald(log_probs), 0.0, atol=1e-12)


def test_entropy_is_log_c_for_uniform_predictions():
    log_probs = np.full((5, 4, 7), -np.log(7.0))
    np.testing.assert_allclose(max_entropy(log_probs), np.log(7.0), rtol=1e-12)


def test_bald_of_two_confident_samples_that_disagree_is_log_2():
    log_probs = np.log([[[1 - 1e-12, 1e-12]], [[1e-12, 1 - 1e-12]]])  # [T=2, N=1, C=2]
    np.testing.assert_allclose(bald(log_probs), np.log(2.0), rtol=1e-9)
    np.testing.assert_allclose(max_entropy(log_probs), np.log(2.0), rtol=1e-12)


def test_variation_ratios_count_votes():
    probs = [  # T=4 samples of one item, 3 classes: votes 0, 0, 2, 0 -> 1 - 3/4
        [[0.5, 0.3, 0.2]],
        [[0.6, 0.3, 0.1]],
        [[0.1, 0.3, 0.6]],
        [[0.4, 0.35, 0.25]],
    ]
    np.testing.assert_allclose(variation_ratios(np.log(probs)), [0.25])


def test_variation_ratios_are_zero_when_all_votes_agree():
    probs = np.array([[[0.5, 0.4, 0.1]], [[0.9, 0.05, 0.05]], [[0.34, 0.33, 0.33]]])
    assert variation_ratios(np.log(probs)).tolist() == [0.0]


def test_mean_std_is_zero_for_identical_samples_and_hand_value_otherwise():
    assert mean_std(_repeat([[0.2, 0.8], [0.5, 0.5]], 3)).tolist() == [0.0, 0.0]
    probs = np.array([[[0.2, 0.8]], [[0.6, 0.4]]])  # std over T of each class: 0.2
    np.testing.assert_allclose(mean_std(np.log(probs)), [0.2])


@pytest.mark.parametrize("alpha", [0.05, 0.5, 5.0])
def test_bald_at_most_entropy_at_most_log_c_on_random_dirichlet_samples(alpha):
    rng = np.random.default_rng(7)
    n_mc, n_pool, n_class = 10, 300, 6
    base = rng.dirichlet(np.ones(n_class), size=n_pool)  # [N, C]: each item's tendency
    probs = np.stack([rng.dirichlet(alpha * n_class * b + 1e-3) for b in base] * n_mc)
    probs = probs.reshape(n_mc, n_pool, n_class)  # [T*N, C] -> [T, N, C]
    with np.errstate(divide="ignore"):  # alpha 0.05 draws exact zeros: log 0 = -inf is allowed
        log_probs = np.log(probs / probs.sum(-1, keepdims=True))
    mutual_information, entropy = bald(log_probs), max_entropy(log_probs)
    assert np.isfinite(mutual_information).all()
    assert (mutual_information >= 0).all()
    assert (mutual_information <= entropy + 1e-12).all()
    assert (entropy <= np.log(n_class) + 1e-12).all()
    np.testing.assert_allclose(
        entropy - mutual_information, expected_entropy(log_probs), rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("scorer", SCORERS, ids=lambda f: f.__name__)
def test_chunking_gives_identical_scores(scorer, make_log_probs):
    log_probs = make_log_probs(9, 600, 4).astype(np.float32)
    whole = scorer(log_probs, chunk=600)
    for chunk in (1, 7, 256, 10_000):
        np.testing.assert_array_equal(scorer(log_probs, chunk=chunk), whole)


def _reference_bald(log_probs: np.ndarray) -> np.ndarray:
    """BALD written out plainly, in float64, on the whole array."""
    p = np.exp(log_probs)  # [T, N, C]
    p_mean = p.mean(axis=0)  # [N, C]
    predictive = -(p_mean * np.log(p_mean)).sum(axis=-1)  # [N]
    expected = -(p * log_probs).sum(axis=-1).mean(axis=0)  # [N]
    return predictive - expected


def test_float32_inputs_on_a_large_pool_match_a_float64_reference(make_log_probs):
    log_probs = make_log_probs(10, 100_000, 4, seed=3)  # float64
    reference = _reference_bald(log_probs)
    scores = bald(log_probs.astype(np.float32), chunk=8192)
    assert scores.dtype == np.float64
    np.testing.assert_allclose(scores, np.maximum(reference, 0), rtol=0, atol=2e-6)
    assert abs(scores.sum() - reference.sum()) < 1e-6 * reference.size


def test_memory_mapped_pool_is_scored_like_an_array(make_log_probs, tmp_path):
    log_probs = make_log_probs(5, 40, 3).astype(np.float32)
    np.save(tmp_path / "log_probs.npy", log_probs)
    mapped = np.load(tmp_path / "log_probs.npy", mmap_mode="r")
    np.testing.assert_array_equal(bald(mapped, chunk=6), bald(log_probs))


def test_random_scores_are_reproducible_by_seed():
    np.testing.assert_array_equal(random_scores(100, 5), random_scores(100, 5))
    rng_draw = random_scores(100, np.random.default_rng(5))
    np.testing.assert_array_equal(rng_draw, random_scores(100, 5))
    assert not np.array_equal(random_scores(100, 5), random_scores(100, 6))


def test_top_k_orders_by_score_and_gives_ties_to_the_lower_index():
    scores = np.array([0.5, 0.9, 0.5, 0.1, 0.9, 0.5])
    assert top_k(scores, 4).tolist() == [1, 4, 0, 2]
    assert top_k(scores, 100).tolist() == [1, 4, 0, 2, 5, 3]


def test_the_package_imports_no_deep_learning_framework():
    code = (
        "import sys, services.acquisition\n"
        "loaded = {'keras', 'tensorflow', 'torch', 'jax'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    repo = Path(__file__).resolve().parents[3]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=repo)


def test_mean_probs_is_the_mc_average():
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(4), size=(6, 9))  # [T, N, C]
    expected = probs.mean(axis=0)  # [N, C]
    np.testing.assert_allclose(mean_probs(np.log(probs), chunk=4), expected, rtol=1e-12)
