""" "Am I correct?" estimates from expert verdicts, and the pool a score job selects from."""

from __future__ import annotations

import json

import numpy as np
import pytest
from astropy.io.votable import parse_single_table
from scipy import stats

from services import assess, score
from services.jobs import JobFailure
from tests.services.learning.conftest import context


@pytest.fixture(scope="module")
def scored(space, trained, tmp_path_factory):
    ctx = context(space, tmp_path_factory.mktemp("score"), "scored")
    score.run(score.Parameters(model=trained[0], dataset="toy", k=5, mc_samples=5), ctx)
    table = parse_single_table(ctx.results_dir / "scores.vot").to_table()
    return ctx.results_dir, table


def test_verdicts_give_per_class_rates_with_exact_binomial_intervals(space, scored, tmp_path):
    results_dir, table = scored
    predicted = np.asarray(table["predicted"]).astype(str)
    paths = np.asarray(table["path"]).astype(str)
    emission = np.flatnonzero(predicted == "emission")[:6]
    flat = np.flatnonzero(predicted == "flat")[:3]
    lines = ["path,verdict"]
    lines += [f"{paths[i]},{'yes' if n < 4 else 'no'}" for n, i in enumerate(emission)]
    lines += [f"{paths[i]},absorption" for i in flat]  # the expert names another class
    lines += ["elsewhere/unknown.fits,yes", f"{paths[0]},"]  # not in the job; empty: skipped
    (space.files / "verdicts.csv").write_text("\n".join(lines) + "\n")
    ctx = context(space, tmp_path, "assess1")
    params = assess.Parameters(
        scores=results_dir, verdicts_file="verdicts.csv", candidate_class="emission"
    )
    ids = [r.id for r in assess.run(params, ctx)]
    assert ids == ["result", "performance", "plot", "candidates"]
    found = json.loads((ctx.results_dir / "performance.json").read_text())
    assert found["checked"] == 9 and found["correct"] == 4
    rates = {row["class"]: row for row in found["classes"]}
    assert (rates["emission"]["checked"], rates["emission"]["correct"]) == (6, 4)
    assert rates["emission"]["rate"] == pytest.approx(4 / 6)
    # Clopper-Pearson by hand: beta quantiles with k and n - k + 1 (and k + 1, n - k)
    assert rates["emission"]["low"] == pytest.approx(stats.beta.ppf(0.025, 4, 3))
    assert rates["emission"]["high"] == pytest.approx(stats.beta.ppf(0.975, 5, 2))
    assert rates["flat"]["correct"] == 0 and rates["flat"]["low"] == 0.0
    candidates = parse_single_table(ctx.results_dir / "candidates.vot").to_table()
    assert set(candidates["predicted"]) == {"emission"}
    assert np.all(np.diff(candidates["confidence"]) <= 0)
    verdicts = dict(zip(candidates["path"], candidates["verdict"], strict=True))
    assert verdicts[paths[emission[0]]] == "emission"
    assert verdicts[paths[emission[5]]] == "not emission"
    assert "Am I correct" in (ctx.results_dir / "performance.html").read_text()


def test_verdicts_that_name_no_spectrum_of_the_job_are_a_clear_error(space, scored, tmp_path):
    (space.files / "alien-verdicts.csv").write_text("path,verdict\nelsewhere/x.fits,yes\n")
    params = assess.Parameters(scores=scored[0], verdicts_file="alien-verdicts.csv")
    with pytest.raises(JobFailure, match="none of the 1 verdicts names a spectrum"):
        assess.run(params, context(space, tmp_path, "assess2"))
    with pytest.raises(ValueError, match="either as VERDICTS"):
        assess.Parameters(scores=scored[0])


def test_labelled_spectra_are_left_out_of_the_selection(space, trained, tmp_path):
    labelled = [f"demo/s{i:03d}.fits" for i in range(0, 90, 2)]  # every other spectrum
    (space.files / "half.csv").write_text(
        "path,class,note\n" + "".join(f"{p},absorption,\n" for p in labelled) + "demo/s001.fits,,\n"
    )
    ctx = context(space, tmp_path, "pool")
    params = score.Parameters(
        model=trained[0], dataset="toy", k=10, mc_samples=5, exclude_labelled="half.csv"
    )
    score.run(params, ctx)
    table = parse_single_table(ctx.results_dir / "scores.vot").to_table()
    assert len(table) == 90  # every spectrum is still predicted
    chosen = set(np.asarray(table["path"][table["selected"] >= 0]).astype(str))
    assert len(chosen) == 10 and not chosen & set(labelled)
    top = parse_single_table(ctx.results_dir / "top_k.vot").to_table()
    scores = np.asarray(table["score"])[np.asarray(table["selected"]) >= 0]
    assert sorted(scores, reverse=True) == pytest.approx(list(top["score"]))


def test_an_empty_pool_is_a_clear_error(space, trained, tmp_path):
    (space.files / "all.csv").write_text(
        "path,class\n" + "".join(f"demo/s{i:03d}.fits,flat\n" for i in range(90))
    )
    params = score.Parameters(
        model=trained[0], dataset="toy", mc_samples=5, exclude_labelled="all.csv"
    )
    with pytest.raises(JobFailure, match="the pool is empty: every spectrum of the dataset"):
        score.run(params, context(space, tmp_path, "empty"))
