"""TypiClust proposes typical spectra of different regions, skipping covered ones."""

from __future__ import annotations

import numpy as np
import pytest

from services.acquisition.typiclust import typicality, typiclust

CENTRES = np.array([[0, 0], [10, 0], [0, 10], [10, 10], [20, 5], [-10, 5]], dtype=float)


def blobs(per_blob=(60, 50, 40, 70, 45, 55), seed=0, outliers=True):
    """Gaussian blobs around CENTRES (sigma 1), plus a far outlier next to each blob."""
    rng = np.random.default_rng(seed)
    points, blob = [], []
    for i, (centre, n) in enumerate(zip(CENTRES, per_blob, strict=True)):
        points.append(centre + rng.standard_normal((n, 2)))
        blob += [i] * n
        if outliers:
            points.append(centre + np.array([[3.5, 3.5]]))
            blob.append(i)
    return np.vstack(points), np.array(blob)


def test_one_point_per_blob_before_a_second_of_any():
    x, blob = blobs()
    chosen = typiclust(x, len(CENTRES), seed=0)
    assert sorted(blob[chosen.rows]) == list(range(len(CENTRES)))
    # twice the budget: every blob is still covered, no row twice
    twice = typiclust(x, 2 * len(CENTRES), seed=0)
    assert len(set(blob[twice.rows])) == len(CENTRES)
    assert len(set(twice.rows)) == twice.rows.size


def test_chosen_points_are_typical_not_outliers():
    x, blob = blobs()
    chosen = typiclust(x, len(CENTRES), seed=1)
    distance = np.linalg.norm(x[chosen.rows] - CENTRES[blob[chosen.rows]], axis=1)
    assert distance.max() < 1.0, distance  # the outliers are 4.9 away, sigma is 1
    assert (chosen.typicality > 0).all() and np.isfinite(chosen.typicality).all()


def test_clusters_of_labelled_points_are_skipped():
    x, blob = blobs()
    labelled = [int(np.flatnonzero(blob == 0)[0]), int(np.flatnonzero(blob == 3)[5])]
    chosen = typiclust(x, len(CENTRES) - 2, labelled=labelled, seed=0)
    assert sorted(blob[chosen.rows]) == [1, 2, 4, 5]
    assert not set(chosen.rows) & set(labelled)


def test_seeded_and_reproducible():
    x, _ = blobs(seed=3)
    a = typiclust(x, 8, seed=7)
    b = typiclust(x, 8, seed=7)
    np.testing.assert_array_equal(a.rows, b.rows)
    np.testing.assert_array_equal(a.typicality, b.typicality)


def test_budget_beyond_the_pool_takes_every_unlabelled_row_once():
    x = np.random.default_rng(0).standard_normal((7, 3))
    chosen = typiclust(x, 50, labelled=[2])
    assert sorted(chosen.rows) == [0, 1, 3, 4, 5, 6]
    assert typiclust(x, 5, labelled=range(7)).rows.size == 0


def test_duplicates_and_tiny_pools():
    x = np.vstack([np.zeros((30, 4)), np.ones((30, 4))])  # two distinct points, repeated
    chosen = typiclust(x, 5, seed=0)
    assert chosen.n_clusters == 2
    assert chosen.rows.size == 5 and len(set(chosen.rows)) == 5
    assert set(x[chosen.rows[:2], 0]) == {0.0, 1.0}  # both places before a second of either
    one = typiclust(np.array([[1.0, 2.0]]), 3)
    assert one.rows.tolist() == [0]


def test_typicality_is_high_in_dense_places():
    x, _ = blobs(outliers=False)
    far = np.vstack([x, [[100.0, 100.0]]])
    values = typicality(far)
    assert values[-1] < values[:-1].min()


def test_bad_features_are_refused():
    with pytest.raises(ValueError, match="2-D"):
        typiclust(np.zeros(5), 2)
    with pytest.raises(ValueError, match="NaN"):
        typiclust(np.array([[np.nan, 0.0], [1.0, 1.0]]), 1)


def test_many_labels_do_not_make_thousands_of_clusters():
    x, blob = blobs(per_blob=(200,) * len(CENTRES))
    labelled = np.flatnonzero(blob != 2)  # every blob but one is labelled, 1005 spectra
    chosen = typiclust(x, 3, labelled=labelled, seed=0)
    assert chosen.n_clusters == 500
    assert set(blob[chosen.rows]) == {2}  # the one region nobody labelled
