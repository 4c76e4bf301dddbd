"""2-D projections: shape, reproducibility, cluster separation, errors, top-K."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from services.projection import (
    Projection,
    ProjectionError,
    numba_setup,
    project,
    project_top_k,
    top_k,
    warm_up,
)
from services.projection import methods as projection_methods

ROOT = Path(__file__).resolve().parents[3]


def two_clusters(n_per: int = 30, n_features: int = 20, seed: int = 0):
    """Two Gaussian blobs 10 sigma apart: features [2 n_per, n_features], labels [2 n_per]."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2 * n_per, n_features))
    x[n_per:] += 10.0 / np.sqrt(n_features)  # distance between centres: 10
    return x.astype(np.float32), np.repeat([0, 1], n_per)


def nearest_centroid_accuracy(coords: np.ndarray, labels: np.ndarray) -> float:
    centroids = np.stack([coords[labels == c].mean(axis=0) for c in (0, 1)])  # [2, 2]
    distances = np.linalg.norm(coords[:, None, :] - centroids[None], axis=2)  # [n, 2]
    return float((distances.argmin(axis=1) == labels).mean())


def check_projection(projection: Projection, labels: np.ndarray) -> None:
    coords, info = projection
    assert coords.shape == (len(labels), 2)
    assert coords.dtype == np.float32
    assert np.isfinite(coords).all()
    assert nearest_centroid_accuracy(coords, labels) == 1.0
    assert info["n_points"] == len(labels)


@pytest.mark.parametrize(
    ("method", "backend"), [("pca", "auto"), ("tsne", "opentsne"), ("tsne", "sklearn")]
)
def test_projection_is_finite_2d_reproducible_and_separates_two_clusters(method, backend):
    x, labels = two_clusters()
    first = project(x, method, random_state=3, tsne_backend=backend)
    check_projection(first, labels)
    again = project(x, method, random_state=3, tsne_backend=backend)
    np.testing.assert_array_equal(first.coords, again.coords)
    assert first.info["method"] == method


def test_umap_separates_clusters_reproducibly():
    # The only UMAP test: numba compiles UMAP's layout code on the first call (seconds).
    x, labels = two_clusters()
    first = project(x, "umap", random_state=7)
    check_projection(first, labels)
    np.testing.assert_array_equal(first.coords, project(x, "umap", random_state=7).coords)
    assert first.info["implementation"].startswith("umap-learn")


def test_warm_up_points_numba_at_the_cache_directory_it_is_given(tmp_path, monkeypatch):
    from numba.core import config

    # Undo what warm_up sets process-wide once the test is over.
    monkeypatch.setenv("NUMBA_CACHE_DIR", "")
    monkeypatch.setattr(config, "CACHE_DIR", config.CACHE_DIR)
    monkeypatch.setattr(numba_setup, "_cache_dir", None)
    seconds = warm_up(tmp_path / "numba", n_points=30, methods=("tsne",))  # UMAP: see above
    assert seconds > 0
    assert (tmp_path / "numba").is_dir()
    assert os.environ["NUMBA_CACHE_DIR"] == config.CACHE_DIR == str(tmp_path / "numba")
    assert numba_setup.numba_cache_dir() == tmp_path / "numba"


def test_importing_umap_through_projection_does_not_import_tensorflow():
    code = (
        "import sys; from services.projection import import_umap; import_umap(); "
        "print('tensorflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_different_seeds_give_different_tsne_layouts():
    x, _labels = two_clusters()
    a = project(x, "tsne", random_state=1).coords
    b = project(x, "tsne", random_state=2).coords
    assert not np.array_equal(a, b)


def test_flux_is_standardised_and_reduced_before_tsne():
    rng = np.random.default_rng(0)
    flux = rng.normal(size=(40, 300)) * np.linspace(1, 100, 300)  # [n, n_pix]
    coords, info = project(flux, "tsne", standardize=True, reduce_dims=50)
    assert coords.shape == (40, 2)
    assert info["standardized"] is True
    assert info["reduced_to"] == 40  # no more components than points
    assert 0 < info["reduced_variance"] <= 1


def test_three_points_and_a_single_feature_still_project():
    coords, _info = project(np.arange(3.0)[:, None], "pca")
    assert coords.shape == (3, 2)
    assert np.all(coords[:, 1] == 0)
    assert project(np.eye(3), "tsne").coords.shape == (3, 2)


@pytest.mark.parametrize(
    ("features", "method", "message"),
    [
        (np.zeros((2, 4)), "pca", "at least 3 points"),
        (np.zeros(5), "pca", "must be 2-D"),
        (np.array([[0.0, 1], [np.nan, 1], [2, 2], [3, np.inf]]), "pca", "2 rows .* row 1"),
        (np.zeros((5, 4)), "isomap", "unknown method 'isomap'"),
    ],
)
def test_bad_input_raises_a_clear_projection_error(features, method, message):
    with pytest.raises(ProjectionError, match=message):
        project(features, method)


def test_sklearn_tsne_refuses_more_points_than_its_limit(monkeypatch):
    monkeypatch.setattr(projection_methods, "SKLEARN_TSNE_MAX_POINTS", 10)
    with pytest.raises(ProjectionError, match="limited to 10 points"):
        project(np.random.default_rng(0).normal(size=(11, 3)), "tsne", tsne_backend="sklearn")


def test_top_k_takes_highest_scores_first_and_breaks_ties_by_index():
    scores = np.array([0.1, 0.9, 0.5, 0.9, 0.2])
    np.testing.assert_array_equal(top_k(scores, 3), [1, 3, 2])
    np.testing.assert_array_equal(top_k(scores, 99), [1, 3, 2, 4, 0])
    with pytest.raises(ProjectionError, match="NaN"):
        top_k(np.array([0.1, np.nan]), 1)
    with pytest.raises(ProjectionError, match="at least 1"):
        top_k(scores, 0)


def test_project_top_k_projects_the_selected_rows_in_selection_order():
    x, _labels = two_clusters()
    scores = np.random.default_rng(1).random(len(x))
    indices, projection = project_top_k(x, scores, "pca", k=25)
    np.testing.assert_array_equal(indices, top_k(scores, 25))
    expected = project(x[indices], "pca").coords
    np.testing.assert_allclose(projection.coords, expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ProjectionError, match="scores for"):
        project_top_k(x, scores[:-1], "pca")
