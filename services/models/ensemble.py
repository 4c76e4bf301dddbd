"""Deep ensembles (Lakshminarayanan et al. 2017) behind the MC-dropout scoring interface.

``M`` members of one architecture, initialised from different seeds and trained separately,
are combined into one functional model::

    flux -> member0 -> (embedding_0, output_0)
         -> ...
         -> member{M-1} -> (embedding_{M-1}, output_{M-1})
    outputs -> EnsembleMean (named like the head's output layer) -> mean output

Each member is a *deterministic view* of a trained model: its MCDropout/ConcreteDropout
layers become identities and every other layer is shared (the same weights). The
combined model is saved and loaded like any other (one ``.keras`` file; the sidecar says
``ensemble: M``). :func:`services.models.mc_predict` recognises it and draws one "sample"
per member, so it returns ``log_probs`` (M, N, C) (``means``/``log_vars`` (M, N),
``probs`` (M, N, Q)) and an ``embedding`` (N, M * D), the members' embeddings side by
side: every acquisition function works unchanged, with T = M whatever T was asked for.

Frozen layers (``trainable=False``, e.g. a pretrained encoder) are shared by all members,
not re-initialised: the members then differ in their trainable head only.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
from keras import layers, ops

from services.models.heads import head_kind_of
from services.models.layers import STOCHASTIC_LAYERS, ConcreteDropout

__all__ = [
    "MAX_MEMBERS",
    "EnsembleMean",
    "combine",
    "ensemble_sampler",
    "ensemble_size",
    "fit_members",
    "fresh_member",
    "is_ensemble",
    "member_outputs",
]
MAX_MEMBERS = 10
Progress = Callable[[float, str], None]
#: (member, member seed, progress) -> Keras history of that member.
TrainOne = Callable[[keras.Model, int, Progress], dict]


@keras.saving.register_keras_serializable(package="vocloud")
class EnsembleMean(layers.Layer):
    """The mean of the members' outputs (what a plain ``model(x)`` returns).

    Scoring does not use it: :func:`ensemble_sampler` stacks the members' outputs instead.
    """

    def __init__(self, members: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.members = int(members)

    def call(self, outputs):
        return ops.mean(ops.stack(outputs, axis=0), axis=0)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self) -> dict:
        return {**super().get_config(), "members": self.members}


class _StackSamples(layers.Layer):
    """M tensors (b, K) -> (M * b, K), member-major: the layout of trunk-once samples."""

    def call(self, outputs):
        return ops.concatenate(outputs, axis=0)

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[0][1:])


def is_ensemble(model: keras.Model) -> bool:
    """Whether ``model`` was made by :func:`combine`."""
    return bool(model.layers) and isinstance(model.layers[-1], EnsembleMean)


def ensemble_size(model: keras.Model) -> int:
    """Members of an ensemble; 0 for any other model."""
    return model.layers[-1].members if is_ensemble(model) else 0


def _fresh_optimizer(model: keras.Model) -> keras.optimizers.Optimizer:
    """A new optimizer configured like ``model``'s (Adam at 1e-3 if it has none)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return keras.optimizers.Adam(1e-3)
    return optimizer.__class__.from_config(optimizer.get_config())


def fresh_member(model: keras.Model, seed: int) -> keras.Model:
    """A compiled copy of ``model`` with freshly initialised trainable layers.

    Layers with ``trainable=False`` (a frozen encoder) are shared with ``model``. The copy
    is compiled with ``model``'s loss and a new optimizer configured like ``model``'s.
    """
    keras.utils.set_random_seed(seed)

    def clone(layer):
        if not layer.trainable:
            return layer
        return layer.__class__.from_config(layer.get_config())

    member = keras.models.clone_model(model, clone_function=clone)
    kind = head_kind_of(model)
    member.compile(
        optimizer=_fresh_optimizer(model),
        loss=model.loss,
        metrics=["accuracy"] if kind == "classification" else None,
    )
    return member


def _deterministic_view(model: keras.Model, name: str) -> keras.Model:
    """``x -> [embedding (b, D), output (b, K)]`` with the stochastic layers as identities."""
    first = next((lay for lay in model.layers if isinstance(lay, STOCHASTIC_LAYERS)), None)
    if first is None:
        raise ValueError("an ensemble member needs an MCDropout or ConcreteDropout layer")

    if any(isinstance(lay, ConcreteDropout) for lay in model.layers):
        raise ValueError("deep ensembles of concrete-dropout models are not supported")

    def share(layer):
        if isinstance(layer, STOCHASTIC_LAYERS):
            return layers.Identity(name=layer.name)
        return layer

    plain = keras.models.clone_model(model, clone_function=share)
    cut = next(lay for lay in plain.layers if lay.name == first.name).input
    embedding = layers.Flatten(name="member_embedding")(cut)
    return keras.Model(plain.inputs[0], [embedding, plain.outputs[0]], name=name)


def combine(members: list[keras.Model], name: str = "deep_ensemble") -> keras.Model:
    """One model from ``members`` (trained models of one architecture and head).

    Returns
    -------
    keras.Model
        Input like the members'; output the mean of their outputs, in a layer named like
        their output layer (so :func:`~services.models.head_kind_of` reads it). Not compiled.
    """
    if not 2 <= len(members) <= MAX_MEMBERS:
        raise ValueError(f"an ensemble has 2 to {MAX_MEMBERS} members, not {len(members)}")
    out_name = members[0].layers[-1].name
    template = members[0].inputs[0]
    x = keras.Input(template.shape[1:], dtype=template.dtype, name=template.name)
    outputs = [_deterministic_view(m, f"member{i}")(x)[1] for i, m in enumerate(members)]
    mean = EnsembleMean(len(members), name=out_name)(outputs)
    return keras.Model(x, mean, name=name)


def ensemble_sampler(model: keras.Model) -> keras.Model:
    """``x -> [embedding (b, M * D), samples (M * b, K)]`` of an ensemble (see module)."""
    members = [lay for lay in model.layers if isinstance(lay, keras.Model)]
    if len(members) != ensemble_size(model):
        raise ValueError("not an ensemble made by services.models.ensemble.combine")
    template = model.inputs[0]
    x = keras.Input(template.shape[1:], dtype=template.dtype)
    pairs = [member(x) for member in members]
    embedding = layers.Concatenate(axis=-1)([e for e, _ in pairs])
    samples = _StackSamples()([o for _, o in pairs])
    return keras.Model(x, [embedding, samples])


def fit_members(
    model: keras.Model,
    members: int,
    train_one: TrainOne,
    *,
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[keras.Model, list[dict]]:
    """Train ``model`` alone (``members`` 0 or 1) or as the first of a deep ensemble.

    Parameters
    ----------
    model : keras.Model
        A compiled, untrained model (e.g. from :func:`~services.models.build_spectrum_cnn`).
    members : int
        0 or 1: MC dropout, ``model`` is trained and returned. 2 to :data:`MAX_MEMBERS`:
        ``members - 1`` copies (:func:`fresh_member`, seeds ``seed + 1``, ...) are trained
        too and :func:`combine` joins them.
    train_one : callable(member, seed, progress) -> history
        Trains one member in place (e.g. :func:`~services.models.fit` with fixed options).
    seed : int
        Seed of the first member; member ``i`` gets ``seed + i``.
    progress : callable(fraction, message), optional
        Overall progress; each member gets its share.

    Returns
    -------
    model : keras.Model
        The trained model or the ensemble.
    histories : list of dict
        Each member's training history, first member first.
    """
    if not 0 <= members <= MAX_MEMBERS:
        raise ValueError(f"ENSEMBLE must be 0 or 1 (MC dropout) or 2 to {MAX_MEMBERS}")
    n = max(members, 1)
    trained, histories = [], []
    for i in range(n):
        member = model if i == 0 else fresh_member(model, seed + i)

        def share(fraction: float, message: str, i: int = i) -> None:
            if progress is not None:
                label = f"member {i + 1}/{n}: " if n > 1 else ""
                progress((i + fraction) / n, label + message)

        histories.append(train_one(member, seed + i, share))
        trained.append(member)
    return (trained[0] if n == 1 else combine(trained)), histories


def member_outputs(model: keras.Model, x: np.ndarray) -> list[np.ndarray]:
    """Each member's raw output on ``x`` (deterministic), for checks and tests."""
    members = [lay for lay in model.layers if isinstance(lay, keras.Model)]
    return [np.asarray(m.predict_on_batch(np.asarray(x, np.float32))[1]) for m in members]
