"""The fixed schedule of few-label training: every epoch runs, nothing is held out, and the
dense layers carry the weight decay they were built with."""

from __future__ import annotations

import numpy as np
import pytest

from services.models import fit
from tests.services.models.conftest import tiny_cnn, toy_spectra


def test_without_early_stopping_every_epoch_runs_on_every_example():
    flux, labels = toy_spectra(12, seed=4)
    calls = []
    history = fit(
        tiny_cnn(),
        flux,
        labels,
        epochs=6,
        batch_size=4,
        patience=1,
        early_stopping=False,
        class_weight="balanced",
        seed=0,
        progress=lambda f, m: calls.append(m),
        progress_per_batch=True,
    )
    assert len(history["loss"]) == 6 and "val_loss" not in history
    assert sum("batch" in m for m in calls) == 6 * 3  # all 12 examples: 3 batches an epoch


def test_a_validation_set_given_without_early_stopping_is_only_evaluated():
    flux, labels = toy_spectra(40, seed=5)
    val = (flux[:10], np.roll(labels[:10], 1))  # a loss that only gets worse
    history = fit(tiny_cnn(), flux[10:], labels[10:], validation_data=val, epochs=8,
                  patience=1, early_stopping=False)  # fmt: skip
    assert len(history["val_loss"]) == 8


@pytest.mark.parametrize("weight_decay, n_penalties", [(0.0, 0), (0.05, 2)])
def test_weight_decay_is_an_l2_penalty_on_the_dense_kernels(weight_decay, n_penalties):
    model = tiny_cnn(weight_decay=weight_decay)
    flux, _ = toy_spectra(4)
    model(flux, training=True)
    assert len(model.losses) == n_penalties
    if n_penalties:
        kernel = model.get_layer("embedding").kernel
        expected = weight_decay * float(np.sum(np.square(np.asarray(kernel))))
        assert any(float(v) == pytest.approx(expected, rel=1e-4) for v in model.losses)
