"""SODA sync cut-outs of a spectrum: its pixels inside a wavelength band, as a VOTable.

The original file is read with :func:`services.spectra.read_spectrum` (any layout vocloud
reads), the pixels with ``lo <= wavelength <= hi`` are kept and written as an IVOA Spectrum
data model VOTable (columns ``WAVE`` in metres, as BAND, ``FLUX`` and ``ERR`` in the file's flux
unit, ``QUALITY`` 0 good / 1 bad, with SDM utypes: SPLAT, TOPCAT and vocloud's own reader
take it). A band that holds no pixel of the spectrum is no error: :func:`cut_out` returns
None and the service answers 204 No Content.

Memory: the whole spectrum once (n_pix float64 x 4).
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from astropy.table import Table

from services.spectra import SpectrumReadError, read_spectrum
from services.vo_serve.errors import VOServeError

ANGSTROM_M = 1e-10


class Unreadable(VOServeError):
    """The stored file can no longer be read as a spectrum (HTTP 422)."""

    code = "Error"
    status = 422


def cut_out(path: Path, band_m: tuple[float, float] | None, title: str) -> bytes | None:
    """The spectrum at ``path`` restricted to ``band_m``, as VOTable bytes; None if empty.

    Parameters
    ----------
    path : Path
        The original file (already resolved inside the owner's storage).
    band_m : (float, float) or None
        Wavelength interval in metres (infinite sides open); None keeps everything.
    title : str
        Description of the table (the spectrum's identifier).
    """
    try:
        spectrum = read_spectrum(path)
    except SpectrumReadError as exc:
        raise Unreadable(f"the stored spectrum cannot be read: {exc.reason}") from None
    wave_aa = np.asarray(spectrum.wave, dtype=np.float64)  # [n_pix], Angstrom
    keep = np.ones(wave_aa.size, dtype=bool)
    if band_m is not None:
        lo, hi = band_m
        keep = (wave_aa * ANGSTROM_M >= lo) & (wave_aa * ANGSTROM_M <= hi)
    if not keep.any():
        return None
    table = Table()
    table.meta["description"] = _describe(title, band_m)
    n_pix = wave_aa.size
    error = _or(spectrum.uncertainty, np.full(n_pix, np.nan))[keep]
    flux_unit = str(spectrum.flux_unit) if spectrum.flux_unit is not None else None
    _column(table, "WAVE", wave_aa[keep] * ANGSTROM_M, "m", "em.wl", "SpectralAxis.Value")
    _column(table, "FLUX", spectrum.flux[keep], flux_unit, "phot.flux.density",
            "FluxAxis.Value")  # fmt: skip
    _column(table, "ERR", np.where(np.isfinite(error), error, np.nan), flux_unit,
            "stat.error;phot.flux.density", "FluxAxis.Accuracy.StatError")  # fmt: skip
    quality = _or(spectrum.mask, np.zeros(n_pix, dtype=bool))[keep].astype(np.int16)
    _column(table, "QUALITY", quality, None, "meta.code.qual", "FluxAxis.Quality")
    buffer = io.BytesIO()
    table.write(buffer, format="votable")
    return buffer.getvalue()


def _or(values: np.ndarray | None, default: np.ndarray) -> np.ndarray:
    """``values`` as an array, or ``default`` where the reader had none."""
    return default if values is None else np.asarray(values, dtype=default.dtype)


def _column(table: Table, name: str, values, unit: str | None, ucd: str, utype: str) -> None:
    table[name] = np.asarray(values)
    table[name].unit = unit or None
    table[name].meta["ucd"] = ucd
    table[name].meta["utype"] = f"spec:Spectrum.Data.{utype}"


def _describe(title: str, band_m: tuple[float, float] | None) -> str:
    if band_m is None:
        return f"{title}: the whole spectrum"
    lo, hi = (f"{v * 1e10:.6g}" if math.isfinite(v) else "open" for v in band_m)
    return f"{title}: cut-out {lo} to {hi} Angstrom"
