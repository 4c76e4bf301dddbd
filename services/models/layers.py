"""Stochastic layers for Monte Carlo dropout.

Both layers are *always* stochastic, also in ``predict()`` and under ``training=False``:
Keras 3 ignores ``Dropout(r)(x, training=True)`` written into a functional graph, so the
forcing lives in ``call``. BatchNormalization stays in inference mode when a model is
called with ``training=False``, so only these layers are random during MC sampling.

Seeding
-------
Each layer draws its masks from its own :class:`keras.random.SeedGenerator`
(``layer.seed_generator``), a backend variable ``[seed, counter]`` whose counter advances by
one per call. With ``seed=None`` the generator's seed is taken from Python's ``random``, which
:func:`keras.utils.set_random_seed` reseeds, so ``set_random_seed(s)`` before building gives
the same generators. :func:`reset_dropout_seeds` puts every generator of a model back to a
known state; :func:`services.models.scoring.mc_predict` calls it with its ``seed``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

__all__ = ["STOCHASTIC_LAYERS", "ConcreteDropout", "MCDropout", "reset_dropout_seeds"]


@keras.saving.register_keras_serializable(package="vocloud")
class MCDropout(layers.Dropout):
    """Dropout that is applied on every call (Gal & Ghahramani 2016, MC dropout).

    Parameters are those of :class:`keras.layers.Dropout` (``rate``, ``noise_shape``,
    ``seed``). With ``rate=0`` the layer is the identity: a deterministic variant of the
    same architecture.
    """

    def call(self, inputs, training=None):  # `training` is ignored on purpose
        return super().call(inputs, training=True)


@keras.saving.register_keras_serializable(package="vocloud")
class ConcreteDropout(layers.Wrapper):
    """Concrete dropout (Gal, Hron & Kendall 2017) on the inputs of a wrapped layer.

    The dropout probability ``p = sigmoid(p_logit)`` is learned. In training the layer adds
    the regulariser ``weight_regularizer * ||W||^2 / (1 - p)
    + dropout_regularizer * K * (p log p + (1 - p) log(1 - p))`` where ``W`` is the wrapped
    layer's kernel and ``K`` the number of input features (the negative entropy term, which
    pushes ``p`` away from 0). Gal et al. suggest ``weight_regularizer = l**2 / N`` and
    ``dropout_regularizer = 2 / (tau * N)`` for ``N`` training examples.

    Parameters
    ----------
    layer : keras.layers.Layer
        The layer fed by the dropped-out inputs; it must have a ``kernel`` (Dense, Conv).
    weight_regularizer, dropout_regularizer : float
        Coefficients of the two regulariser terms.
    init_min, init_max : float
        Range of the initial dropout probability.
    temperature : float
        Temperature of the Concrete (relaxed Bernoulli) mask.
    seed : int or None
        Seed of the layer's SeedGenerator.
    """

    def __init__(
        self,
        layer: layers.Layer,
        weight_regularizer: float = 1e-6,
        dropout_regularizer: float = 1e-5,
        init_min: float = 0.1,
        init_max: float = 0.1,
        temperature: float = 0.1,
        seed: int | None = None,
        **kwargs,
    ) -> None:
        super().__init__(layer, **kwargs)
        self.weight_regularizer = weight_regularizer
        self.dropout_regularizer = dropout_regularizer
        self.init_min = init_min
        self.init_max = init_max
        self.temperature = temperature
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape) -> None:
        super().build(input_shape)
        lo, hi = (math.log(p) - math.log1p(-p) for p in (self.init_min, self.init_max))
        self.p_logit = self.add_weight(
            name="p_logit", shape=(), initializer=keras.initializers.RandomUniform(lo, hi)
        )
        self.input_dim = int(np.prod(input_shape[1:]))

    @property
    def rate(self):
        """The current dropout probability (a backend scalar)."""
        return ops.sigmoid(self.p_logit)

    def _regulariser(self, p):
        kernel = self.layer.kernel
        weight = self.weight_regularizer * ops.sum(ops.square(kernel)) / (1.0 - p)
        entropy = p * ops.log(p) + (1.0 - p) * ops.log(1.0 - p)
        return weight + self.dropout_regularizer * self.input_dim * entropy

    def call(self, inputs, training=None):
        eps = 1e-7
        p = ops.clip(self.rate, eps, 1.0 - eps)
        if training:
            self.add_loss(self._regulariser(p))
        u = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator)
        logit = (
            ops.log(p) - ops.log(1.0 - p) + ops.log(u + eps) - ops.log(1.0 - u + eps)
        ) / self.temperature
        drop = ops.sigmoid(logit)  # relaxed Bernoulli(p): 1 means "dropped"
        return self.layer((inputs * (1.0 - drop)) / (1.0 - p))

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            weight_regularizer=self.weight_regularizer,
            dropout_regularizer=self.dropout_regularizer,
            init_min=self.init_min,
            init_max=self.init_max,
            temperature=self.temperature,
            seed=self.seed,
        )
        return config


STOCHASTIC_LAYERS = (MCDropout, ConcreteDropout)


def reset_dropout_seeds(model: keras.Model, seed: int, stream: int | None = None) -> int:
    """Set the SeedGenerator of every stochastic layer of ``model`` to a known state.

    The ``i``-th stochastic layer (in ``model.layers`` order) gets state ``[seed + i, 0]``,
    so the masks that follow depend only on ``seed`` and on the sequence of calls. With a
    ``stream`` (scoring uses the first pool row of a batch) it gets a state derived from
    ``(seed, i, stream)`` instead: independent masks per stream, the same for the same
    stream whatever was drawn before.

    Parameters
    ----------
    model : keras.Model
        A model holding :class:`MCDropout` / :class:`ConcreteDropout` layers.
    seed : int
        Base seed.
    stream : int, optional
        Which stream of masks.

    Returns
    -------
    int
        The number of generators reset.
    """
    count = 0
    for layer in model.layers:
        generator = getattr(layer, "seed_generator", None)
        if isinstance(layer, STOCHASTIC_LAYERS) and generator is not None:
            dtype = keras.backend.standardize_dtype(generator.state.dtype)
            first = seed + count
            if stream is not None:
                first = int(np.random.SeedSequence([seed, count, stream]).generate_state(1)[0])
                first >>= 1  # fits a signed 32-bit state too
            generator.state.assign(np.array([first, 0], dtype=dtype))
            count += 1
    return count
