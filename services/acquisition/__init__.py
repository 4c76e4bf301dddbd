"""Bayesian active-learning acquisition: which spectra to label next.

Plain NumPy on Monte-Carlo dropout samples, ``log_probs[T, N, C]`` (T samples, N pool
items, C classes; natural-log probabilities) or, for regression, ``means[T, N]`` and
``log_vars[T, N]``. No deep-learning framework is imported here: models live in
``services.models`` and hand over arrays (memory maps welcome; everything is chunked
over the pool with float64 sums).

Entry point: :func:`select` with a method name from :data:`METHODS`.
"""

from services.acquisition.batchbald import batchbald
from services.acquisition.discovery import (
    balanced,
    discovery,
    expected_positives,
    thompson_discovery,
)
from services.acquisition.diversity import kcenter_greedy, kmeanspp_weighted
from services.acquisition.registry import METHODS, RANKED, Method, select
from services.acquisition.regression import (
    aleatoric_variance,
    epistemic_variance,
    predictive_variance,
)
from services.acquisition.scores import (
    bald,
    expected_entropy,
    max_entropy,
    mean_probs,
    mean_std,
    random_scores,
    top_k,
    variation_ratios,
)
from services.acquisition.stochastic import power_sample, powerbald
from services.acquisition.validation import DEFAULT_CHUNK
from services.acquisition.votes import answer_log_probs

__all__ = [
    "DEFAULT_CHUNK",
    "METHODS",
    "RANKED",
    "Method",
    "aleatoric_variance",
    "answer_log_probs",
    "balanced",
    "bald",
    "batchbald",
    "discovery",
    "epistemic_variance",
    "expected_entropy",
    "expected_positives",
    "kcenter_greedy",
    "kmeanspp_weighted",
    "max_entropy",
    "mean_probs",
    "mean_std",
    "power_sample",
    "powerbald",
    "predictive_variance",
    "random_scores",
    "select",
    "thompson_discovery",
    "top_k",
    "variation_ratios",
]
