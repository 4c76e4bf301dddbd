"""The ``dataset`` job kind on the real fixture spectra."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from astropy.io.votable import parse_single_table
from pydantic import ValidationError

import services.dataset_build as kind
from services.datasets import Grid, ResampleOptions, open_dataset, resample
from services.jobs import JobContext, JobFailure
from services.spectra import read_spectrum
from services.storage import UserSpace
from services.storage.index import ContentIndex, Entry, sha256_file

DATA = Path(__file__).parents[2] / "data" / "spectra"
SHARED_LAMOST = Path("/work/shared/data/spectra/lamost-dr2")


@pytest.fixture
def space(tmp_path) -> UserSpace:
    space = UserSpace(tmp_path / "user").ensure()
    shutil.copytree(DATA / "ondrejov", space.files / "obs" / "ondrejov")
    shutil.copytree(DATA / "lamost-dr2", space.files / "obs" / "lamost")
    (space.files / "obs" / "notes.txt").write_text("not a spectrum at all\n")
    (space.files / "obs" / "broken.fits").write_bytes(b"SIMPLE  =                    T")
    (space.files / "obs" / ".hidden.fits").write_bytes(b"ignored")
    return space


@pytest.fixture
def ctx(tmp_path, space) -> JobContext:
    reports = []
    context = JobContext("job1", tmp_path / "job", user_root=space.root)
    context.report = lambda fraction, message: reports.append((fraction, message))
    context.reports = reports
    return context


def params(**values) -> kind.Parameters:
    return kind.Parameters.model_validate({"name": "obs", "folders": "obs", **values})


def assert_rows_match(ds, space, options: ResampleOptions):
    for row, relative in enumerate(ds.meta["path"]):
        expected = resample(read_spectrum(space.files / relative), ds.grid, options)
        assert np.array_equal(ds.flux[row], expected.flux.astype(np.float32))
        assert np.array_equal(ds.ivar[row], expected.ivar.astype(np.float32))
        assert np.array_equal(ds.mask[row], expected.mask)


def test_build_matches_read_spectrum_and_resample_and_lists_bad_files(space, ctx):
    results = kind.run(params(), ctx)
    assert [r.id for r in results] == ["dataset", "result"]
    ds = open_dataset(space.datasets / "obs")
    assert ds.n_spectra == 4 and ds.grid.spacing == "log"
    # the default grid is the overlap: the Ondřejov range inside LAMOST's
    assert 6265 <= ds.grid.wave_min < 6266 and 6776 < ds.grid.wave_max <= 6778
    assert_rows_match(ds, space, ResampleOptions(normalisation="median"))
    assert sorted(f["path"] for f in ds.info["failures"]) == ["obs/broken.fits", "obs/notes.txt"]
    report = parse_single_table(ctx.results_dir / "report.vot").to_table()
    assert len(report) == 6 and sorted(report["status"]) == ["failed"] * 2 + ["ok"] * 4
    assert all(report["reason"][report["status"] == "failed"])
    assert set(ds.meta["format"]) == {"ondrejov-ccd700", "lamost-dr2"}
    assert ds.meta["ivar_source"][list(ds.meta["format"]).index("ondrejov-ccd700")] == "der_snr"
    assert ctx.reports[-1][0] == 1.0 and "4 spectra" in ctx.reports[-1][1]


def test_given_linear_grid_rest_frame_and_window_normalisation(space, ctx):
    kind.run(
        params(
            grid="linear",
            wave_min=4000,
            wave_max=8000,
            n_pix=2001,
            rest_frame=True,
            resampling="linear",
            normalisation="window",
            norm_window="5500,5600",
            folders="obs/lamost",
        ),
        ctx,
    )
    ds = open_dataset(space.datasets / "obs")
    assert ds.grid == Grid.linear(4000, 8000, 2001) and ds.n_spectra == 3
    options = ResampleOptions("linear", "auto", True, "window", (5500.0, 5600.0))
    assert_rows_match(ds, space, options)
    assert ds.info["options"]["rest_frame"] is True
    # one LAMOST fixture has no redshift: kept in the observed frame and flagged
    assert list(ds.meta["rest_frame"]).count(False) == ds.info["n_without_redshift"] == 1


def test_a_rebuild_makes_a_new_version_and_records_known_hashes(space, ctx):
    kind.run(params(folders="obs/lamost"), ctx)
    path = space.files / "obs" / "ondrejov" / "oe270005.fits"
    index = ContentIndex(space.index_path)
    index.add(Entry(sha256_file(path), "obs/ondrejov/oe270005.fits", 1, "fits", "test"))
    index.close()
    kind.run(params(), ctx)
    ds = open_dataset(space.datasets / "obs")
    assert ds.version == 2 and ds.n_spectra == 4
    row = list(ds.meta["path"]).index("obs/ondrejov/oe270005.fits")
    assert ds.meta["sha256"][row] == sha256_file(path)


@pytest.mark.skipif(not SHARED_LAMOST.is_dir(), reason="shared LAMOST spectra not present")
def test_build_of_the_shared_lamost_spectra(space, ctx):
    shutil.copytree(SHARED_LAMOST, space.files / "lamost16")
    kind.run(params(name="l16", folders="lamost16", normalisation="l2"), ctx)
    ds = open_dataset(space.datasets / "l16")
    assert ds.n_spectra == len(list(SHARED_LAMOST.iterdir()))
    assert ds.grid.step == pytest.approx(1e-4)
    assert_rows_match(ds, space, ResampleOptions(normalisation="l2"))


def test_only_bad_files_fail_the_job(space, ctx):
    with pytest.raises(JobFailure, match="none of the 1 files"):
        kind.run(params(folders="obs/notes.txt", wave_min=4000, wave_max=5000, log_step=1e-4), ctx)
    assert not (space.datasets / "obs").exists()


def test_every_file_unreadable_names_the_read_errors_not_the_grid(space, ctx):
    # the grid is derived (no WAVE_MIN...): the job must say why no spectrum was read
    with pytest.raises(JobFailure) as info:
        kind.run(params(folders="obs/notes.txt,obs/broken.fits"), ctx)
    message = str(info.value)
    assert "grid" not in message.replace("derive the wavelength grid", "")
    assert "none of the 2 files read to derive the wavelength grid is a readable" in message
    assert "(e.g. notes.txt)" in message and "(e.g. broken.fits)" in message
    assert "truncated FITS file" in message


def test_a_missing_folder_fails(ctx):
    with pytest.raises(JobFailure, match="FOLDERS"):
        kind.run(params(folders="missing"), ctx)


@pytest.mark.parametrize("folders", ["../elsewhere", "/etc", "a, ../../1/files"])
def test_folders_outside_the_storage_are_refused_before_the_job_runs(folders):
    with pytest.raises(ValidationError, match="folders"):
        params(folders=folders)


@pytest.mark.parametrize(
    "values",
    [
        {"name": "../x"},
        {"n_pix": 100},  # a log grid takes LOG_STEP
        {"grid": "linear", "log_step": 1e-4},
        {"wave_min": 5000, "wave_max": 4000},
        {"normalisation": "window"},
        {"norm_window": "abc"},
        {"log_step": 0},
        {"colour": "red"},
    ],
)
def test_bad_parameters_are_refused(values):
    with pytest.raises(ValidationError):
        params(**values)
