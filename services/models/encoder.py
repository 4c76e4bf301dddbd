"""A self-supervised spectrum encoder, and a Bayesian head on it.

The encoder is the conv trunk of :func:`~services.models.build_spectrum_cnn` ending in a
linear ``Dense(embedding_dim, name="embedding")``: ``flux (n, n_pix) -> (n, embedding_dim)``.
It learns from unlabelled spectra in one of two ways:

``"contrastive"`` (SimCLR, Chen et al. 2020)
    Two random views of each spectrum (:func:`services.learning.augment.augment`: Doppler
    shift, continuum tilt, masked segments, noise at the spectrum's own S/N) go through the
    encoder and a small projection head; the NT-Xent loss (temperature :data:`TEMPERATURE`)
    pulls the two views of a spectrum together and pushes the other ``2b - 2`` spectra of
    the batch away. A batch is the ``b`` first views stacked on the ``b`` second views, so
    the loss is an ordinary Keras loss on the model's output (no custom ``train_step``).
``"autoencoder"`` (denoising)
    Noise and masked segments in, the clean spectrum out, through the embedding and a dense
    decoder; mean squared error.

Augmentations are NumPy, drawn afresh each epoch by a :class:`keras.utils.PyDataset`
seeded by (seed, epoch, batch). :func:`build_head_on_encoder` puts dense + MC dropout + a
:class:`~services.models.heads.Head` on a copy of the encoder, frozen or fine-tuned, with
the contract of ``build_spectrum_cnn`` (input ``flux``, deterministic part ending in a layer
named ``embedding``, then MC dropout), so MC scoring and saving work on it unchanged.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import layers, ops

from services.datasets.grid import Grid
from services.learning.augment import AugmentOptions, add_noise, augment, mask_segments
from services.models.architectures import bayesian_head, conv_trunk
from services.models.artefacts import write_with_sidecar
from services.models.heads import Head
from services.models.scoring import check_finite
from services.models.training import ProgressCallback

__all__ = [
    "METHODS",
    "build_encoder",
    "build_head_on_encoder",
    "embed",
    "load_encoder",
    "nt_xent",
    "pretrain_encoder",
    "pretrain_with_history",
    "save_encoder",
]
logger = logging.getLogger(__name__)
Progress = Callable[[float, str], None]
METHODS = ("contrastive", "autoencoder")
TEMPERATURE = 0.2
LEARNING_RATE = 1e-3
FORMAT = "vocloud-encoder/1"


def build_encoder(
    n_pix: int,
    embedding_dim: int = 64,
    *,
    filters: Sequence[int] = (16, 32, 64),
    kernel_sizes: Sequence[int] = (7, 5, 3),
    pool_size: int = 2,
    bn_momentum: float = 0.9,
    seed: int | None = None,
) -> keras.Model:
    """The encoder: ``[Conv1D -> BatchNorm -> ReLU -> MaxPool] x len(filters) -> Flatten ->
    Dense(embedding_dim, name="embedding")`` (linear), input named ``flux``, not compiled."""
    if n_pix < pool_size ** len(filters):
        raise ValueError(f"n_pix={n_pix} is too short for {len(filters)} pooling steps")
    if seed is not None:
        keras.utils.set_random_seed(seed)
    flux = keras.Input((n_pix,), name="flux")
    x = conv_trunk(flux, n_pix, filters, kernel_sizes, pool_size, bn_momentum)
    out = layers.Dense(embedding_dim, name="embedding")(x)
    return keras.Model(flux, out, name="encoder")


def nt_xent(y_true, y_pred, temperature: float = TEMPERATURE):
    """NT-Xent loss per example of a batch of ``2b`` projections: rows ``i`` and ``i + b``
    are the two views of one spectrum. ``y_true`` is ignored. Shape (2b,)."""
    del y_true
    z = y_pred / ops.sqrt(ops.sum(ops.square(y_pred), axis=1, keepdims=True) + 1e-12)
    logits = ops.matmul(z, ops.transpose(z)) / temperature  # [2b, 2b]
    n2 = ops.shape(z)[0]
    index = ops.arange(n2)
    self_pairs = ops.equal(ops.expand_dims(index, 1), ops.expand_dims(index, 0))
    logits = ops.where(self_pairs, ops.full_like(logits, -1e9), logits)
    positive = ops.mod(index + n2 // 2, n2)
    chosen = ops.take_along_axis(logits, ops.expand_dims(positive, 1), axis=1)[:, 0]
    return ops.logsumexp(logits, axis=1) - chosen


class _Views(keras.utils.PyDataset):
    """Batches of augmented views, drawn afresh every epoch (seeded by seed, epoch, batch).

    ``contrastive``: x = two views stacked (2b, n_pix), y = zeros; ``autoencoder``:
    x = a corrupted copy (noise, masked segments), y = the clean flux.
    """

    def __init__(self, flux, ivar, grid, method, batch_size, seed, options) -> None:
        super().__init__()
        self.flux, self.ivar, self.grid = flux, ivar, grid
        self.method, self.batch_size, self.seed, self.options = method, batch_size, seed, options
        self.epoch = 0
        self.order = np.random.default_rng([seed, 0]).permutation(len(flux))

    def __len__(self) -> int:
        return max(1, len(self.flux) // self.batch_size)  # full batches: NT-Xent wants b >= 2

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.flux))

    def __getitem__(self, index: int):
        rows = np.sort(self.order[index * self.batch_size : (index + 1) * self.batch_size])
        flux = self.flux[rows]
        ivar = None if self.ivar is None else self.ivar[rows]
        rng = np.random.default_rng([self.seed, self.epoch, index, 1])
        if self.method == "contrastive":
            one, _ = augment(flux, ivar, self.grid, rng, self.options)
            two, _ = augment(flux, ivar, self.grid, rng, self.options)
            x = np.concatenate([one, two])
            return x, np.zeros(len(x), np.float32)
        noisy, noisy_ivar = add_noise(flux, ivar, rng, self.options.noise_scale)
        noisy, _ = mask_segments(
            noisy,
            noisy_ivar,
            rng,
            n_segments=self.options.n_segments,
            max_fraction=self.options.max_mask_fraction,
        )
        return noisy.astype(np.float32), np.asarray(flux, np.float32)


def _training_model(encoder: keras.Model, method: str, n_pix: int) -> keras.Model:
    flux = encoder.inputs[0]
    h = encoder.outputs[0]
    if method == "contrastive":
        x = layers.Dense(h.shape[-1], activation="relu", name="projection0")(h)
        out = layers.Dense(h.shape[-1], name="projection1")(x)
        model = keras.Model(flux, out, name="simclr")
        model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss=nt_xent)
    else:
        x = layers.Dense(256, activation="relu", name="decoder0")(h)
        out = layers.Dense(n_pix, name="decoder1")(x)
        model = keras.Model(flux, out, name="denoising_autoencoder")
        model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="mse")
    return model


def pretrain_with_history(
    flux: np.ndarray,
    ivar: np.ndarray | None,
    grid: Grid,
    *,
    method: str = "contrastive",
    embedding_dim: int = 64,
    epochs: int = 30,
    batch_size: int = 128,
    seed: int = 0,
    progress: Progress | None = None,
    options: AugmentOptions | None = None,
    filters: Sequence[int] = (16, 32, 64),
    kernel_sizes: Sequence[int] = (7, 5, 3),
) -> tuple[keras.Model, dict[str, list[float]]]:
    """:func:`pretrain_encoder`, also returning the loss per epoch (``{"loss": [...]}``)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    flux = np.asarray(flux, dtype=np.float32)
    if flux.ndim != 2 or flux.shape[1] != grid.n_pix:
        raise ValueError(f"flux must have shape (n, {grid.n_pix}), not {flux.shape}")
    if len(flux) < 2:
        raise ValueError("pretraining needs at least 2 spectra")
    check_finite(flux, "pretraining input")
    batch_size = max(2, min(batch_size, len(flux)))
    encoder = build_encoder(
        grid.n_pix, embedding_dim, filters=filters, kernel_sizes=kernel_sizes, seed=seed
    )
    model = _training_model(encoder, method, grid.n_pix)
    views = _Views(flux, ivar, grid, method, batch_size, seed, options or AugmentOptions())
    callbacks = [ProgressCallback(progress, epochs)] if progress is not None else []
    history = model.fit(views, epochs=epochs, callbacks=callbacks, verbose=0)
    losses = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    if not np.all(np.isfinite(losses.get("loss", [0.0]))):
        raise ValueError("the pretraining loss became NaN or infinite")
    logger.info("pretrained %s encoder, final loss %.4g", method, losses["loss"][-1])
    return encoder, losses


def pretrain_encoder(
    flux: np.ndarray,
    ivar: np.ndarray | None,
    grid: Grid,
    *,
    method: str = "contrastive",
    embedding_dim: int = 64,
    epochs: int = 30,
    batch_size: int = 128,
    seed: int = 0,
    progress: Progress | None = None,
) -> keras.Model:
    """Train a spectrum encoder on unlabelled spectra.

    Parameters
    ----------
    flux : ndarray, shape (n, n_pix)
        Network input (bad pixels 0, as :func:`services.learning.inputs.model_input`).
    ivar : ndarray, shape (n, n_pix), or None
        Inverse variances (0 = unknown: the augmentations' noise then uses DER_SNR).
    grid : Grid
        The dataset's grid (Doppler shifts need the wavelengths).
    method : {"contrastive", "autoencoder"}
        SimCLR NT-Xent on two augmented views, or a denoising autoencoder.
    embedding_dim : int
        Width of the embedding.
    epochs, batch_size, seed : int
        Training schedule; the same seed gives the same encoder (same backend and machine).
    progress : callable(fraction, message), optional
        Called after each epoch.

    Returns
    -------
    keras.Model
        ``(n, n_pix) float32 -> (n, embedding_dim)``, not compiled.
    """
    encoder, _ = pretrain_with_history(
        flux,
        ivar,
        grid,
        method=method,
        embedding_dim=embedding_dim,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        progress=progress,
    )
    return encoder


def embed(encoder: keras.Model, flux: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """The embedding of each spectrum, float32 of shape (n, embedding_dim), in batches."""
    flux = np.asarray(flux, dtype=np.float32)
    dim = int(encoder.outputs[0].shape[-1])
    out = np.empty((len(flux), dim), np.float32)
    for start in range(0, len(flux), batch_size):
        batch = flux[start : start + batch_size]
        out[start : start + len(batch)] = np.asarray(encoder.predict_on_batch(batch))
    return out


def build_head_on_encoder(
    encoder: keras.Model,
    head: Head,
    *,
    freeze: bool = True,
    dense: int = 128,
    dropout: float = 0.25,
    weight_decay: float = 0.0,
    learning_rate: float = 1e-3,
    seed: int | None = None,
) -> keras.Model:
    """A compiled Bayesian model on a copy of ``encoder`` (the original is left unchanged).

    ``flux -> encoder (frozen: weights fixed, BatchNorm in inference mode; or fine-tuned)
    -> Dense(dense, relu, name="embedding") -> MCDropout(dropout) -> head``, the contract of
    :func:`~services.models.build_spectrum_cnn`: ``mc_predict`` runs everything up to
    ``embedding`` once per spectrum. ``weight_decay`` is the L2 penalty of the dense and
    output kernels (as in ``build_spectrum_cnn``).
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
    copy = keras.models.clone_model(encoder)
    copy.set_weights(encoder.get_weights())
    copy.trainable = not freeze
    n_pix = int(encoder.inputs[0].shape[1])
    flux = keras.Input((n_pix,), name="flux")
    return bayesian_head(
        flux,
        copy(flux),
        head,
        dense=dense,
        dropout=dropout,
        seed=seed,
        weight_decay=weight_decay,
        learning_rate=learning_rate,
        name="pretrained_cnn",
    )


def save_encoder(
    encoder: keras.Model, path: str | os.PathLike, sidecar: Mapping[str, Any]
) -> dict[str, Any]:
    """Write ``path`` (``.keras``) and its JSON sidecar ``path.with_suffix(".json")``.

    ``sidecar`` should say what a later job checks (the dataset's ``grid``, ``method``,
    ``embedding_dim``); ``format``, ``input_shape`` and the Keras version are added.
    Both files are written to temporary names and moved into place, sidecar last.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"an encoder file must end in .keras, not {path.name!r}")
    data = {
        **sidecar,
        "format": FORMAT,
        "input_shape": [int(d) for d in encoder.inputs[0].shape[1:]],
        "embedding_dim": int(encoder.outputs[0].shape[-1]),
        "keras_version": keras.__version__,
    }
    text = json.dumps(data, indent=2, sort_keys=True, default=str)
    write_with_sidecar(encoder, path, text)
    return data


def load_encoder(path: str | os.PathLike) -> tuple[keras.Model, dict[str, Any]]:
    """An encoder saved by :func:`save_encoder` and its sidecar (ValueError if it is not one)."""
    path = Path(path)
    data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path.name}: not a vocloud encoder (format {data.get('format')!r})")
    return keras.saving.load_model(path, compile=False), data
