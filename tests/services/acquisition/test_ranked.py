"""The methods marked RANKED really are the top k of a per-item score (sharded scoring
relies on it to merge shards exactly)."""

import numpy as np
import pytest

from services import acquisition

RNG = np.random.default_rng(3)
LOGITS = RNG.normal(size=(12, 200, 4))
LOG_PROBS = LOGITS - np.logaddexp.reduce(LOGITS, axis=-1, keepdims=True)
MEANS, LOG_VARS = RNG.normal(size=(12, 200)), RNG.normal(size=(12, 200))
PER_ITEM = {
    "bald": lambda: acquisition.bald(LOG_PROBS),
    "entropy": lambda: acquisition.max_entropy(LOG_PROBS),
    "variation_ratios": lambda: acquisition.variation_ratios(LOG_PROBS),
    "mean_std": lambda: acquisition.mean_std(LOG_PROBS),
    "random": lambda: acquisition.random_scores(200, 7),
    "epistemic_variance": lambda: acquisition.epistemic_variance(MEANS, LOG_VARS),
    "predictive_variance": lambda: acquisition.predictive_variance(MEANS, LOG_VARS),
}


def test_every_ranked_method_has_its_per_item_score_here():
    assert set(PER_ITEM) == acquisition.RANKED


@pytest.mark.parametrize("method", sorted(acquisition.RANKED))
def test_a_ranked_method_selects_the_top_k_of_its_per_item_score(method):
    regression = acquisition.METHODS[method].needs == "regression"
    arrays = {"means": MEANS, "log_vars": LOG_VARS} if regression else {}
    chosen, _ = acquisition.select(method, None if regression else LOG_PROBS, k=17, rng=7, **arrays)
    assert list(chosen) == list(acquisition.top_k(PER_ITEM[method](), 17))
