"""Real servers on 127.0.0.2 for the ingestion tests: VO services, static listings, FTP.

The directories ``tests/services/vo`` and ``tests/services/fetch`` import these fixtures
from here (``from tests.services.ingest.conftest import ...``), so there is one definition.
"""

from __future__ import annotations

import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.jobs import JobContext
from tests.support.ftp_server import FtpServer
from tests.support.remote import TEST_POLICY
from tests.support.vo_servers import (
    Dataset,
    StaticServer,
    VOServer,
    datasets_from_files,
    make_synthetic,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "spectra"
REAL = sorted(DATA.glob("*/*.fits"))


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory) -> list[Dataset]:
    """200 synthetic 1-D WCS FITS spectra (seeded), written once per session."""
    return make_synthetic(tmp_path_factory.mktemp("synthetic"), n=200, seed=42)


@pytest.fixture(scope="session")
def real() -> list[Dataset]:
    """The real fixture spectra (Ondřejov and LAMOST) of tests/data/spectra."""
    return datasets_from_files(REAL)


@pytest.fixture
def vo_server(synthetic, real) -> Iterator[VOServer]:
    """SSAP + DataLink + SODA + files over the 200 synthetic and the real spectra."""
    with VOServer(synthetic + real) as server:
        yield server


@pytest.fixture
def small_vo_server(synthetic, real) -> Iterator[VOServer]:
    """The same services over 6 synthetic spectra and the real ones (fast full ingests)."""
    with VOServer(synthetic[:6] + real) as server:
        yield server


@pytest.fixture
def tree(tmp_path) -> Path:
    """A directory tree of real spectra: top level, sub/ and sub/deeper/."""
    root = tmp_path / "tree"
    (root / "sub" / "deeper").mkdir(parents=True)
    shutil.copy(REAL[0], root)
    shutil.copy(REAL[1], root / "sub")
    shutil.copy(REAL[2], root / "sub" / "deeper")
    (root / "README.txt").write_text("not a spectrum\n")
    return root


@pytest.fixture
def static_server(tree) -> Iterator[StaticServer]:
    with StaticServer(tree) as server:
        yield server


@pytest.fixture
def ftp_server(tree) -> Iterator[FtpServer]:
    with FtpServer(tree) as server:
        yield server


@pytest.fixture
def ctx(tmp_path) -> JobContext:
    """A job context whose owner storage is a temporary directory (no Django needed)."""
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    return JobContext(
        job_id="j1", job_dir=job_dir, user_root=tmp_path / "user", fetch_policy=TEST_POLICY
    )


def make_tar(path: Path, members: dict[str, Path]) -> Path:
    """A .tar.gz at ``path`` holding ``files`` under the given member names."""
    with tarfile.open(path, "w:gz") as tar:
        for name, source in members.items():
            tar.add(source, arcname=name)
    return path
