"""The score job with TARGET_CLASS: discovery on a tiny trained model (Keras, a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io.votable import parse_single_table

from services import score
from services.jobs import JobFailure
from tests.services.learning.conftest import context, space, trained  # noqa: F401 (fixtures)


def run_score(space, trained, tmp_path, name: str, **params) -> np.ndarray:  # noqa: F811
    params = {"model": trained[0], "dataset": "toy", "k": 10, "mc_samples": 5, **params}
    ctx = context(space, tmp_path, name)
    score.run(score.Parameters(**params), ctx)
    return parse_single_table(ctx.results_dir / "scores.vot").to_table()


def test_discovery_selects_the_most_likely_members_of_the_target_class(
    space,  # noqa: F811
    trained,  # noqa: F811
    tmp_path,
):
    table = run_score(space, trained, tmp_path, "disc", acquisition="discovery",
                      target_class="emission")  # fmt: skip
    likely = np.asarray(table["p_emission"], dtype=np.float64)
    np.testing.assert_allclose(np.asarray(table["score"]), likely, rtol=1e-6)
    selected = np.asarray(table["selected"])
    chosen = np.flatnonzero(selected >= 0)[np.argsort(selected[selected >= 0])]
    assert chosen.size == 10
    assert likely[chosen].min() >= np.sort(likely)[-10] - 1e-6
    sharded = run_score(space, trained, tmp_path, "disc-sharded", acquisition="discovery",
                        target_class="emission", shard_size=32)  # fmt: skip
    np.testing.assert_array_equal(np.asarray(sharded["selected"]), selected)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("", "discovery needs a target class, one of the model's classes: absorption, emission"),
        ("quasar", "'quasar' is not a class of the model; its classes: absorption, emission"),
    ],
)
def test_discovery_names_the_classes_when_the_target_is_wrong(
    space,  # noqa: F811
    trained,  # noqa: F811
    tmp_path,
    target,
    message,
):
    with pytest.raises(JobFailure, match=message):
        run_score(space, trained, tmp_path, "bad", acquisition="discovery", target_class=target)


def test_balanced_spreads_the_selection_over_the_predicted_classes(
    space,  # noqa: F811
    trained,  # noqa: F811
    tmp_path,
):
    table = run_score(space, trained, tmp_path, "bal", acquisition="balanced", k=9)
    predicted = np.asarray(table["predicted"]).astype(str)
    chosen = predicted[np.asarray(table["selected"]) >= 0]
    counts = {c: int((predicted == c).sum()) for c in set(predicted)}
    taken = {c: int((chosen == c).sum()) for c in counts}
    assert sum(taken.values()) == 9
    fair = 9 // len(counts)
    assert all(taken[c] >= min(fair, counts[c]) for c in counts)
