import numpy as np
import pytest

from services.models import fit
from tests.services.models.conftest import tiny_cnn, toy_spectra


def test_fit_reports_progress_per_epoch_and_batch_and_returns_learning_curves():
    flux, labels = toy_spectra(120, seed=2)
    calls = []
    history = fit(
        tiny_cnn(),
        flux,
        labels,
        epochs=2,
        batch_size=36,
        class_weight="balanced",
        progress=lambda f, m: calls.append((f, m)),
        progress_per_batch=True,
        seed=0,
    )
    assert set(history) >= {"loss", "val_loss", "accuracy", "val_accuracy"}
    assert len(history["loss"]) == 2
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(m.startswith("epoch 1/2: ") and "val_loss=" in m for _, m in calls)
    assert sum("batch" in m for _, m in calls) == 2 * 3  # 108 training spectra / 36


def test_early_stopping_on_validation_loss_restores_the_best_epoch():
    flux, labels = toy_spectra(90, seed=3)
    val = (flux[:30], np.roll(labels[:30], 1))  # validation labels that cannot be learned
    history = fit(tiny_cnn(), flux, labels, validation_data=val, epochs=30, patience=2)
    assert len(history["val_loss"]) < 30


def test_nan_in_the_training_set_is_refused_before_fitting():
    flux, labels = toy_spectra(20)
    flux[3, 0] = np.inf
    with pytest.raises(ValueError, match="training input row 3 contains NaN or infinite"):
        fit(tiny_cnn(), flux, labels, epochs=1)
