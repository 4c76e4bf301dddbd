"""Tiny real Keras models on toy spectra; TF thread pools capped for the 2-core machines."""

from __future__ import annotations

import os

# Before Keras/TensorFlow is imported: two cores, shared with other jobs.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "2")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

N_PIX = 128
CLASSES = ("absorption", "emission", "flat")


def toy_spectra(n: int, seed: int = 0, n_pix: int = N_PIX) -> tuple[np.ndarray, np.ndarray]:
    """Flat continua with a Gaussian absorption line, an emission line, or nothing.

    Returns flux (n, n_pix) float32 and labels (n,) in {0: absorption, 1: emission, 2: flat}.
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    pix = np.arange(n_pix)
    centre = rng.uniform(0.2 * n_pix, 0.8 * n_pix, (n, 1))
    line = np.exp(-0.5 * ((pix - centre) / 3.0) ** 2)
    sign = np.select([labels == 0, labels == 1], [-0.6, 0.6], 0.0)[:, None]
    flux = 1.0 + sign * line + rng.normal(0, 0.05, (n, n_pix))
    return flux.astype(np.float32), labels


def tiny_cnn(dropout: float = 0.25, seed: int = 0, **kwargs):
    from services.models import Head, build_spectrum_cnn

    return build_spectrum_cnn(
        N_PIX,
        Head.classification(CLASSES),
        filters=(8, 16),
        kernel_sizes=(7, 5),
        dense=32,
        dropout=dropout,
        seed=seed,
        **kwargs,
    )


@pytest.fixture(scope="session")
def trained_classifier():
    """A tiny spectrum CNN trained on the toy problem, with its history and held-out data."""
    from services.models import fit

    flux, labels = toy_spectra(600, seed=1)
    model = tiny_cnn(seed=2)
    history = fit(model, flux, labels, epochs=8, batch_size=32, patience=3, seed=3)
    return model, history, toy_spectra(300, seed=9)
