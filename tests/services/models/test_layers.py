import keras
import numpy as np

from services.models import ConcreteDropout, MCDropout, reset_dropout_seeds


def _dense_with(dropout_layer):
    x = keras.Input((16,))
    out = keras.layers.Dense(4, name="logits")(dropout_layer(keras.layers.Dense(32)(x)))
    return keras.Model(x, out)


def test_mc_dropout_stays_on_in_predict_unlike_keras_dropout():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(8, 16)).astype("f4")
    mc = _dense_with(MCDropout(0.5))
    assert not np.allclose(mc.predict(x, verbose=0), mc.predict(x, verbose=0))
    plain = _dense_with(keras.layers.Dropout(0.5))
    np.testing.assert_array_equal(plain.predict(x, verbose=0), plain.predict(x, verbose=0))


def test_mc_dropout_with_rate_zero_is_deterministic():
    model = _dense_with(MCDropout(0.0))
    x = np.ones((4, 16), "f4")
    np.testing.assert_array_equal(model.predict_on_batch(x), model.predict_on_batch(x))


def test_reset_dropout_seeds_replays_the_same_masks():
    model = _dense_with(MCDropout(0.5, seed=1))
    x = np.ones((4, 16), "f4")
    assert reset_dropout_seeds(model, 7) == 1
    first = model.predict_on_batch(x)
    reset_dropout_seeds(model, 7)
    np.testing.assert_array_equal(first, model.predict_on_batch(x))


def test_concrete_dropout_is_stochastic_and_adds_its_regulariser_in_training():
    layer = ConcreteDropout(keras.layers.Dense(4), init_min=0.3, init_max=0.3, seed=0)
    x = np.ones((8, 16), "f4")
    a, b = layer(x), layer(x)
    assert not np.allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    assert np.isclose(float(keras.ops.convert_to_numpy(layer.rate)), 0.3, atol=1e-6)
    assert not layer.losses
    layer(x, training=True)
    assert len(layer.losses) == 1
    assert np.isfinite(keras.ops.convert_to_numpy(layer.losses[0]))
