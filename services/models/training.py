"""Training, with early stopping on the validation loss or on a fixed schedule, and progress
reporting.

Early stopping needs a validation set large enough for its loss to mean something: with
tens of labels a held-out 20 % is a handful of spectra, whose loss jumps from epoch to epoch
and stops training at random (and sometimes on a model that calls everything one class).
``early_stopping=False`` trains on every example for ``epochs`` epochs instead (the DBAL
regime of Gal, Islam & Ghahramani 2017: fixed schedule, weight decay scaled by 1/N).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

import keras
import numpy as np

from services.models.heads import balanced_class_weights
from services.models.scoring import check_finite

__all__ = ["ProgressCallback", "fit"]
logger = logging.getLogger(__name__)
Progress = Callable[[float, str], None]


class ProgressCallback(keras.callbacks.Callback):
    """Report ``progress(fraction, message)`` after each epoch (and optionally each batch).

    ``fraction`` is the share of ``epochs`` done; early stopping ends below 1, so
    :func:`fit` reports 1.0 once training has ended.
    """

    def __init__(self, progress: Progress, epochs: int, per_batch: bool = False) -> None:
        super().__init__()
        self.progress, self.epochs, self.per_batch = progress, epochs, per_batch
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.per_batch:
            steps = self.params.get("steps") or (batch + 1)
            fraction = (self._epoch + min((batch + 1) / steps, 1.0)) / self.epochs
            self.progress(fraction, f"epoch {self._epoch + 1}, batch {batch + 1}/{steps}")

    def on_epoch_end(self, epoch, logs=None):
        shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted((logs or {}).items()))
        self.progress((epoch + 1) / self.epochs, f"epoch {epoch + 1}/{self.epochs}: {shown}")


def _split(x, y, fraction: float, seed: int | None):
    """A seeded random train/validation split (Keras' own split takes the last rows)."""
    n = len(x)
    n_val = max(1, round(n * fraction))
    if n - n_val < 1:
        raise ValueError(f"{n} examples are too few to hold out a validation set")
    order = np.random.default_rng(seed).permutation(n)
    val, train = order[:n_val], order[n_val:]
    return (x[train], y[train]), (x[val], y[val])


def fit(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    validation_fraction: float = 0.1,
    epochs: int = 50,
    batch_size: int = 64,
    patience: int = 5,
    early_stopping: bool = True,
    class_weight: dict[int, float] | Literal["balanced"] | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    progress_per_batch: bool = False,
) -> dict[str, list[float]]:
    """Train ``model`` with early stopping on the validation loss (best weights restored),
    or for a fixed number of epochs on every example.

    Parameters
    ----------
    model : keras.Model
        Compiled (the builders in :mod:`services.models.architectures` compile).
    x : ndarray, shape (n, n_pix)
        Training inputs; NaN or inf raises ValueError before training.
    y : ndarray
        Targets: class indices (n,), real values (n,), or votes (n, Q, 2).
    validation_data : (x_val, y_val), optional
        Default: a seeded random ``validation_fraction`` of ``x`` when ``early_stopping``,
        none otherwise (then the history has no ``val_`` series).
    epochs, batch_size, patience : int
        Maximum epochs, batch size, epochs without improvement before stopping.
    early_stopping : bool
        Stop on the validation loss; False runs all ``epochs`` (a validation set, when
        given, is only evaluated).
    class_weight : dict or "balanced", optional
        Per-class loss weights; "balanced" computes ``n / (C * n_c)`` from ``y``.
    seed : int, optional
        :func:`keras.utils.set_random_seed` before training (shuffling, dropout).
    progress : callable(fraction, message), optional
        Called after each epoch (and batch if ``progress_per_batch``) and at the end.

    Returns
    -------
    dict of str to list of float
        Keras history: ``loss``, ``val_loss`` and metrics per epoch (learning curves).
    """
    x, y = np.asarray(x, dtype=np.float32), np.asarray(y)
    check_finite(x, "training input")
    check_finite(y.astype(np.float64), "training target")
    if validation_data is None and early_stopping:
        (x, y), validation_data = _split(x, y, validation_fraction, seed)
    if validation_data is not None:
        check_finite(np.asarray(validation_data[0], dtype=np.float32), "validation input")
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight must be a dict or 'balanced', not {class_weight!r}")
        class_weight = balanced_class_weights(y, model.outputs[0].shape[-1])
    if seed is not None:
        keras.utils.set_random_seed(seed)
    callbacks: list[keras.callbacks.Callback] = []
    if early_stopping:
        callbacks.append(
            keras.callbacks.EarlyStopping("val_loss", patience=patience, restore_best_weights=True)
        )
    if progress is not None:
        callbacks.append(ProgressCallback(progress, epochs, progress_per_batch))
    history = model.fit(
        x,
        y,
        validation_data=validation_data,
        epochs=epochs,
        batch_size=batch_size,
        class_weight=class_weight,
        callbacks=callbacks,
        verbose=0,
    )
    if progress is not None:
        progress(1.0, f"training finished after {len(history.epoch)} epochs")
    losses = history.history.get("val_loss") or history.history["loss"]
    which = "val_loss" if "val_loss" in history.history else "training loss"
    logger.info("trained %d epochs, best %s %.4g", len(history.epoch), which, min(losses))
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}
