"""Simulated active learning (the DBAL protocol): an oracle answers with the known labels.

Gal, Islam & Ghahramani (2017): start from a small class-balanced labelled set, train a
fresh MC-dropout model, measure test accuracy, score a random subset of the unlabelled
pool with ``T`` dropout samples, move the ``acquire`` best items to the labelled set, and
repeat. Runs with the same seed are *paired*: they share the initial labels, the
validation set and the weight initialisation of each round, so two acquisition methods
differ only by what they chose.

Keras is used through :mod:`services.models` only (imported when a run starts).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from services import acquisition

__all__ = ["Curve", "Protocol", "aulc", "initial_indices", "labels_to_reach", "run"]

#: Builds a fresh compiled model from a seed.
ModelBuilder = Callable[[int], object]
Report = Callable[[str], None]


@dataclass(frozen=True)
class Protocol:
    """The knobs of the DBAL protocol; the defaults are the paper's MNIST settings."""

    initial_per_class: int = 2  # 20 labels for 10 classes
    acquire: int = 10
    rounds: int = 100
    mc_samples: int = 20
    pool_subset: int = 2000
    epochs: int = 50
    batch_size: int = 128
    patience: int = 50  # epochs without a better validation loss; = epochs: never stop
    options: dict = field(default_factory=dict)  # acquisition options (e.g. beta)


@dataclass
class Curve:
    """Test accuracy after each round: ``labels[i]`` labelled items gave ``accuracy[i]``.

    ``labelled`` holds the pool indices in the order they were labelled (initial set
    first).
    """

    method: str
    seed: int
    labels: list[int] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    labelled: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "method": self.method,
            "seed": self.seed,
            "labels": self.labels,
            "accuracy": self.accuracy,
            "labelled": self.labelled,
            "seconds": round(self.seconds, 1),
        }


def initial_indices(y: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """``per_class`` random items of every class present in ``y`` (a balanced start)."""
    chosen = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if members.size < per_class:
            raise ValueError(f"class {c} has {members.size} items, fewer than {per_class}")
        chosen.append(rng.choice(members, per_class, replace=False))
    return np.concatenate(chosen)


def _accuracy(models, model, x: np.ndarray, y: np.ndarray, T: int, seed: int) -> float:
    """Accuracy of the MC-averaged predictive distribution (argmax of the mean probability)."""
    out = models.mc_predict(model, x, T=T, seed=seed, return_embedding=False)
    mean = acquisition.mean_probs(out["log_probs"])
    return float(np.mean(mean.argmax(axis=1) == y))


def run(
    method: str,
    build: ModelBuilder,
    pool: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    protocol: Protocol,
    seed: int,
    report: Report | None = None,
    initial: np.ndarray | None = None,
) -> Curve:
    """One simulated active-learning run.

    Parameters
    ----------
    method : str
        A key of :data:`services.acquisition.METHODS` (classification methods).
    build : callable(seed) -> keras.Model
        A fresh compiled classifier (e.g. :func:`services.models.build_dbal_mnist_cnn`).
    pool, validation, test : (x, y)
        Unlabelled pool with the oracle's labels (class indices 0..C-1), the validation
        set for early stopping, and the test set of the learning curve.
    protocol : Protocol
    seed : int
        Pairs runs: initial labels, each round's model seed and the dropout masks.
    report : callable(str), optional
        Gets one line per round.
    initial : ndarray of int, optional
        The first labelled pool indices (e.g. chosen without labels by TypiClust) instead
        of ``protocol.initial_per_class`` drawn per class; the rest of the run stays paired
        with the runs of the same seed (the same pool subsets while the pools agree).

    Returns
    -------
    Curve
        ``protocol.rounds + 1`` points, from the initial set to the last acquisition.
    """
    from services import models  # Keras only when a simulation runs

    if method not in acquisition.METHODS:
        raise ValueError(f"unknown acquisition method {method!r}")
    x_pool, y_pool = pool
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    labelled = initial_indices(y_pool, protocol.initial_per_class, rng)  # advances rng
    if initial is not None:
        labelled = np.unique(np.asarray(initial, dtype=np.int64))
    unlabelled = np.setdiff1d(np.arange(len(y_pool)), labelled)
    # The acquisition's own random choices get their own stream, so that the pool subsets
    # drawn by ``rng`` stay the same across methods as long as their pools agree.
    choice_rng = np.random.default_rng([seed, 1])
    curve = Curve(method, seed)
    for round_no in range(protocol.rounds + 1):
        model_seed = seed * 1000 + round_no
        model = build(model_seed)
        models.fit(
            model,
            x_pool[labelled],
            y_pool[labelled],
            validation_data=validation,
            epochs=protocol.epochs,
            batch_size=protocol.batch_size,
            patience=protocol.patience,
            seed=model_seed,
        )
        accuracy = _accuracy(models, model, *test, protocol.mc_samples, model_seed)
        curve.labels.append(int(labelled.size))
        curve.accuracy.append(accuracy)
        if report is not None:
            report(f"{method} seed {seed}: {labelled.size} labels -> {accuracy:.4f}")
        if round_no == protocol.rounds or unlabelled.size == 0:
            break
        subset = rng.choice(unlabelled, min(protocol.pool_subset, unlabelled.size), replace=False)
        out = models.mc_predict(model, x_pool[subset], T=protocol.mc_samples, seed=model_seed)
        chosen, _ = acquisition.select(
            method,
            out["log_probs"],
            k=protocol.acquire,
            rng=choice_rng,
            embedding=out["embedding"],
            **protocol.options,
        )
        labelled = np.concatenate([labelled, subset[chosen]])
        unlabelled = np.setdiff1d(unlabelled, subset[chosen], assume_unique=True)
    curve.labelled = labelled.tolist()
    curve.seconds = time.perf_counter() - start
    return curve


def labels_to_reach(curve: Curve, accuracy: float) -> int | None:
    """The fewest labels at which the curve reached ``accuracy``; None if it never did."""
    for n, a in zip(curve.labels, curve.accuracy, strict=True):
        if a >= accuracy:
            return n
    return None


def aulc(curve: Curve) -> float:
    """Area under the learning curve, normalised by its label range (a mean accuracy)."""
    labels, accuracy = np.asarray(curve.labels, float), np.asarray(curve.accuracy)
    if labels.size < 2:
        return float(accuracy[0]) if accuracy.size else float("nan")
    return float(np.trapezoid(accuracy, labels) / (labels[-1] - labels[0]))
