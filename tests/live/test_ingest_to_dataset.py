"""Ingest through UWS, build a dataset through UWS, and check its arrays against the readers.

Two sources: the 17 real fixture spectra (1 Ondřejov + 16 LAMOST DR2) uploaded as an archive,
and a 200-spectrum SSAP service on 127.0.0.1 (with DataLink and SODA).
"""

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
from astropy.io.votable import parse_single_table

from services.datasets.resample import ResampleOptions, resample
from services.datasets.store import open_dataset
from services.spectra import read_spectrum
from tests.support.platform import wait_for_phase
from tests.support.vo_servers import VOServer, make_synthetic

pytestmark = pytest.mark.platform
ROOT = Path(__file__).resolve().parents[2]
ONDREJOV = ROOT / "tests" / "data" / "spectra" / "ondrejov" / "oe270005.fits"
SHARED_LAMOST = ROOT.parent / "shared" / "data" / "spectra" / "lamost-dr2"


def run(session, platform, kind: str, files=None, **params) -> str:
    response = session.post(
        platform.jobs_url(kind), data={**params, "PHASE": "RUN"}, files=files, allow_redirects=False
    )
    assert response.status_code == 303, response.text
    job = response.headers["Location"]
    phase = wait_for_phase(session, job, {"COMPLETED", "ERROR", "ABORTED"}, timeout=180)
    assert phase == "COMPLETED", session.get(f"{job}/error").text
    return job


def ingested_paths(session, job) -> list[str]:
    report = parse_single_table(io.BytesIO(session.get(f"{job}/results/result").content))
    assert set(report.array["status"]) == {"ok"}
    return sorted(str(p) for p in report.array["path"])


def check_dataset_matches_readers(platform, name: str, paths: list[str]) -> None:
    [directory] = platform.data_dir.glob(f"users/*/datasets/{name}")
    files_root = directory.parent.parent / "files"
    dataset = open_dataset(directory)
    assert dataset.n_spectra == len(paths)
    assert sorted(str(p) for p in dataset.meta["path"]) == paths
    options = ResampleOptions.from_dict(dataset.info["options"])
    for row, path in enumerate(dataset.meta["path"]):
        expected = resample(read_spectrum(files_root / str(path)), dataset.grid, options)
        np.testing.assert_array_equal(dataset.mask[row], expected.mask)
        np.testing.assert_allclose(
            dataset.flux[row], expected.flux.astype(np.float32), rtol=1e-6, atol=1e-30
        )
        np.testing.assert_allclose(
            dataset.ivar[row], expected.ivar.astype(np.float32), rtol=1e-6, atol=1e-30
        )
    assert np.all(np.diff(dataset.wave) > 0)


def test_real_fixture_spectra_become_a_dataset_that_matches_the_readers(platform):
    lamost = sorted(SHARED_LAMOST.glob("*.fits")) if SHARED_LAMOST.is_dir() else []
    if len(lamost) < 16:
        pytest.skip(f"the shared LAMOST spectra are missing ({SHARED_LAMOST})")
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for path in [ONDREJOV, *lamost[:16]]:
            tar.add(path, arcname=path.name)
    bob = platform.session("bob")  # own space: other tests ingest the same files for alice
    ingest = run(
        bob,
        platform,
        "ingest",
        TARGET="evidence/real",
        files={"upload": ("real17.tar.gz", archive.getvalue())},
    )
    paths = ingested_paths(bob, ingest)
    assert len(paths) == 17
    run(bob, platform, "dataset", NAME="real17", FOLDERS="evidence/real", NORMALISATION="median")
    check_dataset_matches_readers(platform, "real17", paths)


def test_ssap_service_of_200_spectra_becomes_a_dataset(platform, tmp_path):
    with VOServer(make_synthetic(tmp_path / "ssap", n=200, seed=11)) as server:
        bob = platform.session("bob")  # own space: other tests ingest the same files for alice
        ingest = run(
            bob, platform, "ingest", SSAP_URL=server.ssap_url, PARALLEL=8, TARGET="evidence/ssap"
        )
    paths = ingested_paths(bob, ingest)
    assert len(paths) == 200
    # the synthetic spectra start anywhere in 3800-6000 Å: a grid spanning all of them keeps
    # every one (pixels outside a spectrum's coverage are masked)
    run(
        bob,
        platform,
        "dataset",
        NAME="ssap200",
        FOLDERS="evidence/ssap",
        GRID="linear",
        WAVE_MIN=3800,
        WAVE_MAX=7600,
        N_PIX=1900,
        NORMALISATION="l2",
    )
    check_dataset_matches_readers(platform, "ssap200", paths)
