"""The simulated active-learning loop (DBAL protocol) on a small synthetic pool."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from services import models
from services.learning import simulate
from tests.services.learning.conftest import CLASSES, N_PIX, make_spectra

PROTOCOL = simulate.Protocol(
    initial_per_class=2,
    acquire=4,
    rounds=2,
    mc_samples=4,
    pool_subset=40,
    epochs=4,
    batch_size=16,
    patience=4,
)


def _data():
    pool_x, names = make_spectra(seed=1)
    pool_y = np.array([CLASSES.index(n) for n in names])
    test_x, test_names = make_spectra(seed=2)
    test_y = np.array([CLASSES.index(n) for n in test_names])
    return (pool_x, pool_y), (test_x[::3], test_y[::3]), (test_x, test_y)


def _build(seed: int):
    head = models.Head.classification(len(CLASSES))
    return models.build_spectrum_cnn(
        N_PIX, head, filters=(4,), kernel_sizes=(5,), dense=8, seed=seed
    )


@pytest.fixture(scope="module")
def curves():
    pool, validation, test = _data()
    return {
        method: simulate.run(method, _build, pool, validation, test, PROTOCOL, seed=3)
        for method in ("bald", "random")
    }


def test_each_round_adds_the_acquired_items_once(curves):
    for curve in curves.values():
        assert curve.labels == [6, 10, 14]
        assert len(curve.accuracy) == 3
        assert all(0.0 <= a <= 1.0 for a in curve.accuracy)
        assert len(curve.labelled) == 14 == len(set(curve.labelled))


def test_runs_with_the_same_seed_are_paired(curves):
    bald, random = curves["bald"], curves["random"]
    assert bald.labelled[:6] == random.labelled[:6]  # the same initial labels
    assert bald.accuracy[0] == random.accuracy[0]  # the same first model
    assert bald.labelled[6:] != random.labelled[6:]  # they differ only by what they chose


def test_the_initial_set_is_class_balanced():
    y = np.repeat(np.arange(3), 10)
    chosen = simulate.initial_indices(y, 2, np.random.default_rng(0))
    assert np.bincount(y[chosen]).tolist() == [2, 2, 2]
    with pytest.raises(ValueError, match="fewer than 11"):
        simulate.initial_indices(y, 11, np.random.default_rng(0))


def test_labels_to_reach_and_the_area_under_the_curve():
    curve = simulate.Curve("bald", 0, labels=[20, 30, 40], accuracy=[0.5, 0.9, 0.96])
    assert simulate.labels_to_reach(curve, 0.9) == 30
    assert simulate.labels_to_reach(curve, 0.97) is None
    # trapezoids: (0.5 + 0.9) / 2 * 10 + (0.9 + 0.96) / 2 * 10 over 20 labels
    assert simulate.aulc(curve) == pytest.approx((7.0 + 9.3) / 20)


def test_an_unknown_method_is_refused_before_any_training():
    pool, validation, test = _data()
    with pytest.raises(ValueError, match="unknown acquisition method"):
        simulate.run("guess", _build, pool, validation, test, PROTOCOL, seed=0)


def test_a_run_can_start_from_given_labels():
    pool, validation, test = _data()
    quick = dataclasses.replace(PROTOCOL, rounds=1, epochs=2)
    curve = simulate.run("bald", _build, pool, validation, test, quick, seed=3, initial=[9, 0, 5])
    assert curve.labels == [3, 7] and curve.labelled[:3] == [0, 5, 9]
    assert len(set(curve.labelled)) == 7
