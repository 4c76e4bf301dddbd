"""Vote counts (binomial head, Walmsley et al. 2020): train -> score on the toy dataset."""

from __future__ import annotations

import json

import numpy as np
import pytest
from astropy.io.votable import parse_single_table

from services import score, train
from services.acquisition import answer_log_probs, bald
from services.jobs import JobFailure
from tests.services.learning.conftest import CLASSES, PER_CLASS, TRAIN, context

VOTES = {**TRAIN, "task": "votes", "target": "emission,absorption", "labels_file": "votes.csv"}


@pytest.fixture(scope="module")
def voted(space, tmp_path_factory):
    rng = np.random.default_rng(5)
    lines = ["path,emission,absorption,total"]
    for i in range(len(CLASSES) * PER_CLASS):
        name = CLASSES[i // PER_CLASS]
        voters = int(rng.integers(5, 30))
        emission = rng.binomial(voters, 0.9 if name == "emission" else 0.05)
        absorption = rng.binomial(voters, 0.85 if name == "absorption" else 0.1)
        lines.append(f"demo/s{i:03d}.fits,{emission},{absorption},{voters}")
    (space.files / "votes.csv").write_text("\n".join(lines) + "\n")
    ctx = context(space, tmp_path_factory.mktemp("votes"), "votes")
    results = train.run(train.Parameters(**VOTES), ctx)
    return ctx.results_dir, results


def test_a_vote_model_learns_the_fractions(voted):
    results_dir, results = voted
    assert "calibration" not in {r.id for r in results}
    found = json.loads((results_dir / "metrics.json").read_text())
    assert found["rmse_fraction"] < 0.2, found
    assert set(found["questions"]) == {"emission", "absorption"}
    assert 0.0 <= found["coverage_90%"] <= 1.0 and found["nll_per_item"] > 0
    sidecar = json.loads((results_dir / "model.json").read_text())
    assert sidecar["head"] == {"kind": "binomial", "names": ["emission", "absorption"]}


def test_scoring_a_vote_model_gives_fractions_and_selects(space, voted, tmp_path):
    ctx = context(space, tmp_path, "vscore")
    params = score.Parameters(model=voted[0], dataset="toy", k=6, mc_samples=8)
    score.run(params, ctx)
    table = parse_single_table(ctx.results_dir / "scores.vot").to_table()
    assert (np.asarray(table["selected"]) >= 0).sum() == 6
    emission = np.asarray(table["emission_fraction"])
    truth = np.repeat(CLASSES, PER_CLASS) == "emission"
    assert emission[truth].mean() > 0.7 > 0.3 > emission[~truth].mean()
    with pytest.raises(JobFailure, match="needs a classification model"):
        score.run(
            score.Parameters(model=voted[0], dataset="toy", mc_samples=4, candidate_class="x"),
            context(space, tmp_path, "vscore2"),
        )


def test_one_vote_patterns_make_bald_zero_when_the_samples_agree():
    agree = np.full((5, 3, 2), 0.3)
    assert np.allclose(bald(answer_log_probs(agree)), 0.0, atol=1e-6)
    split = np.concatenate([np.full((5, 1, 1), 0.01), np.full((5, 1, 1), 0.99)])  # T = 10
    expected_entropy = -(0.01 * np.log(0.01) + 0.99 * np.log(0.99))  # of each sample
    assert bald(answer_log_probs(split))[0] == pytest.approx(np.log(2) - expected_entropy)


@pytest.mark.parametrize(
    "content, message",
    [
        ("path,emission,absorption,total\ndemo/s000.fits,4,1,3\n", "between 0 and the 'total'"),
        ("path,emission,absorption,total\ndemo/s000.fits,x,1,3\n", "must be numbers"),
        ("path,emission,total\ndemo/s000.fits,1,3\n", "no label column 'absorption'"),
    ],
)
def test_bad_vote_snapshots_are_clear_errors(space, tmp_path, content, message):
    (space.files / "bad-votes.csv").write_text(content)
    params = train.Parameters(**{**VOTES, "labels_file": "bad-votes.csv"})
    with pytest.raises(JobFailure, match=message):
        train.run(params, context(space, tmp_path, "bad"))
