"""train -> score on a small synthetic dataset, and the errors a user gets for bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from astropy.io.votable import parse_single_table

from services import score, train
from services.jobs import JobFailure
from tests.services.learning.conftest import CLASSES, TRAIN, context


def test_training_learns_and_reports_calibration(trained):
    results_dir, results = trained
    ids = {r.id for r in results}
    assert {"result", "model", "model-info", "metrics", "learning-curve", "calibration"} <= ids
    found = json.loads((results_dir / "metrics.json").read_text())
    assert found["accuracy"] >= 0.8, found
    assert 0.0 <= found["ece"] <= 1.0 and found["n_labelled"] == 3 * 30
    sidecar = json.loads((results_dir / "model.json").read_text())
    assert sidecar["n_pix"] == 64 and sidecar["head"]["names"] == sorted(CLASSES)
    assert "<html" in (results_dir / "calibration.html").read_text().lower()
    table = parse_single_table(results_dir / "validation.vot").to_table()
    assert len(table) == found["n_validation"] and set(table["label"]) <= set(CLASSES)


def test_scoring_selects_and_predicts(space, trained, tmp_path):
    results_dir, _ = trained
    ctx = context(space, tmp_path, "score1")
    params = score.Parameters(
        model=results_dir,
        dataset="toy",
        k=7,
        mc_samples=10,
        acquisition="batchbald",
        candidate_class="emission",
    )
    ids = [r.id for r in score.run(params, ctx)]
    assert ids == ["result", "top-k", "arrays", "candidates"]
    table = parse_single_table(ctx.results_dir / "scores.vot").to_table()
    assert len(table) == 90 and (table["selected"] >= 0).sum() == 7
    assert np.mean(table["predicted"] == np.repeat(CLASSES, 30)) >= 0.8
    arrays = np.load(ctx.results_dir / "arrays.npz")
    assert arrays["embedding"].shape == (90, 32) and arrays["selected"].size == 7
    candidates = parse_single_table(ctx.results_dir / "candidates.vot").to_table()
    assert set(candidates["predicted"]) == {"emission"}
    assert np.all(np.diff(candidates["confidence"]) <= 0)


def test_a_model_from_another_grid_is_refused(space, trained, tmp_path):
    params = score.Parameters(model=trained[0], dataset="other-grid")
    with pytest.raises(JobFailure, match="48 pixels"):
        score.run(params, context(space, tmp_path, "score2"))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"target": "colour"}, "no label column 'colour'"),
        ({"dataset": "nope"}, "dataset 'nope'"),
        ({"labels_file": "missing.csv"}, "unreadable label snapshot"),
    ],
)
def test_bad_training_input_is_a_clear_error(space, tmp_path, change, message):
    with pytest.raises(JobFailure, match=message):
        train.run(train.Parameters(**{**TRAIN, **change}), context(space, tmp_path, "bad"))


def test_one_class_or_too_few_labels_are_refused(space, tmp_path):
    (space.files / "one.csv").write_text(
        "path,class\n" + "".join(f"demo/s{i:03d}.fits,absorption\n" for i in range(20))
    )
    (space.files / "few.csv").write_text("path,class\ndemo/s000.fits,a\ndemo/s050.fits,b\n")
    (space.files / "alien.csv").write_text("path,class\nelsewhere/x.fits,a\n")
    for name, message in [
        ("one.csv", "one class"),
        ("few.csv", "only 2 labelled"),
        ("alien.csv", "does not match the dataset"),
    ]:
        with pytest.raises(JobFailure, match=message):
            train.run(
                train.Parameters(**{**TRAIN, "labels_file": name}), context(space, tmp_path, name)
            )


def test_parameters_are_checked_before_any_work():
    with pytest.raises(ValueError, match="either as LABELS"):
        train.Parameters(dataset="toy")
    with pytest.raises(ValueError, match="same number"):
        train.Parameters(**{**TRAIN, "kernel_sizes": "5"})


@pytest.mark.parametrize("method, features", [("pca", "embedding"), ("tsne", "flux")])
def test_projection_of_the_selection(space, trained, tmp_path, method, features):
    from services import project

    scored = context(space, tmp_path, "score3")
    score.run(score.Parameters(model=trained[0], dataset="toy", k=40, mc_samples=5), scored)
    ctx = context(space, tmp_path, "project1")
    params = project.Parameters(scores=scored.results_dir, method=method, features=features, k=30)
    ids = [r.id for r in project.run(params, ctx)]
    assert ids == ["result", "coords", "plot", "info"]
    table = parse_single_table(ctx.results_dir / "projection.vot").to_table()
    assert len(table) == 30 and np.all(np.isfinite(table["x"]))
    top = parse_single_table(scored.results_dir / "top_k.vot").to_table()
    assert list(table["path"]) == list(top["path"][:30])  # acquisition order kept
    assert "lasso" in (ctx.results_dir / "projection.html").read_text().lower()


def test_an_active_learning_round_scores_selects_and_projects(space, trained, tmp_path):
    from services import al_round

    ctx = context(space, tmp_path, "round1")
    seen = []
    ctx.report = lambda fraction, message: seen.append(fraction)
    params = al_round.Parameters(
        model=trained[0],
        dataset="toy",
        k=12,
        mc_samples=5,
        method="pca",
        acquisition="bald_kcenter",
    )
    ids = [r.id for r in al_round.run(params, ctx)]
    assert ids[0] == "result" and {"scores", "top-k", "arrays", "plot"} <= set(ids)
    assert len(ids) == len(set(ids))
    table = parse_single_table(ctx.results_dir / "projection.vot").to_table()
    assert len(table) == 12
    assert seen == sorted(seen) and seen[-1] == 1.0  # one progress bar across both stages
