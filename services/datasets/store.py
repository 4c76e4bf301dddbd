"""The on-disk dataset: versioned, memory-mappable learning arrays swapped atomically.

Layout under a user's ``datasets/`` directory::

    <name>/current          text file naming the current version, e.g. "v3"
    <name>/v3/flux.npy      float32, shape (n_spectra, n_pix)
    <name>/v3/ivar.npy      float32, shape (n_spectra, n_pix), flux units**-2
    <name>/v3/mask.npy      bool, shape (n_spectra, n_pix), True = bad pixel
    <name>/v3/wave.npy      float64, shape (n_pix,), Angstrom
    <name>/v3/meta.fits     binary table, one row per spectrum (row i <-> array row i)
    <name>/v3/dataset.json  name, version, created, grid, options, sources, failures...

A new version is written into a hidden temporary directory, renamed to ``v<k>`` when
complete and only then published by ``os.replace`` of ``current``; older versions are
removed afterwards (readers that still map them keep their open files).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from astropy.table import Table
from pydantic import AfterValidator

from services.datasets.grid import Grid
from services.storage.paths import PathEscape, safe_join

FORMAT_VERSION = 1
ARRAYS = ("flux", "ivar", "mask")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_VERSION = re.compile(r"v(\d+)")

META_COLUMNS: dict[str, type] = {
    "path": str,
    "sha256": str,
    "object": str,
    "ra": np.float64,
    "dec": np.float64,
    "redshift": np.float64,
    "obs_date": str,
    "format": str,
    "snr_median": np.float32,
    "n_good": np.int32,
    "norm_scale": np.float64,
    "vacuum": bool,
    "rest_frame": bool,
    "ivar_source": str,
}


class DatasetError(ValueError):
    """A bad dataset name, or a dataset that does not exist or cannot be read."""


def validate_name(name: str) -> str:
    """Return ``name`` if it is a safe dataset name, else raise :class:`DatasetError`.

    A name is 1-64 letters, digits, ``-``, ``_`` or ``.``, starting with a letter or
    digit, with no ``..``: it is used as a directory name.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise DatasetError(
            f"invalid dataset name {name!r}: use 1-64 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit"
        )
    return name


# A job parameter naming a dataset: refused at job creation unless it is a plain name.
DatasetName = Annotated[str, AfterValidator(validate_name)]


def dataset_dir(datasets_root: Path, name: str) -> Path:
    """Directory of dataset ``name`` under a user's ``datasets/`` (name validated, contained)."""
    try:
        return safe_join(Path(datasets_root), validate_name(name))
    except PathEscape as exc:
        raise DatasetError(str(exc)) from None


def versions(directory: Path) -> list[int]:
    """Version numbers present in a dataset directory, ascending."""
    if not directory.is_dir():
        return []
    return sorted(int(m.group(1)) for p in directory.iterdir() if (m := _VERSION.fullmatch(p.name)))


def current_version_dir(directory: Path) -> Path:
    """The directory of the current version of the dataset at ``directory``.

    Raises
    ------
    DatasetError
        If the dataset has no published version.
    """
    try:
        version = (directory / "current").read_text().strip()
    except OSError:
        raise DatasetError(f"no dataset at {directory.name!r}") from None
    if not _VERSION.fullmatch(version):
        raise DatasetError(f"dataset {directory.name!r}: corrupt 'current' pointer")
    return directory / version


@dataclass
class Dataset:
    """One version of a dataset, its arrays memory-mapped read-only.

    Attributes
    ----------
    path : Path
        The version directory (``<name>/v<k>``).
    info : dict
        The content of ``dataset.json``.
    flux, ivar : numpy.memmap, shape (n_spectra, n_pix), float32
    mask : numpy.memmap, shape (n_spectra, n_pix), bool
    wave : ndarray, shape (n_pix,), float64, Angstrom
    """

    path: Path
    info: dict[str, Any]
    flux: np.ndarray
    ivar: np.ndarray
    mask: np.ndarray
    wave: np.ndarray

    @property
    def name(self) -> str:
        return self.info["name"]

    @property
    def version(self) -> int:
        return int(self.info["version"])

    @property
    def n_spectra(self) -> int:
        return int(self.flux.shape[0])

    @property
    def grid(self) -> Grid:
        return Grid.from_dict(self.info["grid"])

    @cached_property
    def meta(self) -> Table:
        """Per-spectrum metadata (see :data:`META_COLUMNS`), row i describes array row i."""
        return Table.read(self.path / "meta.fits", format="fits", memmap=False, mask_invalid=False)

    def size_bytes(self) -> int:
        """Bytes on disk of this version's files."""
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def iter_chunks(
        self, chunk_rows: int = 4096, start: int = 0, stop: int | None = None
    ) -> Iterator[tuple[slice, np.ndarray, np.ndarray, np.ndarray]]:
        """Stream rows ``start`` to ``stop`` (default: all) in blocks, never holding more than
        one block in memory.

        Yields
        ------
        rows : slice
            Which rows of the dataset this block is.
        flux, ivar : ndarray, shape (n_rows, n_pix), float32
        mask : ndarray, shape (n_rows, n_pix), bool
        """
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be positive")
        end = self.n_spectra if stop is None else min(stop, self.n_spectra)
        for first in range(start, end, chunk_rows):
            rows = slice(first, min(first + chunk_rows, end))
            yield (
                rows,
                np.asarray(self.flux[rows]),
                np.asarray(self.ivar[rows]),
                np.asarray(self.mask[rows]),
            )


def open_dataset(path: Path) -> Dataset:
    """Open a dataset: its directory (the current version) or one version directory.

    Raises
    ------
    DatasetError
        If there is no dataset there or its files are unreadable.
    """
    path = Path(path)
    if not (path / "dataset.json").is_file():
        path = current_version_dir(path)
    try:
        info = json.loads((path / "dataset.json").read_text())
        arrays = {name: np.load(path / f"{name}.npy", mmap_mode="r") for name in ARRAYS}
        wave = np.load(path / "wave.npy")
    except (OSError, ValueError) as exc:
        raise DatasetError(f"dataset at {path}: unreadable ({exc})") from None
    return Dataset(path=path, info=info, wave=wave, **arrays)


def read_info(directory: Path) -> dict[str, Any]:
    """``dataset.json`` of the current version, with ``size_bytes`` added."""
    version_dir = current_version_dir(directory)
    try:
        info = json.loads((version_dir / "dataset.json").read_text())
        info["size_bytes"] = sum(p.stat().st_size for p in version_dir.iterdir() if p.is_file())
    except (OSError, ValueError) as exc:
        raise DatasetError(f"dataset {directory.name!r}: unreadable ({exc})") from None
    return info


def list_datasets(datasets_root: Path) -> list[dict[str, Any]]:
    """The ``dataset.json`` (plus ``size_bytes``) of every dataset, sorted by name.

    Datasets that are being written for the first time or are unreadable are left out.
    """
    root = Path(datasets_root)
    if not root.is_dir():
        return []
    found = []
    for directory in sorted(root.iterdir()):
        if not directory.is_dir() or not _NAME.fullmatch(directory.name):
            continue
        with contextlib.suppress(DatasetError):
            found.append(read_info(directory))
    return found


def delete_dataset(datasets_root: Path, name: str) -> None:
    """Remove a dataset with all its versions; atomic for readers of ``current``.

    Raises
    ------
    DatasetError
        If the name is invalid or there is no such dataset.
    """
    directory = dataset_dir(datasets_root, name)
    if not (directory / "current").is_file():
        raise DatasetError(f"no dataset called {name!r}")
    trash = Path(tempfile.mkdtemp(prefix=".trash-", dir=datasets_root))
    os.rename(directory, trash / name)
    shutil.rmtree(trash, ignore_errors=True)
