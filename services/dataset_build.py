"""The ``dataset`` job kind: build (or rebuild) a named dataset from folders of spectra.

Every file under ``FOLDERS`` (recursively, hidden files skipped) is read as a spectrum,
converted to vacuum wavelengths (when in air), optionally shifted to the rest frame,
put onto one common wavelength grid (flux-conserving rebinning or linear interpolation)
and normalised. The rows are streamed into memory-mappable arrays (``flux``, ``ivar``,
``mask``, ``wave`` as ``.npy``, metadata in ``meta.fits``) which become the dataset's
next version at the end, atomically: until then the previous version stays in use.

Files that are not spectra, or that do not overlap the grid, are left out and listed
with the reason in the report (the VOTable result ``result``); one bad file never stops the job.
Grid values not given are derived from (a sample of up to 500 of) the spectra: the
range they all cover (``COVERAGE=overlap``) or their median range (``median``), and
their median pixel step.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
from astropy.table import Table
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.datasets import (
    Coverage1D,
    DatasetError,
    DatasetWriter,
    Grid,
    GridError,
    Resampled,
    ResampleError,
    ResampleOptions,
    derive_grid,
    resample,
    validate_name,
)
from services.datasets.resample import observed_to_grid_wave
from services.datasets.store import DatasetName
from services.jobs import JobContext, JobFailure, Result
from services.messages import summarise_failures
from services.spectra import Spectrum, SpectrumReadError, read_spectrum
from services.storage import PathEscape, UserSpace
from services.storage.index import ContentIndex
from services.storage.paths import StoragePaths
from services.storage.quota import QuotaExceeded

TITLE = "Build a dataset"
SUMMARY = "Resample the spectra of folders onto one wavelength grid as a named, versioned dataset."
EXECUTION_DURATION = 3600
MAX_EXECUTION_DURATION = 7 * 24 * 3600

READ_THREADS = 2  # measured: 1, 2 and 4 threads read equally fast on 2 cores (CPU-bound)
BATCH = 256  # files read per batch: bounds memory however many files there are
GRID_SAMPLE = 500  # spectra read to derive a grid


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DatasetName = Field(
        ...,
        min_length=1,
        max_length=64,
        description="Dataset name: letters, digits, '-', '_', '.'; an existing dataset "
        "of this name gets a new version.",
        title="Dataset name",
    )
    folders: StoragePaths = Field(
        ...,
        min_length=1,
        max_length=10000,
        description="Comma-separated folders (or files) in your storage, read recursively.",
        title="Folders",
    )
    grid: Literal["linear", "log"] = Field(
        "log",
        description="Pixels equally spaced in wavelength (linear) or in log10 wavelength.",
        title="Wavelength grid",
    )
    wave_min: float | None = Field(
        None,
        gt=0,
        le=1e7,
        description="First pixel centre in Å; derived when empty.",
        title="First wavelength (Å)",
    )
    wave_max: float | None = Field(
        None,
        gt=0,
        le=1e7,
        description="Last pixel centre in Å; derived when empty.",
        title="Last wavelength (Å)",
    )
    n_pix: int | None = Field(
        None,
        ge=2,
        le=200000,
        description="Pixels of a linear grid; from the median pixel step when empty.",
        title="Pixels (linear grid)",
    )
    log_step: float | None = Field(
        None,
        gt=0,
        le=0.1,
        description="Step of a log grid in dex (1e-4 is 69 km/s); the median step when empty.",
        title="Log step (dex)",
    )
    coverage: Literal["overlap", "median"] = Field(
        "overlap",
        description="Derived limits: the range every spectrum covers, or the median range.",
        title="Derived range",
    )
    resampling: Literal["conserve", "linear"] = Field(
        "conserve",
        description="Flux-conserving rebinning, or linear interpolation.",
        title="Resampling",
    )
    air_to_vacuum: Literal["auto", "yes", "no"] = Field(
        "auto",
        description="Convert air wavelengths to vacuum (Morton 2000): when the file says "
        "air (auto), always, or never.",
        title="Air to vacuum",
    )
    rest_frame: bool = Field(
        False,
        description="Shift to the rest frame by the file's redshift, when it has one.",
        title="Shift to rest frame",
    )
    normalisation: Literal["none", "median", "mean", "max", "l2", "window"] = Field(
        "median",
        description="Divide each flux by its median, mean, max, L2 norm, or the "
        "median inside NORM_WINDOW.",
        title="Normalisation",
    )
    norm_window: str = Field(
        "",
        max_length=100,
        description="'start,end' in Å on the grid, for NORMALISATION=window.",
        title="Normalisation window (Å)",
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        try:
            return validate_name(value)
        except DatasetError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("norm_window")
    @classmethod
    def _valid_window(cls, value: str) -> str:
        if value.strip():
            _parse_window(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Parameters:
        if self.grid == "linear" and self.log_step is not None:
            raise ValueError("LOG_STEP applies to GRID=log; give N_PIX for a linear grid")
        if self.grid == "log" and self.n_pix is not None:
            raise ValueError("N_PIX applies to GRID=linear; give LOG_STEP for a log grid")
        lo, hi = self.wave_min, self.wave_max
        if lo is not None and hi is not None and lo >= hi:
            raise ValueError("WAVE_MIN must be below WAVE_MAX")
        if self.normalisation == "window" and not self.norm_window.strip():
            raise ValueError("NORMALISATION=window needs NORM_WINDOW, e.g. '5500,5600'")
        return self

    def options(self) -> ResampleOptions:
        window = _parse_window(self.norm_window) if self.norm_window.strip() else None
        return ResampleOptions(
            method=self.resampling,
            air_to_vacuum=self.air_to_vacuum,
            rest_frame=self.rest_frame,
            normalisation=self.normalisation,
            norm_window=window if self.normalisation == "window" else None,
        )


def _parse_window(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(part) for part in text.replace(" ", "").split(","))
    except ValueError:
        raise ValueError(f"NORM_WINDOW must be 'start,end' in Å, got {text!r}") from None
    if not 0 < lo < hi:
        raise ValueError(f"NORM_WINDOW start must be positive and below its end, got {text!r}")
    return lo, hi


def run(params: Parameters, ctx: JobContext) -> list[Result]:
    """Read, resample and store every spectrum of ``params.folders`` as a new version."""
    started = time.monotonic()
    space = ctx.user_space
    files = collect_files(space, params.folders)
    ctx.logger.info("dataset %s: %d files under %s", params.name, len(files), params.folders)
    options = params.options()
    ctx.progress(0.0, f"{len(files)} files found", force=True)
    grid = choose_grid(params, files, options)
    ctx.logger.info("grid: %s", grid.describe())
    # flux and ivar (float32) and mask (bool) per pixel, and a metadata row per spectrum
    needed = len(files) * (grid.n_pix * 9 + 1024)
    try:
        with ctx.admit(needed, "Dataset build"):
            pass  # counted now, written below: a long build must not hold the quota lock
    except QuotaExceeded as exc:
        raise JobFailure(str(exc)) from None
    version_dir, report = build(params, ctx, files, grid, options)
    elapsed = time.monotonic() - started
    n_failed = sum(1 for _path, row, _reason in report if row < 0)
    ctx.logger.info(
        "dataset %s %s: %d spectra, %d failed, %.1f s (%.1f files/s)",
        params.name,
        version_dir.name,
        len(files) - n_failed,
        n_failed,
        elapsed,
        len(files) / max(elapsed, 1e-9),
    )
    return _write_results(ctx, version_dir, report)


Report = list[tuple[str, int, str]]  # (path relative to files/, row or -1, reason)


def build(
    params: Parameters, ctx: JobContext, files: list[Path], grid: Grid, options: ResampleOptions
) -> tuple[Path, Report]:
    """Stream ``files`` into the dataset's next version; return its directory and report."""
    space = ctx.user_space
    root = space.files.resolve()
    shas = _known_hashes(space)
    report: Report = []
    no_redshift = 0
    with DatasetWriter(space.datasets, params.name, grid, capacity=len(files)) as writer:
        for done, (path, outcome) in enumerate(_process_all(files, grid, options), start=1):
            relative = path.relative_to(root).as_posix()
            if isinstance(outcome, str):
                report.append((relative, -1, outcome))
            else:
                spectrum, resampled = outcome
                meta = _meta_row(relative, shas.get(relative), spectrum, resampled)
                no_redshift += spectrum.meta.redshift is None
                report.append((relative, writer.append(*resampled.arrays(), meta), ""))
            ctx.progress(0.98 * done / len(files), f"{done} of {len(files)} files")
        failures = [{"path": p, "reason": reason} for p, row, reason in report if row < 0]
        if writer.n_rows == 0:
            reasons = summarise_failures([(f["path"], f["reason"]) for f in failures])
            raise JobFailure(
                f"none of the {len(files)} files could be used: {reasons or 'no files'}"
            )
        info = {
            "options": options.to_dict(),
            "sources": [f.strip() for f in params.folders.split(",") if f.strip()],
            "n_files": len(files),
            "n_without_redshift": no_redshift,
            "failures": failures,
        }
        return writer.commit(info), report


def collect_files(space: UserSpace, folders: str) -> list[Path]:
    """Regular files under each comma-separated folder (or file), sorted, no hidden ones.

    Raises
    ------
    JobFailure
        For a path that leaves the user's storage or does not exist, or no files at all.
    """
    root = space.files.resolve()
    found: set[Path] = set()
    for folder in (f.strip() for f in folders.split(",")):
        if not folder:
            continue
        try:
            base = space.resolve(folder)
        except PathEscape as exc:
            raise JobFailure(f"FOLDERS: {exc}") from None
        if base.is_file():
            found.add(base)
        elif base.is_dir():
            found.update(_walk(base, root))
        else:
            raise JobFailure(f"FOLDERS: {folder!r} does not exist in your storage")
    if not found:
        raise JobFailure(f"FOLDERS: no files in {folders!r}")
    return sorted(found)


def _walk(base: Path, root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            path = (Path(dirpath) / name).resolve()
            # a symlink may point out of the storage: never read it
            if not name.startswith(".") and path.is_relative_to(root) and path.is_file():
                yield path


def choose_grid(params: Parameters, files: list[Path], options: ResampleOptions) -> Grid:
    """The grid from the parameters, missing values derived from a sample of ``files``."""
    complete = params.wave_min is not None and params.wave_max is not None
    complete &= (params.n_pix if params.grid == "linear" else params.log_step) is not None
    coverages: list[Coverage1D] = []
    failures: list[tuple[str, str]] = []  # (file name, why it could not be read)
    if not complete:
        picks = np.unique(np.linspace(0, len(files) - 1, min(GRID_SAMPLE, len(files))).round())
        sample = [files[int(i)] for i in picks]
        with ThreadPoolExecutor(READ_THREADS) as pool:
            for path, spectrum in zip(sample, pool.map(_read_or_reason, sample), strict=True):
                if isinstance(spectrum, str):
                    failures.append((path.name, spectrum))
                elif np.count_nonzero(spectrum.good) >= 2:
                    wave = observed_to_grid_wave(spectrum, options)[0][spectrum.good]
                    coverages.append(Coverage1D.of(wave))
        if not coverages and len(failures) == len(sample):  # the cause, not its consequence
            raise JobFailure(
                f"none of the {len(sample)} files read to derive the wavelength grid is a "
                f"readable spectrum: {summarise_failures(failures)}"
            )
    try:
        return derive_grid(
            coverages,
            spacing=params.grid,
            coverage=params.coverage,
            wave_min=params.wave_min,
            wave_max=params.wave_max,
            n_pix=params.n_pix,
            log_step=params.log_step,
        )
    except GridError as exc:
        raise JobFailure(f"cannot build the wavelength grid: {exc}") from None


def _read_or_reason(path: Path) -> Spectrum | str:
    try:
        return read_spectrum(path)
    except SpectrumReadError as exc:
        return exc.reason


def process_file(
    path: Path, grid: Grid, options: ResampleOptions
) -> tuple[Spectrum, Resampled] | str:
    """Read and resample one file; the reason as a string when it cannot be used."""
    try:
        spectrum = read_spectrum(path)
        return spectrum, resample(spectrum, grid, options)
    except (SpectrumReadError, ResampleError) as exc:
        return getattr(exc, "reason", None) or str(exc)
    except Exception as exc:  # a reader bug must not lose the other files
        return f"unexpected error: {type(exc).__name__}: {exc}"


def _process_all(
    files: list[Path], grid: Grid, options: ResampleOptions
) -> Iterator[tuple[Path, tuple[Spectrum, Resampled] | str]]:
    with ThreadPoolExecutor(READ_THREADS) as pool:
        for start in range(0, len(files), BATCH):
            batch = files[start : start + BATCH]
            yield from zip(
                batch, pool.map(lambda p: process_file(p, grid, options), batch), strict=True
            )


def _known_hashes(space: UserSpace) -> dict[str, str]:
    """path (relative to files/) -> SHA-256, from the content index when there is one."""
    if not space.index_path.exists():
        return {}
    index = ContentIndex(space.index_path)
    try:
        return {entry.path: entry.sha256 for entry in index.entries()}
    finally:
        index.close()


def _meta_row(
    relative: str, sha256: str | None, spectrum: Spectrum, resampled: Resampled
) -> dict[str, Any]:
    meta = spectrum.meta
    return {
        "path": relative,
        "sha256": sha256,
        "object": meta.object_name,
        "ra": meta.ra,
        "dec": meta.dec,
        "redshift": meta.redshift,
        "obs_date": meta.obs_date,
        "format": meta.format,
        "snr_median": resampled.snr_median,
        "n_good": resampled.n_good,
        "norm_scale": resampled.scale,
        "vacuum": resampled.vacuum,
        "rest_frame": resampled.redshift is not None,
        "ivar_source": resampled.ivar_source,
    }


def _write_results(ctx: JobContext, version_dir: Path, report: Report) -> list[Result]:
    info = json.loads((version_dir / "dataset.json").read_text())
    (ctx.results_dir / "dataset.json").write_text(json.dumps(info, indent=1))
    paths, rows, reasons = zip(*report, strict=True)
    table = Table(
        {
            "path": np.array(paths, dtype=str),
            "status": np.where(np.array(rows) >= 0, "ok", "failed"),
            "row": np.array(rows, dtype=np.int64),
            "reason": np.array(reasons, dtype=str),
        }
    )
    table.meta["description"] = f"files of dataset {info['name']} v{info['version']}"
    table.write(ctx.results_dir / "report.vot", format="votable", overwrite=True)
    ctx.progress(
        1.0, f"{info['n_spectra']} spectra in {info['name']} v{info['version']}", force=True
    )
    return [
        Result("dataset", "dataset.json", "application/json"),
        Result("result", "report.vot", "application/x-votable+xml"),  # for fetch_result()
    ]
