"""The common wavelength grid of a dataset: linear or log-lambda, given or derived.

A :class:`Grid` is defined by its first and last pixel *centres* (Angstrom) and its
number of pixels; pixel edges lie half-way between centres (in wavelength for a linear
grid, in log10 wavelength for a log-lambda grid) and half a step beyond the end centres.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

Spacing = Literal["linear", "log"]
Coverage = Literal["overlap", "median"]

MAX_PIX = 200_000


class GridError(ValueError):
    """A grid that cannot be built from the values given (empty range, too many pixels)."""


@dataclass(frozen=True)
class Grid:
    """A wavelength grid shared by every spectrum of a dataset.

    Parameters
    ----------
    wave_min, wave_max : float
        Centres of the first and last pixels, Angstrom (vacuum, or rest frame when the
        dataset was built with ``rest_frame``).
    n_pix : int
        Number of pixels (>= 2).
    spacing : {"linear", "log"}
        Pixels equally spaced in wavelength or in log10 wavelength.
    """

    wave_min: float
    wave_max: float
    n_pix: int
    spacing: Spacing = "linear"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.wave_min) and math.isfinite(self.wave_max)):
            raise GridError("grid limits must be finite")
        if not 0 < self.wave_min < self.wave_max:
            raise GridError(f"empty wavelength range {self.wave_min:g}-{self.wave_max:g} Å")
        if not 2 <= self.n_pix <= MAX_PIX:
            raise GridError(f"n_pix must be between 2 and {MAX_PIX}, got {self.n_pix}")
        if self.spacing not in ("linear", "log"):
            raise GridError(f"unknown spacing {self.spacing!r}")

    @classmethod
    def linear(cls, wave_min: float, wave_max: float, n_pix: int) -> Grid:
        """A grid of ``n_pix`` centres equally spaced from ``wave_min`` to ``wave_max`` (Å)."""
        return cls(float(wave_min), float(wave_max), int(n_pix), "linear")

    @classmethod
    def log(cls, wave_min: float, wave_max: float, log_step: float) -> Grid:
        """A log-lambda grid starting at ``wave_min`` with steps of ``log_step`` dex.

        The last centre is the largest ``wave_min * 10**(k * log_step)`` <= ``wave_max``
        (within 1e-6 of a step), so ``wave_max`` is rounded down onto the grid.
        """
        if not log_step > 0:
            raise GridError("log_step must be positive")
        if not 0 < wave_min < wave_max:
            raise GridError(f"empty wavelength range {wave_min:g}-{wave_max:g} Å")
        n_steps = math.floor(math.log10(wave_max / wave_min) / log_step + 1e-6)
        last = 10 ** (math.log10(wave_min) + n_steps * log_step)
        return cls(float(wave_min), float(last), int(n_steps) + 1, "log")

    @property
    def step(self) -> float:
        """Pixel step: Å for a linear grid, dex (log10 Å) for a log-lambda grid."""
        if self.spacing == "log":
            return math.log10(self.wave_max / self.wave_min) / (self.n_pix - 1)
        return (self.wave_max - self.wave_min) / (self.n_pix - 1)

    def wave(self) -> np.ndarray:
        """Pixel centres.

        Returns
        -------
        ndarray, shape (n_pix,), float64
            Wavelengths in Angstrom, ascending.
        """
        if self.spacing == "log":
            return np.logspace(math.log10(self.wave_min), math.log10(self.wave_max), self.n_pix)
        return np.linspace(self.wave_min, self.wave_max, self.n_pix)

    def edges(self) -> np.ndarray:
        """Pixel edges.

        Returns
        -------
        ndarray, shape (n_pix + 1,), float64
            Edges in Angstrom; pixel ``i`` spans ``edges[i]`` to ``edges[i + 1]``.
        """
        half = 0.5 * self.step
        if self.spacing == "log":
            lo, hi = math.log10(self.wave_min) - half, math.log10(self.wave_max) + half
            return np.logspace(lo, hi, self.n_pix + 1)
        return np.linspace(self.wave_min - half, self.wave_max + half, self.n_pix + 1)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, with the step for people reading ``dataset.json``."""
        return {**asdict(self), "step": self.step}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Grid:
        """Inverse of :meth:`to_dict` (the ``step`` entry is ignored)."""
        return cls(
            float(data["wave_min"]), float(data["wave_max"]), int(data["n_pix"]), data["spacing"]
        )

    def describe(self) -> str:
        """One line for pages and logs, e.g. ``3700.00-9000.00 Å, 3909 px, log step 1e-04 dex``."""
        unit = "dex" if self.spacing == "log" else "Å"
        kind = "log step" if self.spacing == "log" else "step"
        return (
            f"{self.wave_min:.2f}-{self.wave_max:.2f} Å, {self.n_pix} px, "
            f"{kind} {self.step:.4g} {unit}"
        )


@dataclass(frozen=True)
class Coverage1D:
    """What the grid derivation needs to know of one spectrum.

    Parameters
    ----------
    wave_min, wave_max : float
        First and last good wavelength, Angstrom (after any air->vacuum or rest-frame change).
    step : float
        Median pixel step, Angstrom.
    log_step : float
        Median pixel step in log10 wavelength, dex.
    """

    wave_min: float
    wave_max: float
    step: float
    log_step: float

    @classmethod
    def of(cls, wave: np.ndarray) -> Coverage1D:
        """Coverage of a wavelength array ``wave`` (shape (n_pix,), Å, ascending, n_pix >= 2)."""
        wave = np.asarray(wave, dtype=np.float64)
        return cls(
            float(wave[0]),
            float(wave[-1]),
            float(np.median(np.diff(wave))),
            float(np.median(np.diff(np.log10(wave)))),
        )


def derive_grid(
    coverages: Sequence[Coverage1D],
    *,
    spacing: Spacing = "linear",
    coverage: Coverage = "overlap",
    wave_min: float | None = None,
    wave_max: float | None = None,
    n_pix: int | None = None,
    log_step: float | None = None,
) -> Grid:
    """A grid from the values the user gave, the rest derived from the spectra.

    Parameters
    ----------
    coverages : sequence of Coverage1D
        The spectra (or a sample of them); may be empty when every value is given.
    spacing : {"linear", "log"}
        Kind of grid.
    coverage : {"overlap", "median"}
        Derived limits: the range every spectrum covers (largest start, smallest end),
        or the median start and median end. An empty overlap falls back to the median.
    wave_min, wave_max : float, optional
        Limits in Angstrom; derived when None.
    n_pix : int, optional
        Pixels of a linear grid; derived from the median pixel step when None.
    log_step : float, optional
        Step of a log grid in dex; the median log step of the spectra when None.

    Raises
    ------
    GridError
        If a value is missing and there are no spectra to derive it from, or the result
        is not a valid grid.
    """
    needs_spectra = wave_min is None or wave_max is None
    needs_spectra |= (n_pix if spacing == "linear" else log_step) is None
    if needs_spectra and not coverages:
        raise GridError("no spectra to derive the grid from")
    if wave_min is None or wave_max is None:
        lo, hi = _limits(coverages, coverage)
        wave_min = lo if wave_min is None else wave_min
        wave_max = hi if wave_max is None else wave_max
    if spacing == "log":
        if log_step is None:
            log_step = float(np.median([c.log_step for c in coverages]))
        return Grid.log(wave_min, wave_max, log_step)
    if n_pix is None:
        n_pix = _n_pix(coverages, wave_min, wave_max)
    return Grid.linear(wave_min, wave_max, n_pix)


def _n_pix(coverages: Sequence[Coverage1D], wave_min: float, wave_max: float) -> int:
    step = float(np.median([c.step for c in coverages]))
    if not step > 0:
        raise GridError("the spectra have no positive pixel step")
    n_pix = round((wave_max - wave_min) / step) + 1
    if n_pix > MAX_PIX:
        raise GridError(f"the derived grid would have {n_pix} pixels; give N_PIX")
    return n_pix


def _limits(coverages: Sequence[Coverage1D], coverage: Coverage) -> tuple[float, float]:
    starts = np.array([c.wave_min for c in coverages])
    ends = np.array([c.wave_max for c in coverages])
    if coverage == "overlap" and starts.max() < ends.min():
        return float(starts.max()), float(ends.min())
    return float(np.median(starts)), float(np.median(ends))
