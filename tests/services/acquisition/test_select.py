"""The one entry point: every registered method, k clipping, and clear errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest

from services.acquisition import METHODS, bald, select

NAMES = [
    "bald",
    "entropy",
    "variation_ratios",
    "mean_std",
    "random",
    "batchbald",
    "powerbald",
    "bald_kcenter",
    "bald_kmeanspp",
    "discovery",
    "balanced",
    "epistemic_variance",
    "predictive_variance",
]


@pytest.fixture
def pool(make_log_probs):
    """Everything a method may need, for a pool of N=25 items."""
    rng = np.random.default_rng(1)
    return {
        "log_probs": make_log_probs(7, 25, 3).astype(np.float32),
        "embedding": rng.normal(size=(25, 4)).astype(np.float32),
        "means": rng.normal(size=(7, 25)),
        "log_vars": rng.normal(size=(7, 25)),
    }


def test_the_registry_holds_the_names_job_parameters_use():
    assert list(METHODS) == NAMES


#: Options a method cannot do without.
REQUIRED = {"discovery": {"target_class": 1}}


@pytest.mark.parametrize("method", NAMES)
def test_every_method_returns_k_distinct_items_reproducibly(method, pool):
    pool = {**pool, **REQUIRED.get(method, {})}
    indices, scores = select(method, k=5, rng=3, **pool)
    assert indices.shape == scores.shape == (5,)
    assert indices.dtype == np.int64 and scores.dtype == np.float64
    assert len(set(indices.tolist())) == 5 and np.isfinite(scores).all()
    again = select(method, k=5, rng=3, **pool)
    np.testing.assert_array_equal(again[0], indices)


@pytest.mark.parametrize("method", NAMES)
def test_k_larger_than_the_pool_is_clipped(method, pool):
    indices, _ = select(method, k=1000, rng=0, **pool, **REQUIRED.get(method, {}))
    assert sorted(indices.tolist()) == list(range(25))


def test_bald_through_select_is_the_top_k_of_bald_scores(pool):
    indices, scores = select("bald", pool["log_probs"], k=3, rng=0)
    all_scores = bald(pool["log_probs"])
    assert indices.tolist() == np.argsort(-all_scores)[:3].tolist()
    np.testing.assert_array_equal(scores, all_scores[indices])


def test_random_is_reproducible_by_seed_and_needs_only_a_pool_size(pool):
    first = select("random", k=5, rng=42, means=pool["means"], log_vars=pool["log_vars"])
    np.testing.assert_array_equal(first[0], select("random", pool["log_probs"], k=5, rng=42)[0])
    assert not np.array_equal(first[0], select("random", pool["log_probs"], k=5, rng=43)[0])


def test_zero_probabilities_are_allowed():
    with np.errstate(divide="ignore"):  # log 0 = -inf: an exact zero probability
        log_probs = np.log(np.array([[[1.0, 0.0, 0.0]], [[0.0, 0.5, 0.5]]]))  # [T=2, N=1, C=3]
    _, scores = select("bald", log_probs, k=1, rng=0)
    # mean p = (1/2, 1/4, 1/4): H = 1.5 log 2; mean H = (0 + log 2) / 2
    np.testing.assert_allclose(scores, [np.log(2.0)])


def _uniform_with(index: tuple[int, int, int], value: float) -> np.ndarray:
    """Uniform ``log_probs[T=4, N=6, C=3]`` with one entry replaced."""
    log_probs = np.log(np.full((4, 6, 3), 1 / 3))
    log_probs[index] = value
    return log_probs


def _logits() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(4, 6, 3))


BAD_LOG_PROBS = [
    (np.zeros((4, 0, 3)), "the pool is empty"),
    (np.zeros((4, 6)), r"log_probs must have shape \(T, N, C\)"),
    (np.zeros((4, 6, 3), dtype=np.int64), "must hold floats"),
    (np.zeros((4, 6, 1)), "at least two classes"),
    (np.zeros((0, 6, 3)), "no Monte-Carlo samples"),
    (_uniform_with((1, 2, 2), np.nan), "contains NaN"),
    (_uniform_with((0, 0, 1), np.inf), r"contains \+inf"),
    (_logits(), "not normalised over classes"),
    (np.full((4, 6, 3), 1 / 3), "not normalised over classes"),  # probabilities, not logs
    (_uniform_with((3, 5, 2), 0.0), "item 5"),
]


@pytest.mark.parametrize(("log_probs", "message"), BAD_LOG_PROBS)
@pytest.mark.parametrize("method", ["bald", "entropy", "batchbald", "powerbald"])
def test_bad_log_probs_raise_value_error(method, log_probs, message):
    with pytest.raises(ValueError, match=message):
        select(method, log_probs, k=2, rng=0, chunk=2)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"method": "bald", "k": 0}, "k must be at least 1"),
        ({"method": "bald", "k": 2.5}, "k must be an integer"),
        ({"method": "bald", "k": 2, "chunk": 0}, "chunk must be a positive integer"),
        ({"method": "margin", "k": 2}, "unknown acquisition method 'margin'; known: bald"),
        ({"method": "bald", "k": 2, "beta": 2.0}, "takes no option 'beta'"),
        ({"method": "batchbald", "k": 2, "n_samples": 0}, "n_samples must be a positive"),
        ({"method": "powerbald", "k": 2, "beta": -1.0}, "beta must be a finite number"),
        ({"method": "bald_kcenter", "k": 2}, "needs an embedding"),
        (
            {"method": "bald_kmeanspp", "k": 2, "n_candidates": 0, "embedding": np.ones((6, 2))},
            "n_candidates must be",
        ),
        ({"method": "bald_kcenter", "k": 2, "embedding": np.ones((5, 2))}, "5 rows for a pool"),
        ({"method": "bald_kcenter", "k": 2, "embedding": np.full((6, 2), np.nan)}, "NaN or inf"),
        ({"method": "epistemic_variance", "k": 2}, "needs means and log_vars"),
    ],
)
def test_bad_arguments_raise_value_error(arguments, message):
    with pytest.raises(ValueError, match=message):
        select(log_probs=_uniform_with((0, 0, 0), np.log(1 / 3)), rng=0, **arguments)


@pytest.mark.parametrize(
    ("means", "log_vars", "message"),
    [
        (np.zeros((3, 4)), np.zeros((3, 5)), "differ in shape"),
        (np.zeros((3, 0)), np.zeros((3, 0)), "the pool is empty"),
        (np.full((3, 4), np.nan), np.zeros((3, 4)), "means contains NaN"),
        (np.zeros((3, 4)), np.full((3, 4), np.inf), "log_vars contains NaN or inf"),
        (np.zeros((3, 4)), np.full((3, 4), 1000.0), "too large"),
        (np.zeros(4), np.zeros(4), r"must have shape \(T, N\)"),
    ],
)
def test_bad_regression_inputs_raise_value_error(means, log_vars, message):
    with pytest.raises(ValueError, match=message):
        select("predictive_variance", k=2, rng=0, means=means, log_vars=log_vars)


def test_bald_without_log_probs_says_what_it_needs():
    with pytest.raises(ValueError, match=r"'bald' needs log_probs, shape \(T, N, C\)"):
        select("bald", k=1, rng=0)
