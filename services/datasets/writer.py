"""Writing a dataset's next version: rows streamed into memory maps, then one atomic swap.

The layout is described in :mod:`services.datasets.store`. The arrays are allocated for
``capacity`` rows (sparse files until written), cut down to the rows actually written,
and the version directory is renamed into place before ``current`` is replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import Table
from numpy.lib.format import open_memmap

from services.datasets.grid import Grid
from services.datasets.store import (
    ARRAYS,
    FORMAT_VERSION,
    META_COLUMNS,
    DatasetError,
    dataset_dir,
    versions,
)

OWNER = ".owner"  # lock file inside a version being built


@dataclass
class DatasetWriter:
    """Writes the next version of a dataset row by row; publish it with :meth:`commit`.

    Parameters
    ----------
    datasets_root : Path
        The user's ``datasets/`` directory.
    name : str
        Dataset name (validated).
    grid : Grid
        The common grid; ``wave.npy`` is its pixel centres.
    capacity : int
        Most rows that will be written (e.g. the number of input files); unused rows are
        cut off at :meth:`commit`. Arrays are sparse files until rows are written.

    Use as a context manager: leaving the block without a commit discards the version.
    """

    datasets_root: Path
    name: str
    grid: Grid
    capacity: int
    n_rows: int = 0
    _meta: dict[str, list[Any]] = field(default_factory=lambda: {k: [] for k in META_COLUMNS})

    def __post_init__(self) -> None:
        self.directory = dataset_dir(self.datasets_root, self.name)
        self.directory.mkdir(parents=True, exist_ok=True)
        with _locked(self.directory):
            _remove_abandoned(self.directory)
            self.tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=self.directory))
            # Held while this build lives; the kernel drops it if the process is killed.
            self._owner = (self.tmp / OWNER).open("w")
            fcntl.flock(self._owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.tmp.chmod(0o755)  # mkdtemp's 0700 would outlive the rename
        shape = (max(1, self.capacity), self.grid.n_pix)
        self.flux = open_memmap(self.tmp / "flux.npy", "w+", np.float32, shape)
        self.ivar = open_memmap(self.tmp / "ivar.npy", "w+", np.float32, shape)
        self.mask = open_memmap(self.tmp / "mask.npy", "w+", np.bool_, shape)
        np.save(self.tmp / "wave.npy", self.grid.wave())

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.discard()

    def append(
        self, flux: np.ndarray, ivar: np.ndarray, mask: np.ndarray, meta: dict[str, Any]
    ) -> int:
        """Write one row: arrays of shape (n_pix,) and its :data:`META_COLUMNS` values.

        Returns the row's index.
        """
        if self.n_rows >= self.capacity:
            raise DatasetError(f"more than {self.capacity} rows written")
        row = self.n_rows
        self.flux[row] = flux
        self.ivar[row] = ivar
        self.mask[row] = mask
        for key, values in self._meta.items():
            values.append(meta.get(key))
        self.n_rows += 1
        return row

    def commit(self, info: dict[str, Any]) -> Path:
        """Publish the rows written as the dataset's next version; return its directory.

        ``info`` is stored in ``dataset.json`` with name, version, created, grid,
        n_spectra, n_pix and format_version added.
        """
        if self.n_rows == 0:
            raise DatasetError("a dataset needs at least one spectrum")
        for name in ARRAYS:
            array = getattr(self, name)
            array.flush()
            del array
            setattr(self, name, None)
            _shrink_npy(self.tmp / f"{name}.npy", self.n_rows)
        _meta_table(self._meta).write(self.tmp / "meta.fits", format="fits")
        with _locked(self.directory):
            version = max([0, *versions(self.directory)]) + 1
            document = {
                **info,
                "name": self.name,
                "version": version,
                "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "grid": self.grid.to_dict(),
                "n_spectra": self.n_rows,
                "n_pix": self.grid.n_pix,
                "format_version": FORMAT_VERSION,
            }
            (self.tmp / "dataset.json").write_text(json.dumps(document, indent=1))
            target = self.directory / f"v{version}"
            (self.tmp / OWNER).unlink()
            os.rename(self.tmp, target)
            self._owner.close()
            _write_pointer(self.directory, target.name)
            for old in versions(self.directory):
                if old != version:
                    shutil.rmtree(self.directory / f"v{old}", ignore_errors=True)
        return target

    def discard(self) -> None:
        """Remove the unpublished version (no-op after :meth:`commit`)."""
        for name in ARRAYS:
            setattr(self, name, None)
        self._owner.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        with contextlib.suppress(OSError):  # remove the dataset if nothing was ever published
            if {p.name for p in self.directory.iterdir()} <= {".lock"}:
                (self.directory / ".lock").unlink(missing_ok=True)
                self.directory.rmdir()


def _remove_abandoned(directory: Path) -> None:
    """Remove temporary versions whose build died (killed job): nobody holds their lock."""
    for tmp in directory.glob(".building-*"):
        try:
            with (tmp / OWNER).open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a build in progress
        except OSError:
            pass
        shutil.rmtree(tmp, ignore_errors=True)


def _write_pointer(directory: Path, version: str) -> None:
    tmp = directory / f".current-{os.getpid()}"
    with tmp.open("w") as handle:
        handle.write(version + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, directory / "current")


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialise commits to one dataset (two builds of the same name at once)."""
    with (directory / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _shrink_npy(path: Path, n_rows: int) -> None:
    """Cut a C-ordered .npy file of shape (capacity, ...) down to its first ``n_rows`` rows.

    The header is rewritten in place, padded to its old length, then the file truncated.
    """
    with path.open("r+b") as handle:
        version = np.lib.format.read_magic(handle)
        read_header = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }[version]
        shape, fortran, dtype = read_header(handle)
        offset = handle.tell()
        if shape[0] == n_rows:
            return
        new_shape = (n_rows, *shape[1:])
        header = repr(
            {
                "descr": np.lib.format.dtype_to_descr(dtype),
                "fortran_order": fortran,
                "shape": new_shape,
            }
        )
        prefix = 6 + 2 + (2 if version == (1, 0) else 4)  # magic, version, length field
        room = offset - prefix
        body = header.encode("latin1").ljust(room - 1) + b"\n"
        handle.seek(prefix)
        handle.write(body)
        handle.truncate(offset + int(np.prod(new_shape)) * dtype.itemsize)


def _meta_table(columns: dict[str, list[Any]]) -> Table:
    table = Table()
    for key, kind in META_COLUMNS.items():
        values = columns[key]
        if kind is str:
            table[key] = np.array([v or "" for v in values], dtype=str)
        elif kind is bool:
            table[key] = np.array([bool(v) for v in values], dtype=bool)
        else:
            fill = -1 if kind is np.int32 else np.nan
            table[key] = np.array([fill if v is None else v for v in values], dtype=kind)
    return table
