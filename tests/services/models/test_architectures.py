import numpy as np

from services.models import Head, build_dbal_mnist_cnn, mc_predict
from tests.services.models.conftest import tiny_cnn


def test_tiny_spectrum_cnn_learns_absorption_emission_flat(trained_classifier):
    model, history, (flux, labels) = trained_classifier
    log_probs = mc_predict(model, flux, T=10, batch_size=100, seed=0)["log_probs"]
    predicted = np.exp(log_probs).mean(axis=0).argmax(axis=1)
    assert (predicted == labels).mean() > 0.9
    assert history["val_loss"][-1] < history["val_loss"][0]


def test_same_seed_gives_same_initial_weights():
    a, b, c = tiny_cnn(seed=5), tiny_cnn(seed=5), tiny_cnn(seed=6)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_spectrum_cnn_has_a_named_embedding_before_the_dropout():
    model = tiny_cnn()
    names = [layer.name for layer in model.layers]
    assert names[-3:] == ["embedding", "mc_dropout", "logits"]
    assert model.output.shape == (None, 3)


def test_dbal_mnist_cnn_follows_the_paper():
    model = build_dbal_mnist_cnn(Head.classification(10), seed=0)
    kinds = [type(layer).__name__ for layer in model.layers[2:]]
    assert kinds == [
        "Conv2D",
        "Conv2D",
        "MaxPooling2D",
        "MCDropout",
        "Flatten",
        "Dense",
        "MCDropout",
        "Dense",
    ]
    assert [model.get_layer(n).rate for n in ("mc_dropout0", "mc_dropout1")] == [0.25, 0.5]
    assert model.get_layer("conv0").kernel.shape == (4, 4, 1, 32)
    assert model.get_layer("embedding").units == 128
    images = np.random.default_rng(0).random((6, 28, 28), dtype=np.float32)
    out = mc_predict(model, images, T=4, batch_size=6)
    assert out["log_probs"].shape == (4, 6, 10)
    assert out["embedding"].shape == (6, 11 * 11 * 32)
