"""Datasets: named collections of spectra on a common grid, stored as learning arrays.

Public API
----------
Grid, derive_grid, Coverage1D
    The common wavelength grid (linear or log-lambda), given or derived from spectra.
ResampleOptions, resample, air_to_vacuum
    Put one :class:`services.spectra.Spectrum` onto a grid (flux-conserving or linear),
    in vacuum / rest frame, normalised.
DatasetWriter, open_dataset, list_datasets, delete_dataset, validate_name
    The versioned on-disk arrays (``flux.npy``, ``ivar.npy``, ``mask.npy``, ``wave.npy``,
    ``meta.fits``, ``dataset.json``) under a user's ``datasets/`` directory.
"""

from services.datasets.grid import Coverage1D, Grid, GridError, derive_grid
from services.datasets.resample import (
    Resampled,
    ResampleError,
    ResampleOptions,
    air_to_vacuum,
    resample,
)
from services.datasets.store import (
    Dataset,
    DatasetError,
    dataset_dir,
    delete_dataset,
    list_datasets,
    open_dataset,
    read_info,
    validate_name,
)
from services.datasets.writer import DatasetWriter

__all__ = [
    "Coverage1D",
    "Dataset",
    "DatasetError",
    "DatasetWriter",
    "Grid",
    "GridError",
    "ResampleError",
    "ResampleOptions",
    "Resampled",
    "air_to_vacuum",
    "dataset_dir",
    "delete_dataset",
    "derive_grid",
    "list_datasets",
    "open_dataset",
    "read_info",
    "resample",
    "validate_name",
]
