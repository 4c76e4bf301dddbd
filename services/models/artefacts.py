"""A trained model on disk: ``<name>.keras`` plus a JSON sidecar ``<name>.json``.

The sidecar records what the model expects (input grid, head, class names) and how it was
trained, so that a later job can refuse a model trained on another dataset's grid
(:func:`check_compatible`) without loading Keras.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import keras

from services.models.architectures import compile_for_head
from services.models.ensemble import ensemble_size
from services.models.heads import Head

__all__ = ["Sidecar", "check_compatible", "load_model", "read_sidecar", "save_model"]
FORMAT = "vocloud-model/1"


@dataclass(frozen=True)
class Sidecar:
    """Metadata saved next to a model.

    Attributes
    ----------
    head : dict
        ``{"kind": ..., "names": [...]}`` (see :class:`~services.models.heads.Head`).
    input_shape : list of int
        Shape of one input, e.g. ``[n_pix]``.
    n_pix : int or None
        Pixels of the wavelength grid the model was trained on.
    wave_min, wave_max : float or None
        First and last grid wavelength (Angstrom), when known.
    training : dict
        Training configuration and summary (epochs, seed, dataset id, ...).
    ensemble : int
        Members of a deep ensemble (:mod:`services.models.ensemble`); 0 for one
        MC-dropout model.
    """

    head: dict[str, Any]
    input_shape: list[int]
    n_pix: int | None = None
    wave_min: float | None = None
    wave_max: float | None = None
    training: dict[str, Any] = field(default_factory=dict)
    ensemble: int = 0
    keras_version: str = keras.__version__
    format: str = FORMAT

    @property
    def class_names(self) -> list[str]:
        return list(self.head["names"])


def _sidecar_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _save_keras(model: keras.Model, path: str) -> None:
    with warnings.catch_warnings():
        # Keras 3.15's TF backend calls np.array(variable, copy=False) when saving, which
        # NumPy 2 reports as a DeprecationWarning; harmless, and an error under pytest here.
        warnings.filterwarnings(
            "ignore",
            message="__array__ implementation doesn't accept a copy keyword",
            category=DeprecationWarning,
        )
        model.save(path)


def write_with_sidecar(model: keras.Model, path: Path, sidecar_text: str) -> None:
    """Write a ``.keras`` file and its JSON sidecar beside it (``path.with_suffix(".json")``).

    Both are written to temporary names and moved into place, the sidecar last, so that a
    reader never finds a sidecar describing a model that is not there yet.
    """
    _atomic_write(path, lambda tmp: _save_keras(model, tmp))
    _atomic_write(_sidecar_path(path), lambda tmp: Path(tmp).write_text(sidecar_text))


def save_model(
    model: keras.Model,
    path: str | os.PathLike,
    head: Head,
    *,
    n_pix: int | None = None,
    wave_min: float | None = None,
    wave_max: float | None = None,
    training: Mapping[str, Any] | None = None,
) -> Sidecar:
    """Write ``path`` (must end in ``.keras``) and its sidecar ``path.with_suffix(".json")``.

    Both files are written to temporary names and moved into place, sidecar last.

    Returns
    -------
    Sidecar
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"a model file must end in .keras, not {path.name!r}")
    sidecar = Sidecar(
        head=head.to_json(),
        input_shape=[int(d) for d in model.inputs[0].shape[1:]],
        n_pix=n_pix,
        wave_min=None if wave_min is None else float(wave_min),
        wave_max=None if wave_max is None else float(wave_max),
        training=dict(training or {}),
        ensemble=ensemble_size(model),
    )
    text = json.dumps(asdict(sidecar), indent=2, sort_keys=True, default=str)
    write_with_sidecar(model, path, text)
    return sidecar


def read_sidecar(path: str | os.PathLike) -> Sidecar:
    """The sidecar of a model file (``.keras`` or ``.json`` path)."""
    data = json.loads(_sidecar_path(Path(path)).read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a vocloud model sidecar (format {data.get('format')!r})")
    return Sidecar(**data)


def load_model(path: str | os.PathLike) -> tuple[keras.Model, Sidecar]:
    """Load a model saved by :func:`save_model` and its sidecar.

    The model comes back compiled for its head with a fresh Adam optimizer (learning rate
    ``training["learning_rate"]`` of the sidecar, default 1e-3): optimizer state is not
    restored, which is what fine-tuning on a new label snapshot wants anyway.
    """
    sidecar = read_sidecar(path)
    model = keras.saving.load_model(Path(path), compile=False)
    learning_rate = float(sidecar.training.get("learning_rate", 1e-3))
    compile_for_head(model, Head.from_json(sidecar.head), learning_rate)
    return model, sidecar


def check_compatible(
    sidecar: Sidecar | Mapping[str, Any],
    n_pix: int,
    wave_min: float | None = None,
    wave_max: float | None = None,
) -> None:
    """Raise ValueError unless a dataset's grid is the one the model was trained on.

    The pixel count must match; the wavelength range is compared when both sides know it,
    to 1% of a pixel.
    """
    side = sidecar if isinstance(sidecar, Sidecar) else Sidecar(**sidecar)
    trained = side.n_pix if side.n_pix is not None else math.prod(side.input_shape)
    mine = f"{n_pix} pixels" + (
        f" ({wave_min:g}-{wave_max:g} Å)" if None not in (wave_min, wave_max) else ""
    )
    theirs = f"{trained} pixels" + (
        f" ({side.wave_min:g}-{side.wave_max:g} Å)"
        if None not in (side.wave_min, side.wave_max)
        else ""
    )
    advice = "retrain on this dataset or resample it onto the model's grid"
    if n_pix != trained:
        raise ValueError(f"model trained on a grid of {theirs}; this dataset has {mine}: {advice}")
    if None in (wave_min, wave_max, side.wave_min, side.wave_max):
        return
    tol = 0.01 * abs(side.wave_max - side.wave_min) / max(trained - 1, 1)
    if abs(wave_min - side.wave_min) > tol or abs(wave_max - side.wave_max) > tol:
        raise ValueError(
            f"model trained on a grid of {theirs}; this dataset covers {mine}: {advice}"
        )
