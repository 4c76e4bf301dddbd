"""Vote-fraction models (binomial heads, Walmsley et al. 2020) as class distributions.

A binomial head predicts, per MC sample and question, the probability ``rho`` that a
volunteer answers "yes". One more vote on Q independent questions is a categorical
variable over the ``2**Q`` answer patterns, so every classification acquisition function
(BALD, entropy, BatchBALD, ...) applies unchanged to :func:`answer_log_probs`. BALD on it
is the mutual information between the next volunteer's answers and the model parameters.
"""

from __future__ import annotations

import itertools

import numpy as np

MAX_QUESTIONS = 4  # 16 answer patterns: memory as a 16-class classifier's


def answer_log_probs(probs: np.ndarray, *, eps: float = 1e-7) -> np.ndarray:
    """Log-probabilities of the ``2**Q`` answer patterns of one vote.

    Parameters
    ----------
    probs : ndarray, shape (T, N, Q)
        Vote fractions ``rho`` of T MC-dropout samples for N items and Q questions.

    Returns
    -------
    ndarray, shape (T, N, 2**Q), float32
        Pattern ``a`` (bits: question q answered "yes" when bit q of ``a`` is set) has
        log-probability ``sum_q log(rho_q if yes else 1 - rho_q)``.
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 3:
        raise ValueError(f"probs must have shape (T, N, Q), not {probs.shape}")
    n_questions = probs.shape[2]
    if not 1 <= n_questions <= MAX_QUESTIONS:
        raise ValueError(f"between 1 and {MAX_QUESTIONS} questions, not {n_questions}")
    rho = np.clip(probs, eps, 1.0 - eps)
    log_yes, log_no = np.log(rho), np.log1p(-rho)  # [T, N, Q]
    patterns = np.array(list(itertools.product((0, 1), repeat=n_questions)))[:, ::-1]  # [2^Q, Q]
    out = log_no @ (1 - patterns).T + log_yes @ patterns.T  # [T, N, 2^Q]
    return out.astype(np.float32)
