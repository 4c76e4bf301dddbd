"""Bokeh previews of dataset rows: the stored (resampled) flux over the original file's."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
from bokeh.layouts import column
from bokeh.models import LayoutDOM

from services.datasets.resample import ResampleOptions, observed_to_grid_wave
from services.datasets.store import Dataset
from services.plots import spectrum_figure
from services.spectra import SpectrumReadError, read_spectrum


def example_rows(n_spectra: int, count: int = 4) -> list[int]:
    """Up to ``count`` row indices spread evenly over ``n_spectra`` rows, first and last too."""
    if n_spectra <= 0:
        return []
    return sorted({int(i) for i in np.linspace(0, n_spectra - 1, min(count, n_spectra)).round()})


def row_figure(dataset: Dataset, row: int, files_root: Path | None = None):
    """One row plotted against the grid; masked pixels are left out.

    When ``files_root`` is given and the source file is still there, the original
    spectrum is drawn underneath in grey, in the dataset's frame and normalisation.

    Parameters
    ----------
    dataset : Dataset
        An open dataset.
    row : int
        Row index, 0 <= row < n_spectra.
    files_root : Path, optional
        The user's ``files/`` directory, against which ``meta["path"]`` is relative.
    """
    meta = dataset.meta[row]
    flux = np.where(dataset.mask[row], np.nan, dataset.flux[row]).astype(np.float64)
    title = f"row {row}: {meta['object'] or meta['path']} ({meta['path']})"
    plot = spectrum_figure(dataset.wave, flux, title=title, flux_label="Normalised flux")
    original = _original(dataset, row, files_root) if files_root is not None else None
    if original is not None:
        line = plot.line(*original, color="#999999", line_width=1, legend_label="original")
        plot.renderers.insert(0, plot.renderers.pop(plot.renderers.index(line)))
        plot.legend.location = "top_right"
    return plot


def _original(dataset: Dataset, row: int, files_root: Path) -> tuple[np.ndarray, np.ndarray] | None:
    with contextlib.suppress(SpectrumReadError, OSError, ValueError):
        spectrum = read_spectrum(files_root / str(dataset.meta["path"][row]))
        options = ResampleOptions.from_dict(dataset.info["options"])
        wave, _vacuum, _z = observed_to_grid_wave(spectrum, options)
        keep = spectrum.good & (wave >= dataset.wave[0]) & (wave <= dataset.wave[-1])
        return wave[keep], spectrum.flux[keep] / float(dataset.meta["norm_scale"][row])
    return None


def examples_layout(dataset: Dataset, files_root: Path | None = None, count: int = 4) -> LayoutDOM:
    """A column of :func:`row_figure` for :func:`example_rows` of the dataset."""
    return column(
        [row_figure(dataset, row, files_root) for row in example_rows(dataset.n_spectra, count)],
        sizing_mode="stretch_width",
    )
