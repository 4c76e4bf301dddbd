"""Discovery of a target class (expected positives; batch Thompson sampling, its measured
alternative) and class-balanced batches."""

from __future__ import annotations

import numpy as np
import pytest

from services.acquisition import (
    METHODS,
    balanced,
    bald,
    discovery,
    expected_positives,
    mean_probs,
    select,
    thompson_discovery,
)


def two_class(p_target: np.ndarray) -> np.ndarray:
    """``log_probs[T, N, 2]`` whose class 1 has probability ``p_target[T, N]``."""
    p = np.stack([1.0 - p_target, p_target], axis=-1)
    return np.log(p)


def thompson_pool() -> np.ndarray:
    """Item 0 surely a member; item 1 a member in 20 % of samples; item 2 a steady 0.3."""
    n_mc, n_pool = 20, 30
    p = np.full((n_mc, n_pool), 0.01)
    p[:, 0] = 0.95  # confident member
    p[:, 1] = 0.05
    p[:4, 1] = 0.99  # the samples disagree: mean 0.238
    p[:, 2] = 0.3  # higher mean than item 1, no disagreement
    return two_class(p)


def test_discovery_takes_confident_members_first_and_explores_with_a_bald_weight():
    log_probs = thompson_pool()
    indices, scores = discovery(log_probs, 3, target_class=1)
    assert indices.tolist() == [0, 2, 1]  # by expected membership: 0.95, 0.3, 0.238
    np.testing.assert_allclose(scores, mean_probs(log_probs)[indices, 1])
    # BALD lifts the item the samples disagree on above the steady one
    indices, scores = discovery(log_probs, 3, target_class=1, bald_weight=1.0)
    assert indices.tolist()[:2] == [0, 1]
    np.testing.assert_allclose(scores, mean_probs(log_probs)[indices, 1] + bald(log_probs)[indices])
    np.testing.assert_allclose(
        expected_positives(log_probs, target_class=1, bald_weight=0.5, chunk=7),
        mean_probs(log_probs)[:, 1] + 0.5 * bald(log_probs),
    )


@pytest.mark.parametrize("weight", [-0.1, float("nan"), float("inf"), True])
def test_a_bad_bald_weight_is_refused(weight):
    with pytest.raises(ValueError, match="bald_weight must be a finite number >= 0"):
        select("discovery", thompson_pool(), k=2, rng=0, target_class=1, bald_weight=weight)


def test_thompson_takes_confident_members_first_and_explores_where_samples_disagree():
    log_probs = thompson_pool()
    firsts, seconds = [], []
    for seed in range(300):
        indices, scores = thompson_discovery(log_probs, 2, target_class=1, rng=seed)
        assert len(set(indices.tolist())) == 2
        np.testing.assert_allclose(scores, mean_probs(log_probs)[indices, 1])
        firsts.append(indices[0])
        seconds.append(indices[1])
    firsts, seconds = np.array(firsts), np.array(seconds)
    assert (firsts == 0).mean() > 0.7  # the sure member leads in most batches
    assert set(firsts.tolist()) | set(seconds.tolist()) <= {0, 1, 2}  # never the non-members
    # the disputed item is chosen about as often as it is the best (4 of 20 samples),
    # though the ranking by mean probability would never put it before item 2
    chosen_1 = ((firsts == 1) | (seconds == 1)).mean()
    assert 0.2 < chosen_1 < 0.55
    assert ((firsts == 2) | (seconds == 2)).mean() > 0.4


def test_thompson_does_not_depend_on_the_chunk_and_clips_k(make_log_probs):
    log_probs = make_log_probs(9, 40, 3, seed=3)
    whole = thompson_discovery(log_probs, 12, target_class=2, rng=5)
    chunked = thompson_discovery(log_probs, 12, target_class=2, rng=5, chunk=7)
    np.testing.assert_array_equal(whole[0], chunked[0])
    np.testing.assert_allclose(whole[1], chunked[1])
    everything, _ = thompson_discovery(log_probs, 100, target_class=0, rng=0, chunk=6)
    assert sorted(everything.tolist()) == list(range(40))


def test_thompson_with_one_sample_is_the_ranking_by_the_target_probability(make_log_probs):
    log_probs = make_log_probs(1, 50, 4, seed=2)
    indices, _ = thompson_discovery(log_probs, 10, target_class=3, rng=0, chunk=8)
    expected = np.argsort(-np.exp(log_probs[0, :, 3]), kind="stable")[:10]
    np.testing.assert_array_equal(indices, expected)


def test_balanced_splits_k_over_predicted_classes_and_ranks_by_bald_within(make_log_probs):
    log_probs = make_log_probs(8, 60, 3, seed=4)
    predicted = mean_probs(log_probs).argmax(axis=1)
    item_bald = bald(log_probs)
    counts = np.bincount(predicted, minlength=3)
    for k in (1, 3, 7, 20, 45, 60):
        indices, scores = balanced(log_probs, k, chunk=11)
        assert indices.size == min(k, 60) == len(set(indices.tolist()))
        np.testing.assert_allclose(scores, item_bald[indices])
        taken = np.bincount(predicted[indices], minlength=3)
        # as even as the pool allows: only a class with nothing left may have fewer
        short = taken < taken.max() - 1
        assert (taken[short] == counts[short]).all()
        for c in range(3):
            members = np.flatnonzero(predicted == c)
            best = members[np.argsort(-item_bald[members], kind="stable")[: taken[c]]]
            assert set(indices[predicted[indices] == c].tolist()) == set(best.tolist())


def test_balanced_gives_a_small_class_all_it_has_and_the_rest_to_the_others():
    p = np.full((5, 12), 0.2)
    p[:, :2] = 0.9  # two items predicted in class 1, ten in class 0
    p[1:, 0] = 0.7  # item 0 less sure: more BALD
    indices, _ = balanced(two_class(p), 8)
    assert set(indices[:2].tolist()) == {0, 2} or 0 in indices[:2]  # a class-1 item in round 1
    assert {0, 1} <= set(indices.tolist())
    assert indices.size == 8


def test_the_registry_lists_both_with_their_options():
    assert METHODS["discovery"].options == ("target_class", "bald_weight")
    assert METHODS["balanced"].options == ()
    assert METHODS["discovery"].needs == METHODS["balanced"].needs == "log_probs"


def test_select_runs_both(make_log_probs):
    log_probs = make_log_probs(6, 30, 3)
    indices, _ = select("discovery", log_probs, k=5, rng=1, target_class=0)
    assert indices.size == 5
    indices, _ = select("balanced", log_probs, k=5, rng=1)
    assert indices.size == 5


@pytest.mark.parametrize("target", [3, -1, 1.0, True, "1"])
def test_a_bad_target_class_is_refused_with_the_range(make_log_probs, target):
    with pytest.raises(ValueError, match="target_class must be a class index from 0 to 2"):
        select("discovery", make_log_probs(4, 10, 3), k=2, rng=0, target_class=target)
    with pytest.raises(ValueError, match="target_class must be a class index from 0 to 2"):
        thompson_discovery(make_log_probs(4, 10, 3), 2, target_class=target, rng=0)


def test_discovery_without_a_target_class_says_so(make_log_probs):
    with pytest.raises(ValueError, match="needs the option target_class"):
        select("discovery", make_log_probs(4, 10, 3), k=2, rng=0)
    with pytest.raises(ValueError, match="takes no option 'target_class'"):
        select("balanced", make_log_probs(4, 10, 3), k=2, rng=0, target_class=1)
