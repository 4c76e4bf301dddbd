"""Validation metrics: accuracy and calibration for classes, PIT and coverage for regression,
and VO-CLOUD's "Am I correct?" per-class true-positive rate with a binomial interval."""

from __future__ import annotations

import numpy as np
from scipy import stats


def calibration(probs: np.ndarray, labels: np.ndarray, n_bins: int = 10) -> dict:
    """Accuracy, expected calibration error and the reliability diagram's bins.

    Parameters
    ----------
    probs : ndarray, shape (n, C)
        Mean predictive probabilities (over the T MC samples).
    labels : ndarray, shape (n,), int
        True class indices.
    """
    confidence = probs.max(axis=1)  # [n]
    correct = (probs.argmax(axis=1) == labels).astype(float)  # [n]
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, n_bins - 1)  # [n]
    bins, ece = [], 0.0
    for b in range(n_bins):
        inside = which == b
        if not inside.any():
            continue
        acc, conf = correct[inside].mean(), confidence[inside].mean()
        ece += inside.mean() * abs(acc - conf)
        bins.append(
            {
                "lo": edges[b],
                "hi": edges[b + 1],
                "n": int(inside.sum()),
                "accuracy": float(acc),
                "confidence": float(conf),
            }
        )
    return {"accuracy": float(correct.mean()), "ece": float(ece), "bins": bins}


def regression(mean: np.ndarray, sigma: np.ndarray, truth: np.ndarray) -> dict:
    """RMSE, mean standardised error, PIT values and coverage of central intervals.

    Parameters
    ----------
    mean, sigma : ndarray, shape (n,)
        Predictive mean and standard deviation (epistemic + aleatoric).
    truth : ndarray, shape (n,)
    """
    pit = stats.norm.cdf(truth, loc=mean, scale=np.maximum(sigma, 1e-12))  # [n]
    coverage = {
        f"{int(q * 100)}%": float(np.mean(np.abs(pit - 0.5) <= q / 2))
        for q in (0.5, 0.68, 0.9, 0.95)
    }
    return {
        "rmse": float(np.sqrt(np.mean((mean - truth) ** 2))),
        "mean_abs_z": float(np.mean(np.abs(truth - mean) / np.maximum(sigma, 1e-12))),
        "coverage": coverage,
        "pit": pit.tolist(),
    }


def true_positive_rates(
    predicted: np.ndarray, verified: np.ndarray, classes: list[str], confidence: float = 0.95
) -> list[dict]:
    """Per predicted class: the fraction an expert confirmed, with a Clopper-Pearson interval.

    Parameters
    ----------
    predicted, verified : ndarray, shape (n,)
        Class names the model predicted and the expert's verdict for the same spectra.
    """
    out = []
    for name in classes:
        chosen = predicted == name
        n, k = int(chosen.sum()), int((verified[chosen] == name).sum())
        low, high = proportion_interval(k, n, confidence)
        out.append(
            {
                "class": name,
                "checked": n,
                "correct": k,
                "rate": k / n if n else float("nan"),
                "low": low,
                "high": high,
            }
        )
    return out


def proportion_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson (exact binomial) interval of a proportion ``k / n``.

    The one interval of the platform for a share of successes (a validation accuracy, a
    true-positive rate): it never covers less than ``confidence``, which matters for the
    small ``n`` of early rounds, where the normal approximation fails.

    Parameters
    ----------
    k, n : int
        Successes and trials (``0 <= k <= n``).
    confidence : float
        Coverage of the central interval.

    Returns
    -------
    (low, high) : tuple of float
        In [0, 1]; both NaN when ``n`` is 0.
    """
    if n <= 0:
        return float("nan"), float("nan")
    alpha = 1.0 - confidence
    low = stats.beta.ppf(alpha / 2, k, n - k + 1) if k > 0 else 0.0
    high = stats.beta.ppf(1 - alpha / 2, k + 1, n - k) if k < n else 1.0
    return float(low), float(high)


def votes(probs: np.ndarray, y: np.ndarray, questions: list[str], level: float = 0.9) -> dict:
    """Vote-fraction errors, binomial NLL and interval coverage of a binomial-head model.

    Parameters
    ----------
    probs : ndarray, shape (T, n, Q)
        MC-dropout samples of the vote fraction per question.
    y : ndarray, shape (n, Q, 2)
        Observed votes for and voters per question.
    level : float
        Central interval of the posterior predictive (a mixture over the T samples of
        binomials) whose coverage of the observed counts is reported.
    """
    probs = np.clip(np.asarray(probs, dtype=np.float64), 1e-7, 1 - 1e-7)
    k, n = y[..., 0], y[..., 1]  # [n, Q]
    asked = n > 0
    observed = np.where(asked, k / np.maximum(n, 1), np.nan)
    mean = probs.mean(axis=0)  # [n, Q]
    cdf_k = stats.binom.cdf(k[None], n[None], probs).mean(axis=0)  # [n, Q]
    cdf_below = stats.binom.cdf(k[None] - 1, n[None], probs).mean(axis=0)
    tail = (1 - level) / 2
    inside = (cdf_below < 1 - tail) & (cdf_k > tail)
    nll = -np.log(stats.binom.pmf(k[None], n[None], probs).mean(axis=0))  # [n, Q]
    per_question = {}
    for q, name in enumerate(questions):
        mask = asked[:, q]
        error = mean[mask, q] - observed[mask, q]
        per_question[name] = {
            "rmse_fraction": float(np.sqrt(np.mean(error**2))) if mask.any() else float("nan"),
            "coverage": float(np.mean(inside[mask, q])) if mask.any() else float("nan"),
        }
    return {
        "rmse_fraction": float(np.sqrt(np.nanmean((mean - observed) ** 2))),
        "nll_per_item": float(np.sum(nll[asked]) / len(y)),
        f"coverage_{int(level * 100)}%": float(np.mean(inside[asked])),
        "questions": per_question,
    }
