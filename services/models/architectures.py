"""Bayesian CNNs: a 1-D CNN for spectra and the 2-D CNN of the DBAL MNIST experiments.

Both builders return a *compiled* functional model whose last layer is the head's output
layer (see :mod:`services.models.heads`). Dropout is :class:`~services.models.layers.MCDropout`
(stochastic at prediction time); BatchNormalization runs in training mode inside ``fit`` and
in inference mode (moving statistics) whenever the model is called with ``training=False``,
which is how :func:`services.models.scoring.mc_predict` calls it.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from services.models.heads import Head
from services.models.layers import ConcreteDropout, MCDropout

__all__ = [
    "bayesian_head",
    "build_dbal_mnist_cnn",
    "build_spectrum_cnn",
    "compile_for_head",
    "conv_trunk",
]


def compile_for_head(model: keras.Model, head: Head, learning_rate: float = 1e-3) -> None:
    """Compile ``model`` with Adam and the head's negative log-likelihood.

    XLA is left to Keras' ``"auto"`` (off on CPU, where it is slower here).
    """
    metrics = ["accuracy"] if head.kind == "classification" else None
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=head.loss(), metrics=metrics)


def _l2(weight_decay: float) -> keras.regularizers.Regularizer | None:
    return keras.regularizers.L2(weight_decay) if weight_decay > 0 else None


def _stochastic_output(
    x, head: Head, dropout: float, concrete: bool, seed: int | None, weight_decay: float = 0.0
) -> keras.KerasTensor:
    """Dropout then the head's output layer: MCDropout + Dense, or ConcreteDropout(Dense).

    ``weight_decay`` is an L2 penalty on the output kernel (MCDropout only: concrete dropout
    has its own ``weight_regularizer``).
    """
    if concrete:
        dense = layers.Dense(head.n_outputs)
        return ConcreteDropout(
            dense, seed=seed, init_min=dropout, init_max=dropout, name=head.output_name
        )(x)
    x = MCDropout(dropout, seed=seed, name="mc_dropout")(x)
    output = head.output_layer()
    output.kernel_regularizer = _l2(weight_decay)  # read when the layer builds, below
    return output(x)


def bayesian_head(
    flux: keras.KerasTensor,
    features: keras.KerasTensor,
    head: Head,
    *,
    dense: int,
    dropout: float,
    concrete_dropout: bool = False,
    seed: int | None = None,
    weight_decay: float = 0.0,
    learning_rate: float = 1e-3,
    name: str,
) -> keras.Model:
    """``features -> Dense(dense, relu, name="embedding") -> dropout -> head``, compiled.

    The contract every spectrum model keeps: ``mc_predict`` runs everything up to the
    layer named ``embedding`` once per spectrum and only the stochastic tail T times.
    ``weight_decay`` is the L2 penalty of the dense and output kernels.
    """
    x = layers.Dense(
        dense, activation="relu", kernel_regularizer=_l2(weight_decay), name="embedding"
    )(features)
    out = _stochastic_output(x, head, dropout, concrete_dropout, seed, weight_decay)
    model = keras.Model(flux, out, name=name)
    compile_for_head(model, head, learning_rate)
    return model


def conv_trunk(
    flux,
    n_pix: int,
    filters: Sequence[int],
    kernel_sizes: Sequence[int],
    pool_size: int,
    bn_momentum: float,
):
    """The conv blocks of a spectrum network, applied to the ``flux`` input tensor:
    ``Reshape -> [Conv1D -> BatchNorm -> ReLU -> MaxPool] x len(filters) -> Flatten``
    (layers ``conv<i>``, ``bn<i>``). Shared by :func:`build_spectrum_cnn` and the
    self-supervised encoder (:mod:`services.models.encoder`)."""
    x = layers.Reshape((n_pix, 1))(flux)
    for i, (width, size) in enumerate(zip(filters, kernel_sizes, strict=True)):
        x = layers.Conv1D(width, size, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=bn_momentum, name=f"bn{i}")(x)
        x = layers.ReLU()(x)
        x = layers.MaxPooling1D(pool_size)(x)
    return layers.Flatten()(x)


def build_spectrum_cnn(
    n_pix: int,
    head: Head,
    *,
    filters: Sequence[int] = (16, 32, 64),
    kernel_sizes: Sequence[int] = (7, 5, 3),
    dense: int = 128,
    dropout: float = 0.25,
    pool_size: int = 2,
    bn_momentum: float = 0.9,
    concrete_dropout: bool = False,
    learning_rate: float = 1e-3,
    weight_decay: float = 0.0,
    seed: int | None = None,
) -> keras.Model:
    """A 1-D Bayesian CNN for spectra on a common grid.

    ``input (n, n_pix) -> [Conv1D -> BatchNorm -> ReLU -> MaxPool] x len(filters) -> Flatten
    -> Dense(dense, relu, name="embedding") -> MCDropout(dropout) -> head``.
    Everything up to ``embedding`` is deterministic, so MC sampling can run it once per
    spectrum and repeat only dropout + output layer (see :func:`~services.models.mc_predict`).

    Parameters
    ----------
    n_pix : int
        Pixels per spectrum; the model takes ``flux`` of shape (n, n_pix).
    head : Head
        What to predict.
    filters, kernel_sizes : sequence of int
        Channels and kernel widths (pixels) of the conv blocks, same length.
    dense : int
        Width ``D`` of the embedding.
    dropout : float
        MC-dropout rate before the output layer (initial rate with concrete dropout).
    pool_size : int
        Max-pooling factor after each conv block.
    bn_momentum : float
        BatchNorm moving-average momentum; 0.9 rather than Keras' 0.99 so that the
        inference statistics settle within the few hundred steps of small training sets.
    concrete_dropout : bool
        Learn the dropout rate (:class:`ConcreteDropout`) instead of a fixed one.
    learning_rate : float
        Adam learning rate.
    weight_decay : float
        L2 penalty ``weight_decay * sum(W**2)`` on the kernels of the embedding and output
        layers, added to the mean loss per example. Gal & Ghahramani's MC-dropout prior gives
        ``weight_decay = l**2 (1 - p) / (2 N tau)``, i.e. proportional to 1/N for N training
        examples (the DBAL experiments use ``c / N``); 0 (default) adds none. The conv
        kernels are left alone: BatchNorm after them makes their scale irrelevant.
    seed : int or None
        If given, :func:`keras.utils.set_random_seed` is called first (global Python,
        NumPy and backend RNGs): the same seed gives the same initial weights and dropout
        generators.

    Returns
    -------
    keras.Model
        Compiled; output shape (n, head.n_outputs).
    """
    if len(filters) != len(kernel_sizes):
        raise ValueError("filters and kernel_sizes must have the same length")
    if n_pix < pool_size ** len(filters):
        raise ValueError(f"n_pix={n_pix} is too short for {len(filters)} pooling steps")
    if seed is not None:
        keras.utils.set_random_seed(seed)
    flux = keras.Input((n_pix,), name="flux")
    return bayesian_head(
        flux,
        conv_trunk(flux, n_pix, filters, kernel_sizes, pool_size, bn_momentum),
        head,
        dense=dense,
        dropout=dropout,
        concrete_dropout=concrete_dropout,
        seed=seed,
        weight_decay=weight_decay,
        learning_rate=learning_rate,
        name="spectrum_cnn",
    )


def build_dbal_mnist_cnn(
    head: Head | None = None,
    *,
    input_shape: tuple[int, int] = (28, 28),
    learning_rate: float = 1e-3,
    seed: int | None = None,
) -> keras.Model:
    """The CNN of Gal, Islam & Ghahramani (2017), "Deep Bayesian Active Learning".

    ``conv 32 4x4 -> relu -> conv 32 4x4 -> relu -> maxpool 2x2 -> dropout 0.25 -> Flatten
    -> dense 128 (relu, name="embedding") -> dropout 0.5 -> dense C``. Dropout sits after
    the conv block: the deterministic part is the conv block only (computed once per image by
    :func:`~services.models.mc_predict`); dropout, both dense layers and the second dropout
    are repeated T times.

    Parameters
    ----------
    head : Head, optional
        Default: classification over 10 classes. The output layer gives logits; the softmax
        of the paper is applied in the loss and in ``mc_predict``.
    input_shape : (int, int)
        Image height and width; the model takes images of shape (n, h, w).
    learning_rate : float
        Adam learning rate.
    seed : int or None
        As in :func:`build_spectrum_cnn`.
    """
    head = head or Head.classification(10)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    image = keras.Input(input_shape, name="image")
    x = layers.Reshape((*input_shape, 1))(image)
    x = layers.Conv2D(32, 4, activation="relu", name="conv0")(x)
    x = layers.Conv2D(32, 4, activation="relu", name="conv1")(x)
    x = layers.MaxPooling2D(2)(x)
    x = MCDropout(0.25, seed=seed, name="mc_dropout0")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu", name="embedding")(x)
    x = MCDropout(0.5, seed=None if seed is None else seed + 1, name="mc_dropout1")(x)
    out = head.output_layer()(x)
    model = keras.Model(image, out, name="dbal_mnist_cnn")
    compile_for_head(model, head, learning_rate)
    return model
