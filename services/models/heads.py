"""Output heads: what a model predicts, its likelihood, and its output layer.

Three kinds, each a final layer with a fixed name (so a loaded model says what it predicts):

``classification``
    ``logits`` : shape (n, C); loss: sparse categorical cross-entropy on the logits.
``heteroscedastic``
    ``gaussian`` : shape (n, 2), columns (mean, log variance); loss: :class:`GaussianNLL`.
``binomial``
    ``vote_logits`` : shape (n, Q), one logit of the vote fraction per question
    (Walmsley et al. 2020); loss: :class:`BinomialNLL` on targets of shape (n, Q, 2)
    holding (k votes for, n votes in total).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import keras
import numpy as np
from keras import layers, ops

__all__ = [
    "OUTPUT_LAYER_NAMES",
    "BinomialNLL",
    "GaussianNLL",
    "Head",
    "HeadKind",
    "balanced_class_weights",
    "head_kind_of",
]

HeadKind = Literal["classification", "heteroscedastic", "binomial"]
OUTPUT_LAYER_NAMES: dict[str, str] = {
    "classification": "logits",
    "heteroscedastic": "gaussian",
    "binomial": "vote_logits",
}


@dataclass(frozen=True)
class Head:
    """What a model predicts.

    Attributes
    ----------
    kind : {"classification", "heteroscedastic", "binomial"}
    names : tuple of str
        Class names (classification), the target name (heteroscedastic, one target) or
        question names (binomial).
    """

    kind: HeadKind
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.kind not in OUTPUT_LAYER_NAMES:
            raise ValueError(
                f"unknown head kind {self.kind!r}; use one of {list(OUTPUT_LAYER_NAMES)}"
            )
        if not self.names:
            raise ValueError("a head needs at least one class, target or question name")

    @classmethod
    def classification(cls, classes: Sequence[str] | int) -> Head:
        """Softmax over ``classes`` (names, or a count: names ``"0"``, ``"1"``, ...)."""
        names = [str(i) for i in range(classes)] if isinstance(classes, int) else classes
        if len(names) < 2:
            raise ValueError("classification needs at least two classes")
        return cls("classification", tuple(names))

    @classmethod
    def heteroscedastic(cls, target: str = "y") -> Head:
        """Gaussian mean and log-variance of one real target."""
        return cls("heteroscedastic", (target,))

    @classmethod
    def binomial(cls, questions: Sequence[str]) -> Head:
        """One vote-fraction probability per question, binomial likelihood of the votes."""
        return cls("binomial", tuple(questions))

    @property
    def n_outputs(self) -> int:
        """Width of the output layer."""
        return 2 if self.kind == "heteroscedastic" else len(self.names)

    @property
    def output_name(self) -> str:
        """Name of the output layer."""
        return OUTPUT_LAYER_NAMES[self.kind]

    def output_layer(self) -> layers.Dense:
        """A fresh output layer (named after the kind), not yet called."""
        return layers.Dense(self.n_outputs, name=self.output_name)

    def loss(self) -> keras.losses.Loss:
        """The negative log-likelihood to compile the model with."""
        if self.kind == "classification":
            return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        return GaussianNLL() if self.kind == "heteroscedastic" else BinomialNLL()

    def to_json(self) -> dict:
        return {"kind": self.kind, "names": list(self.names)}

    @classmethod
    def from_json(cls, data: dict) -> Head:
        return cls(data["kind"], tuple(data["names"]))


def head_kind_of(model: keras.Model) -> HeadKind:
    """The head kind of a model built here, from the name of its output layer."""
    by_name = {name: kind for kind, name in OUTPUT_LAYER_NAMES.items()}
    name = model.layers[-1].name
    if name not in by_name:
        raise ValueError(
            f"cannot tell what the model predicts: its last layer is {name!r}, "
            f"expected one of {sorted(by_name)}; pass kind= explicitly"
        )
    return by_name[name]  # type: ignore[return-value]


@keras.saving.register_keras_serializable(package="vocloud")
class GaussianNLL(keras.losses.Loss):
    """Gaussian negative log-likelihood, ``0.5 * (s + (y - mu)**2 * exp(-s))`` per example.

    ``y_pred`` has shape (n, 2): mean ``mu`` and log-variance ``s`` (clipped to [-15, 15]);
    ``y_true`` has shape (n,) or (n, 1). The constant ``0.5 * log(2 pi)`` is left out.
    """

    def __init__(self, name: str = "gaussian_nll", **kwargs) -> None:
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        y = ops.reshape(ops.cast(y_true, y_pred.dtype), (-1,))
        mean, log_var = y_pred[:, 0], ops.clip(y_pred[:, 1], -15.0, 15.0)
        return 0.5 * (log_var + ops.square(y - mean) * ops.exp(-log_var))


@keras.saving.register_keras_serializable(package="vocloud")
class BinomialNLL(keras.losses.Loss):
    """Binomial negative log-likelihood of vote counts (Walmsley et al. 2020).

    ``y_true`` has shape (n, Q, 2): ``k`` votes for and ``N`` votes in total per question;
    ``y_pred`` has shape (n, Q): logits of the vote fraction ``rho``. Per example the loss is
    ``-sum_q [k log rho + (N - k) log(1 - rho)]``, the NLL up to the constant
    ``log C(N, k)``. Questions nobody answered (``N = 0``) contribute nothing.
    """

    def __init__(self, name: str = "binomial_nll", **kwargs) -> None:
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        k, total = y_true[..., 0], y_true[..., 1]
        log_rho, log_not_rho = ops.log_sigmoid(y_pred), ops.log_sigmoid(-y_pred)
        return -ops.sum(k * log_rho + (total - k) * log_not_rho, axis=-1)


def balanced_class_weights(labels: np.ndarray, n_classes: int) -> dict[int, float]:
    """Class weights ``n / (C * n_c)`` (scikit-learn's "balanced"), for ``fit(class_weight=)``.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
        Class indices in ``[0, n_classes)``.
    n_classes : int
        Number of classes ``C``; a class without examples gets weight 0.

    Returns
    -------
    dict of int to float
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError("class weights need a non-empty 1-D array of class indices")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"class indices must lie in [0, {n_classes})")
    counts = np.bincount(labels.astype(np.int64), minlength=n_classes)
    weights = np.where(counts > 0, labels.size / (n_classes * np.maximum(counts, 1)), 0.0)
    return {c: float(w) for c, w in enumerate(weights)}
