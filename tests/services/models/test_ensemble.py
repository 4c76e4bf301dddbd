"""Deep ensembles behind the MC-dropout scoring interface (tiny real Keras models)."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io.votable import parse

from services import acquisition
from services.models import Head, fit, fit_members, is_ensemble, load_model, mc_predict, save_model
from services.models.ensemble import combine, ensemble_size, member_outputs
from tests.services.learning.conftest import TRAIN, context, space  # noqa: F401 (fixture)
from tests.services.models.conftest import CLASSES, N_PIX, tiny_cnn, toy_spectra


def _log_softmax(z: np.ndarray) -> np.ndarray:
    return z - np.logaddexp.reduce(z, axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def ensemble():
    x, y = toy_spectra(48, seed=3)

    def train_one(member, seed, progress):
        return fit(member, x, y, epochs=2, batch_size=16, early_stopping=False, seed=seed)

    model, histories = fit_members(tiny_cnn(seed=5), 3, train_one, seed=5)
    return model, histories, x


def test_members_differ_and_each_sample_is_one_members_prediction(ensemble):
    model, histories, x = ensemble
    assert is_ensemble(model) and ensemble_size(model) == 3 and len(histories) == 3
    out = mc_predict(model, x, T=20, seed=0)  # T is the number of members, whatever is asked
    assert out["log_probs"].shape == (3, len(x), len(CLASSES))
    own = member_outputs(model, x)
    for t in range(3):
        np.testing.assert_allclose(out["log_probs"][t], _log_softmax(own[t]), atol=1e-5)
    assert np.abs(own[0] - own[1]).max() > 1e-3 and np.abs(own[1] - own[2]).max() > 1e-3
    again = mc_predict(model, x, T=5, seed=7)  # no dropout: the members are deterministic
    np.testing.assert_allclose(again["log_probs"], out["log_probs"], atol=1e-5)
    assert out["embedding"].shape[0] == len(x) and np.isfinite(out["embedding"]).all()


def test_bald_on_an_ensemble_is_finite_and_not_negative(ensemble):
    model, _, x = ensemble
    scores = acquisition.scores.bald(mc_predict(model, x)["log_probs"])
    assert scores.shape == (len(x),) and np.isfinite(scores).all()
    assert scores.min() >= -1e-6 and scores.max() > 0


def test_an_ensemble_survives_a_save_and_load_round_trip(ensemble, tmp_path):
    model, _, x = ensemble
    sidecar = save_model(model, tmp_path / "m.keras", Head.classification(CLASSES), n_pix=N_PIX)
    assert sidecar.ensemble == 3
    loaded, side = load_model(tmp_path / "m.keras")
    assert side.ensemble == 3 and is_ensemble(loaded)
    np.testing.assert_allclose(
        mc_predict(loaded, x)["log_probs"], mc_predict(model, x)["log_probs"], atol=1e-5
    )


def test_one_member_or_too_many_are_refused():
    with pytest.raises(ValueError, match="2 to 10 members"):
        combine([tiny_cnn(seed=1)])
    with pytest.raises(ValueError, match="ENSEMBLE must be"):
        fit_members(tiny_cnn(seed=1), 11, lambda m, s, p: {})


def test_train_with_an_ensemble_then_score(space, tmp_path):  # noqa: F811 (fixture)
    from services import score, train

    ctx = context(space, tmp_path, "train-ensemble")
    params = {**TRAIN, "epochs": 3, "regime": "early_stopping", "ensemble": 3}
    train.run(train.Parameters(**params), ctx)
    _, sidecar = load_model(ctx.results_dir / "model.keras")
    assert sidecar.ensemble == 3 and sidecar.training["ensemble"] == 3
    scored = context(space, tmp_path, "score-ensemble")
    score.run(score.Parameters(model=ctx.results_dir, dataset="toy", k=5), scored)
    table = parse(scored.results_dir / "top_k.vot")
    infos = {i.name: i.value for i in table.resources[0].infos}
    assert infos["mc_samples"] == "3" and "deep ensemble of 3 models" in infos["posterior"]
    assert len(table.get_first_table().array) == 5
