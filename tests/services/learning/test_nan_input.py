"""NaN flux reaching a learning job is a clear job error naming the rows, not a crash."""

from __future__ import annotations

import numpy as np
import pytest

from services import score, train
from services.datasets.grid import Grid
from services.datasets.writer import DatasetWriter
from services.jobs import JobFailure
from tests.services.learning.conftest import N_PIX, TRAIN, context, make_spectra


@pytest.fixture(scope="module")
def nan_dataset(space):
    flux, _labels = make_spectra(seed=3)
    flux[7, 10] = np.nan  # an unmasked NaN pixel in row 7
    writer = DatasetWriter(space.datasets, "with-nan", Grid.linear(6400.0, 6700.0, N_PIX), 90)
    for i, row in enumerate(flux):
        writer.append(
            row,
            np.ones(N_PIX, np.float32),
            np.zeros(N_PIX, bool),
            {"path": f"demo/s{i:03d}.fits", "object": str(i)},
        )
    writer.commit({"sources": ["demo"]})
    return "with-nan"


def test_training_on_nan_flux_names_the_rows(space, nan_dataset, tmp_path):
    params = train.Parameters(**{**TRAIN, "dataset": nan_dataset})
    with pytest.raises(JobFailure, match=r"NaN or infinite values in rows \[7\]"):
        train.run(params, context(space, tmp_path, "nan-train"))


def test_scoring_nan_flux_names_the_rows(space, trained, nan_dataset, tmp_path):
    params = score.Parameters(model=trained[0], dataset=nan_dataset, mc_samples=4)
    with pytest.raises(JobFailure, match=r"NaN or infinite values in rows \[7\]"):
        score.run(params, context(space, tmp_path, "nan-score"))
