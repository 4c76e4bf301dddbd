import keras
import numpy as np

from services.models import (
    Head,
    MCDropout,
    balanced_class_weights,
    compile_for_head,
    fit,
    mc_predict,
)


def _mlp(n_in: int, head: Head, seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    x = keras.Input((n_in,))
    h = keras.layers.Dense(32, activation="relu")(x)
    h = keras.layers.Dense(32, activation="relu", name="embedding")(h)
    model = keras.Model(x, head.output_layer()(MCDropout(0.1)(h)))
    compile_for_head(model, head, learning_rate=1e-2)
    return model


def test_balanced_class_weights_equalise_the_classes():
    labels = np.array([0] * 80 + [1] * 15 + [2] * 5)
    weights = balanced_class_weights(labels, 4)
    assert weights[2] > weights[1] > weights[0]
    counts = np.bincount(labels, minlength=4)
    np.testing.assert_allclose([weights[c] * counts[c] for c in range(3)], 100 / 4)
    assert weights[3] == 0.0


def test_heteroscedastic_head_predicts_more_variance_where_the_noise_is_larger():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (1200, 1)).astype("f4")
    sigma = np.where(x[:, 0] > 0, 0.5, 0.05)
    y = (np.sin(3 * x[:, 0]) + rng.normal(0, sigma)).astype("f4")
    model = _mlp(1, Head.heteroscedastic("z"))
    fit(model, x, y, epochs=30, batch_size=100, patience=10, seed=1)
    grid = np.array([[-0.6], [-0.3], [0.3], [0.6]], "f4")
    out = mc_predict(model, grid, T=20)
    assert set(out) == {"means", "log_vars", "embedding"} and out["means"].shape == (20, 4)
    var = np.exp(out["log_vars"]).mean(axis=0)
    assert var[2:].min() > 5 * var[:2].max()
    np.testing.assert_allclose(out["means"].mean(axis=0), np.sin(3 * grid[:, 0]), atol=0.3)


def test_binomial_head_loss_is_finite_and_decreases():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(512, 4)).astype("f4")
    rho = 1 / (1 + np.exp(-x[:, :2] @ np.array([[2.0, -1.0], [1.0, 2.0]])))
    total = rng.integers(0, 20, (512, 2))  # some questions nobody answered
    votes = np.stack([rng.binomial(total, rho), total], axis=-1).astype("f4")
    model = _mlp(4, Head.binomial(["smooth", "edge_on"]))
    history = fit(model, x, votes, epochs=15, batch_size=64, patience=5, seed=2)
    assert np.isfinite(history["loss"]).all()
    assert history["loss"][-1] < 0.8 * history["loss"][0]
    probs = mc_predict(model, x[:100], T=5)["probs"]
    assert probs.shape == (5, 100, 2) and ((probs > 0) & (probs < 1)).all()
    assert np.corrcoef(probs.mean(axis=0)[:, 0], rho[:100, 0])[0, 1] > 0.8
