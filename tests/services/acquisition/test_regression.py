"""Epistemic and predictive variance of heteroscedastic Gaussian heads."""

from __future__ import annotations

import numpy as np

from services.acquisition import (
    aleatoric_variance,
    epistemic_variance,
    predictive_variance,
    select,
)

# T=2 samples of N=2 items: item 0 disagrees on the mean, item 1 is noisier
MEANS = np.array([[1.0, 2.0], [3.0, 2.0]])  # [T, N]
LOG_VARS = np.log([[1.0, 4.0], [3.0, 4.0]])  # [T, N]


def test_epistemic_variance_is_the_variance_of_the_means():
    np.testing.assert_allclose(epistemic_variance(MEANS, LOG_VARS), [1.0, 0.0])


def test_predictive_variance_is_epistemic_plus_mean_aleatoric_on_a_hand_example():
    np.testing.assert_allclose(aleatoric_variance(LOG_VARS), [2.0, 4.0])
    np.testing.assert_allclose(predictive_variance(MEANS, LOG_VARS), [3.0, 4.0])


def test_the_two_scores_rank_the_items_differently():
    by_epistemic, epistemic = select(
        "epistemic_variance", k=2, rng=0, means=MEANS, log_vars=LOG_VARS
    )
    by_total, total = select("predictive_variance", k=2, rng=0, means=MEANS, log_vars=LOG_VARS)
    assert by_epistemic.tolist() == [0, 1]
    np.testing.assert_allclose(epistemic, [1.0, 0.0])
    assert by_total.tolist() == [1, 0]
    np.testing.assert_allclose(total, [4.0, 3.0])


def test_regression_scores_do_not_depend_on_the_chunk_size():
    rng = np.random.default_rng(2)
    means = rng.normal(size=(8, 33)).astype(np.float32)
    log_vars = rng.normal(size=(8, 33)).astype(np.float32)
    whole = predictive_variance(means, log_vars, chunk=33)
    for chunk in (1, 7, 100):
        np.testing.assert_array_equal(predictive_variance(means, log_vars, chunk=chunk), whole)
