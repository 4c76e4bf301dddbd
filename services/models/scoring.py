"""Monte Carlo dropout scoring of large pools of spectra, streamed in chunks.

Two ways to draw ``T`` samples, both called with ``training=False`` (BatchNorm uses its
moving statistics; only the stochastic layers are random):

``"trunk_once"`` (the default when the model allows it)
    The model is split at the input of its first stochastic layer. The part before it, the
    *deterministic trunk*, runs once per batch; its output is tiled T times along the batch
    axis (shape (T * b, ...)) and the *stochastic head* (the first stochastic layer and
    everything after it) runs once on the tiled tensor. For :func:`build_spectrum_cnn` the
    trunk is all conv blocks and the embedding, the head is MCDropout + output layer; for the
    DBAL MNIST CNN the trunk is the conv block and the head is dropout, dense 128, dropout and
    the output layer.
``"naive"``
    T full forward passes of the whole model per batch (the reference).

Both use the compiled prediction function (``predict_on_batch``; one call per batch for
trunk-once, T calls for naive), never ``model.predict`` in a loop over T.

Masks come from the stochastic layers' SeedGenerators, reset before every batch from
``seed`` and the pool row the batch starts at (:func:`~services.models.layers.
reset_dropout_seeds`): the same weights, seed and batch size give identical samples for a
row whichever part of the pool is scored, as long as batches start at multiples of
``batch_size`` (``first_row`` and chunk lengths multiples of it). So a pool scored in
shards gives what it gives scored whole. The two methods draw different masks (one draw of shape
(T * b, D) against T draws of shape (b, D)), so they agree in distribution, not sample by
sample.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

import keras
import numpy as np
from keras import layers, ops

from services.models.heads import HeadKind, head_kind_of
from services.models.layers import STOCHASTIC_LAYERS, reset_dropout_seeds

__all__ = ["check_finite", "mc_predict", "split_at_first_stochastic"]
logger = logging.getLogger(__name__)
Method = Literal["auto", "trunk_once", "naive"]
Progress = Callable[[float, str], None]


class _TileSamples(layers.Layer):
    """(b, ...) -> (T * b, ...): the batch repeated T times, sample-major."""

    def __init__(self, mc_samples: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.mc_samples = mc_samples

    def call(self, z):
        return ops.tile(z, [self.mc_samples] + [1] * (len(z.shape) - 1))

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[1:])


def split_at_first_stochastic(model: keras.Model) -> tuple[keras.Model, keras.Model]:
    """Split a functional model at the input of its first stochastic layer.

    Returns
    -------
    trunk : keras.Model
        Model input -> input of the first MCDropout/ConcreteDropout (deterministic).
    head : keras.Model
        That tensor -> model output (stochastic). Shares layers and weights with ``model``.

    Raises
    ------
    ValueError
        No top-level stochastic layer, or the output depends on more than the cut tensor
        (e.g. a skip connection around the dropout).
    """
    first = next((lay for lay in model.layers if isinstance(lay, STOCHASTIC_LAYERS)), None)
    if first is None:
        raise ValueError(
            "the model has no MCDropout or ConcreteDropout layer at top level: "
            "MC sampling would return T identical predictions"
        )
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError("MC scoring supports models with one input and one output")
    cut = first.input
    trunk = keras.Model(model.inputs[0], cut, name="deterministic_trunk")
    try:
        head = keras.Model(cut, model.outputs[0], name="stochastic_head")
    except ValueError as err:
        raise ValueError(
            f"cannot compute the trunk once: the output depends on more than the input of "
            f"{first.name!r}; use method='naive'"
        ) from err
    return trunk, head


# Sampling models per scored model, so that repeated calls (chunks of a pool, rounds of a
# worker) reuse the traced prediction function instead of tracing it again.
_SAMPLERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cached_sampler(model: keras.Model, mc_samples: int, method: Method):
    """:func:`_sampler`, memoised per model on (method, T); naive does not depend on T."""
    cache = _SAMPLERS.setdefault(model, {})
    key = (method, None if method == "naive" else mc_samples)
    if key not in cache:
        cache[key] = _sampler(model, mc_samples, method)
    return cache[key]


def _sampler(model: keras.Model, mc_samples: int, method: Method) -> tuple[keras.Model, str]:
    """A model x -> [embedding (b, D), raw samples (T * b, K) or (b, K)] and its method."""
    from services.models.ensemble import ensemble_sampler, is_ensemble

    if is_ensemble(model):  # one sample per member, laid out like trunk-once samples
        return ensemble_sampler(model), "ensemble"
    if method in ("auto", "trunk_once"):
        try:
            trunk, head = split_at_first_stochastic(model)
        except ValueError:
            if method == "trunk_once":
                raise
            logger.info("trunk-once MC sampling not possible; using T full passes")
        else:
            x = keras.Input(model.inputs[0].shape[1:], dtype=model.inputs[0].dtype)
            z = trunk(x)
            samples = head(_TileSamples(mc_samples)(z))
            return keras.Model(x, [layers.Flatten()(z), samples]), "trunk_once"
    split_at_first_stochastic(model)  # same checks, clear error
    first = next(lay for lay in model.layers if isinstance(lay, STOCHASTIC_LAYERS))
    cut = layers.Flatten()(first.input)
    return keras.Model(model.inputs[0], [cut, model.outputs[0]]), "naive"


def check_finite(x: np.ndarray, what: str = "input", offset: int = 0) -> None:
    """Raise ValueError naming the first row of ``x`` (shape (n, ...)) with NaN or inf."""
    finite = np.isfinite(x).reshape(len(x), -1).all(axis=1)
    if not finite.all():
        row = offset + int(np.argmin(finite))
        raise ValueError(
            f"{what} row {row} contains NaN or infinite values "
            f"({int((~finite).sum())} bad rows in this block); replace bad pixels "
            "(e.g. by 0 with zero weight) before training or scoring"
        )


def _batches(chunks: Iterable[np.ndarray], batch_size: int) -> Iterator[tuple[np.ndarray, bool]]:
    """Batches of exactly ``batch_size`` rows (zero-padded) and whether a chunk ends there."""
    for chunk in chunks:
        for start in range(0, len(chunk), batch_size):
            batch = np.asarray(chunk[start : start + batch_size], dtype=np.float32)
            yield batch, start + batch_size >= len(chunk)


def _run_batch(sampler: keras.Model, method: str, batch: np.ndarray, mc_samples: int, size: int):
    """Embedding (b, D) and raw outputs (T, b, K) of one batch, padding rows removed."""
    n = len(batch)
    if n < size:  # one traced shape for every batch
        batch = np.concatenate([batch, np.zeros((size - n, *batch.shape[1:]), batch.dtype)])
    if method in ("trunk_once", "ensemble"):
        embedding, raw = sampler.predict_on_batch(batch)
        raw = raw.reshape(mc_samples, size, -1)
    else:
        draws = [sampler.predict_on_batch(batch) for _ in range(mc_samples)]
        embedding, raw = draws[0][0], np.stack([d[1] for d in draws])
    return embedding[:n], raw[:, :n]


class _Collector:
    """Per-batch outputs into preallocated arrays when N is known, else into lists."""

    def __init__(self, n_total: int | None) -> None:
        self.n_total, self.done = n_total, 0
        self.parts: dict[str, list[np.ndarray]] = {"raw": [], "embedding": []}
        self.full: dict[str, np.ndarray] = {}

    def add(self, raw: np.ndarray, embedding: np.ndarray | None) -> None:
        """``raw`` (T, b, K) and ``embedding`` (b, D) of the next b spectra."""
        stop = self.done + raw.shape[1]
        if self.n_total is not None and stop > self.n_total:
            raise ValueError(f"the pool has more than n_total={self.n_total} spectra")
        if self.n_total is not None and not self.full:
            self.full["raw"] = np.empty((raw.shape[0], self.n_total, raw.shape[2]), np.float32)
            if embedding is not None:
                self.full["embedding"] = np.empty((self.n_total, embedding.shape[1]), np.float32)
        if self.full:
            self.full["raw"][:, self.done : stop] = raw
            if embedding is not None:
                self.full["embedding"][self.done : stop] = embedding
        else:
            self.parts["raw"].append(raw.astype(np.float32, copy=False))
            if embedding is not None:
                self.parts["embedding"].append(embedding.astype(np.float32, copy=False))
        self.done = stop

    def result(self, key: str) -> np.ndarray:
        if self.full:
            if self.done != self.n_total:
                raise ValueError(f"n_total={self.n_total} but the pool had {self.done} spectra")
            return self.full[key]
        return np.concatenate(self.parts[key], axis=1 if key == "raw" else 0)


def _finish(kind: HeadKind, raw: np.ndarray) -> dict[str, np.ndarray]:
    """Raw outputs (T, n, K) float32 -> named float32 arrays (log-softmax in place)."""
    if kind == "classification":
        norm = raw.max(axis=-1, keepdims=True)  # [T, n, 1]
        norm += np.log(np.exp(raw - norm).sum(axis=-1, keepdims=True))
        raw -= norm
        return {"log_probs": raw}
    if kind == "heteroscedastic":
        return {"means": raw[..., 0].copy(), "log_vars": raw[..., 1].copy()}
    return {"probs": 1.0 / (1.0 + np.exp(-raw))}


def mc_predict(
    model: keras.Model,
    chunks: np.ndarray | Iterable[np.ndarray],
    T: int = 20,  # number of MC samples, as in the literature
    *,
    batch_size: int = 512,
    chunk_size: int = 16384,
    seed: int | None = 0,
    method: Method = "auto",
    kind: HeadKind | None = None,
    n_total: int | None = None,
    first_row: int = 0,
    return_embedding: bool = True,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """Draw ``T`` MC-dropout predictions for every spectrum of a pool.

    Parameters
    ----------
    model : keras.Model
        A model from :mod:`services.models.architectures` (or any functional model with an
        MCDropout/ConcreteDropout layer and a head output layer).
    chunks : ndarray, shape (N, n_pix), or iterable of ndarray, shape (n_i, n_pix)
        The pool: one (memory-mapped) array, read ``chunk_size`` rows at a time, or an
        iterator of chunks. Only one chunk is in memory at a time.
    T : int
        Number of MC samples; a deep ensemble (:mod:`services.models.ensemble`) gives
        one per member instead, whatever ``T`` says.
    batch_size : int
        Spectra per compiled call (the trunk-once graph holds ``T * batch_size`` rows after
        the cut). Chunk lengths that are multiples of it avoid padded batches.
    seed : int or None
        Resets the dropout generators before each batch (see module docstring); None
        continues their streams.
    method : {"auto", "trunk_once", "naive"}
        "auto" uses trunk-once when the model can be split.
    kind : {"classification", "heteroscedastic", "binomial"}, optional
        Default: read from the output layer's name.
    n_total : int, optional
        Number of spectra of an iterator: outputs are then preallocated (no second copy at
        the end) and progress fractions known (NaN otherwise).
    first_row : int
        The pool row of the first spectrum (a shard of a larger pool): seeds the masks.
    return_embedding : bool
        Also return the deterministic embedding (the input of the first stochastic layer,
        flattened).
    progress : callable(fraction, message), optional
        Called after each chunk.

    Returns
    -------
    dict of str to ndarray (float32)
        ``log_probs`` (T, N, C) for classification; ``means`` and ``log_vars`` (T, N) for
        heteroscedastic regression; ``probs`` (T, N, Q) for binomial vote fractions; and
        ``embedding`` (N, D) if asked.
    """
    if T < 1 or batch_size < 1:
        raise ValueError("T and batch_size must be positive")
    from services.models.ensemble import ensemble_size

    T = ensemble_size(model) or T  # a deep ensemble gives one sample per member
    kind = kind or head_kind_of(model)
    if isinstance(chunks, np.ndarray):
        n_total, pool = len(chunks), chunks
        chunks = (pool[i : i + chunk_size] for i in range(0, len(pool), chunk_size))
    sampler, used = _cached_sampler(model, T, method)
    out = _Collector(n_total)
    for batch, chunk_end in _batches(chunks, batch_size):
        check_finite(batch, "spectrum", offset=first_row + out.done)
        if seed is not None:
            reset_dropout_seeds(model, seed, stream=first_row + out.done)
        embedding, raw = _run_batch(sampler, used, batch, T, batch_size)
        out.add(raw, embedding if return_embedding else None)
        if progress is not None and chunk_end:
            fraction = out.done / n_total if n_total else float("nan")
            progress(fraction, f"MC dropout ({used}, T={T}): {out.done} spectra scored")
    if out.done == 0:
        raise ValueError("the pool is empty: no spectra to score")
    result = _finish(kind, out.result("raw"))
    if return_embedding:
        result["embedding"] = out.result("embedding")
    return result
