import numpy as np
import pytest

from services.models import (
    Head,
    build_dbal_mnist_cnn,
    build_spectrum_cnn,
    fit,
    mc_predict,
    split_at_first_stochastic,
)
from tests.services.models.conftest import N_PIX, tiny_cnn, toy_spectra


def _probs(out):
    return np.exp(out["log_probs"])  # [T, n, C]


def test_two_mc_predictions_differ_but_rate_zero_is_stable():
    flux, _ = toy_spectra(20)
    model = tiny_cnn(dropout=0.5)
    out = _probs(mc_predict(model, flux, T=4, seed=None))
    again = _probs(mc_predict(model, flux, T=4, seed=None))
    assert not np.allclose(out[0], out[1]) and not np.allclose(out, again)
    stable = _probs(mc_predict(tiny_cnn(dropout=0.0), flux, T=4))
    np.testing.assert_allclose(stable, np.broadcast_to(stable[0], stable.shape), atol=1e-6)


def test_batchnorm_stays_in_inference_mode_while_sampling(trained_classifier):
    model, _, (flux, _) = trained_classifier
    bn = [v.numpy().copy() for v in model.non_trainable_variables if "moving" in v.path]
    assert len(bn) == 4
    mc_predict(model, flux[:64], T=5, batch_size=32)
    after = [v.numpy() for v in model.non_trainable_variables if "moving" in v.path]
    for before, now in zip(bn, after, strict=True):
        np.testing.assert_array_equal(before, now)
    # inference statistics: one spectrum alone scores as it does inside a batch
    alone = mc_predict(model, flux[:1], T=1, seed=0, method="naive")["embedding"]
    inside = mc_predict(model, flux[:32], T=1, seed=0, method="naive")["embedding"][:1]
    np.testing.assert_allclose(alone, inside, rtol=1e-5, atol=1e-6)


def test_trunk_once_and_naive_sampling_agree_in_distribution():
    flux, _ = toy_spectra(40, seed=3)
    model = tiny_cnn(dropout=0.5, seed=4)
    fast = mc_predict(model, flux, T=300, method="trunk_once", seed=1)
    naive = mc_predict(model, flux, T=300, method="naive", seed=1)
    np.testing.assert_allclose(fast["embedding"], naive["embedding"], rtol=1e-5, atol=1e-6)
    p_fast, p_naive = _probs(fast), _probs(naive)
    assert p_fast.std(axis=0).mean() > 0.01  # dropout really spreads the samples
    np.testing.assert_allclose(p_fast.mean(axis=0), p_naive.mean(axis=0), atol=0.03)
    ratio = p_fast.std(axis=0).mean() / p_naive.std(axis=0).mean()
    assert 0.9 < ratio < 1.1


def test_trunk_once_and_naive_give_identical_samples_without_dropout():
    flux, _ = toy_spectra(10)
    model = tiny_cnn(dropout=0.0)
    fast = mc_predict(model, flux, T=3, method="trunk_once")["log_probs"]
    naive = mc_predict(model, flux, T=3, method="naive")["log_probs"]
    np.testing.assert_allclose(fast, naive, rtol=1e-5, atol=1e-6)


def test_dbal_cnn_splits_after_the_conv_block_and_samples_alike():
    model = build_dbal_mnist_cnn(seed=0)
    trunk, head = split_at_first_stochastic(model)
    assert [type(lay).__name__ for lay in trunk.layers][-1] == "MaxPooling2D"
    assert sum(type(lay).__name__ == "MCDropout" for lay in head.layers) == 2
    images = np.random.default_rng(1).random((8, 28, 28), dtype=np.float32)
    fast = np.exp(mc_predict(model, images, T=200, batch_size=8, method="trunk_once")["log_probs"])
    naive = np.exp(mc_predict(model, images, T=200, batch_size=8, method="naive")["log_probs"])
    np.testing.assert_allclose(fast.mean(axis=0), naive.mean(axis=0), atol=0.02)


def test_same_seed_same_samples_other_seed_other_samples():
    flux, _ = toy_spectra(30)
    model = tiny_cnn(dropout=0.5)
    for method in ("trunk_once", "naive"):
        a = mc_predict(model, flux, T=5, seed=11, method=method, batch_size=16)["log_probs"]
        b = mc_predict(model, flux, T=5, seed=11, method=method, batch_size=16)["log_probs"]
        c = mc_predict(model, flux, T=5, seed=12, method=method, batch_size=16)["log_probs"]
        np.testing.assert_array_equal(a, b)
        assert not np.allclose(a, c)


def test_chunk_iterator_scores_like_one_array_and_reports_progress():
    flux, _ = toy_spectra(100)
    model = tiny_cnn()
    whole = mc_predict(model, flux, T=3, batch_size=16, chunk_size=32)
    seen = []
    streamed = mc_predict(
        model,
        (flux[i : i + 32] for i in range(0, 100, 32)),
        T=3,
        batch_size=16,
        n_total=100,
        progress=lambda f, m: seen.append((f, m)),
    )
    unsized = mc_predict(model, iter([flux[:50], flux[50:]]), T=3, batch_size=16)
    for key in ("log_probs", "embedding"):
        np.testing.assert_array_equal(whole[key], streamed[key])
        assert unsized[key].shape == whole[key].shape
    with pytest.raises(ValueError, match="more than n_total=60"):
        mc_predict(model, iter([flux]), T=1, n_total=60)
    assert whole["log_probs"].shape == (3, 100, 3) and whole["log_probs"].dtype == np.float32
    assert whole["embedding"].shape == (100, 32)
    np.testing.assert_allclose(np.exp(whole["log_probs"]).sum(axis=-1), 1.0, rtol=1e-5)
    assert [f for f, _ in seen] == [0.32, 0.64, 0.96, 1.0]
    assert "100 spectra scored" in seen[-1][1]


def test_nan_in_the_pool_is_refused_naming_the_spectrum():
    flux, _ = toy_spectra(50)
    flux[37, 5] = np.nan
    with pytest.raises(ValueError, match="spectrum row 37 contains NaN"):
        mc_predict(tiny_cnn(), flux, T=2, batch_size=16)


def test_model_without_stochastic_layer_is_refused():
    model = build_spectrum_cnn(N_PIX, Head.classification(2), filters=(4,), kernel_sizes=(3,))
    model.get_layer("mc_dropout")  # exists; a model without one is refused:
    import keras

    plain = keras.Model(model.inputs, model.get_layer("embedding").output)
    with pytest.raises(ValueError, match="no MCDropout"):
        mc_predict(plain, np.ones((2, N_PIX), "f4"), kind="classification")


def test_concrete_dropout_model_trains_and_samples():
    flux, labels = toy_spectra(200, seed=5)
    model = tiny_cnn(dropout=0.2, concrete_dropout=True)
    history = fit(model, flux, labels, epochs=2, batch_size=50)
    assert np.isfinite(history["loss"]).all()
    out = mc_predict(model, flux[:20], T=4)
    assert out["log_probs"].shape == (4, 20, 3) and not np.allclose(*out["log_probs"][:2])
