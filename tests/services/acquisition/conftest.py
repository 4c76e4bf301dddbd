"""Monte-Carlo dropout outputs to score: random log-softmax arrays, seeded."""

from __future__ import annotations

import numpy as np
import pytest


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Normalised natural-log probabilities over the last axis."""
    return logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)


@pytest.fixture
def make_log_probs():
    """``make_log_probs(T, N, C, seed=0, spread=2.0)`` -> float64 ``log_probs[T, N, C]``.

    Each item has its own mean logits; the T samples scatter around them by ``spread``,
    so items differ in how much the samples disagree.
    """

    def make(n_mc: int, n_pool: int, n_class: int, seed: int = 0, spread: float = 2.0):
        rng = np.random.default_rng(seed)
        centre = rng.normal(scale=3.0, size=(1, n_pool, n_class))  # [1, N, C]
        noise = rng.normal(size=(n_mc, n_pool, n_class))  # [T, N, C]
        disagreement = rng.uniform(0, spread, size=(1, n_pool, 1))  # [1, N, 1]
        return log_softmax(centre + disagreement * noise)  # [T, N, C]

    return make
