import json

import numpy as np
import pytest

from services.models import (
    Head,
    check_compatible,
    load_model,
    mc_predict,
    read_sidecar,
    save_model,
)
from tests.services.models.conftest import CLASSES, N_PIX, tiny_cnn, toy_spectra


def test_save_and_load_give_the_same_predictions(trained_classifier, tmp_path):
    model, history, (flux, _) = trained_classifier
    path = tmp_path / "round1.keras"
    save_model(
        model,
        path,
        Head.classification(CLASSES),
        n_pix=N_PIX,
        wave_min=4000.0,
        wave_max=6540.0,
        training={"epochs": len(history["loss"]), "seed": 3},
    )
    loaded, sidecar = load_model(path)
    assert sidecar.class_names == list(CLASSES) and sidecar.n_pix == N_PIX
    assert sidecar.head["kind"] == "classification" and sidecar.training["seed"] == 3
    before = mc_predict(model, flux[:50], T=5, seed=4)
    after = mc_predict(loaded, flux[:50], T=5, seed=4)
    for key in ("log_probs", "embedding"):
        np.testing.assert_allclose(before[key], after[key], rtol=1e-5, atol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["round1.json", "round1.keras"]


def test_concrete_dropout_model_reloads_with_its_learned_rate(tmp_path):
    model = tiny_cnn(concrete_dropout=True, dropout=0.3)
    path = tmp_path / "concrete.keras"
    save_model(model, path, Head.classification(CLASSES), n_pix=N_PIX)
    loaded, _ = load_model(path)
    assert np.isclose(float(loaded.get_layer("logits").rate), 0.3, atol=1e-6)
    flux, _ = toy_spectra(10)
    a, b = (mc_predict(m, flux, T=3, seed=1)["log_probs"] for m in (model, loaded))
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_sidecar_is_plain_json_readable_without_keras(tmp_path):
    path = tmp_path / "m.keras"
    save_model(tiny_cnn(), path, Head.classification(CLASSES), n_pix=N_PIX)
    data = json.loads(path.with_suffix(".json").read_text())
    assert data["format"] == "vocloud-model/1" and data["input_shape"] == [N_PIX]
    assert read_sidecar(path.with_suffix(".json")).n_pix == N_PIX
    with pytest.raises(ValueError, match=r"must end in \.keras"):
        save_model(tiny_cnn(), tmp_path / "m.h5", Head.classification(CLASSES))


def test_check_compatible_refuses_another_grid(tmp_path):
    sidecar = save_model(
        tiny_cnn(),
        tmp_path / "m.keras",
        Head.classification(CLASSES),
        n_pix=N_PIX,
        wave_min=4000.0,
        wave_max=6540.0,
    )
    check_compatible(sidecar, N_PIX, 4000.0, 6540.0)
    check_compatible(json.loads((tmp_path / "m.json").read_text()), N_PIX)
    with pytest.raises(ValueError, match=r"trained on a grid of 128 pixels .* has 130 pixels"):
        check_compatible(sidecar, 130, 4000.0, 6540.0)
    with pytest.raises(ValueError, match=r"covers 128 pixels \(4100-6640 Å\)"):
        check_compatible(sidecar, N_PIX, 4100.0, 6640.0)
