"""alice's spectra as the VO services see them: four real spectra in a dataset, one loose
ingested file, a labelling session, and a COMPLETED score job with a candidates list.

The spectra (tests/data/spectra, licences beside them) are three LAMOST DR2 spectra
(3700-9100 Angstrom) at RA 41.3, 167.6 and 89.3 deg, and an Ondrejov CCD700 spectrum of
HD 208905 (6265-6777 Angstrom, around H-alpha) at RA 329.3, Dec 61.3.
"""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings as django_settings

from services.datasets import DatasetWriter, Grid
from services.learning.votable import write_table
from services.spectra import read_spectrum
from services.storage import UserSpace, user_space
from services.storage.index import ContentIndex, Entry, sha256_file

DATA = Path(__file__).resolve().parents[1] / "data" / "spectra"
REAL = sorted(DATA.glob("*/*.fits"))  # 3 LAMOST, then the Ondrejov spectrum
ONDREJOV = "spectra/oe270005.fits"
HD208905 = (329.3258333333333, 61.29436111111111)
DATASET = "real"


def space_of(owner) -> UserSpace:
    return user_space(django_settings.DATA_DIR, owner.pk).ensure()


def put_spectra(space: UserSpace, dataset: str = DATASET) -> list[str]:
    """Copy the real spectra into ``space``'s files and build a dataset of them.

    Each row's mask hides the grid pixels its spectrum does not cover, as the dataset
    builder does; metadata comes from the files' headers.
    """
    (space.files / "spectra").mkdir(exist_ok=True)
    grid = Grid.linear(3600.0, 9200.0, 1400)
    wave = grid.wave()
    paths = []
    with DatasetWriter(space.datasets, dataset, grid, len(REAL)) as writer:
        for source in REAL:
            shutil.copy(source, space.files / "spectra" / source.name)
            spectrum = read_spectrum(source)
            meta = spectrum.meta
            path = f"spectra/{source.name}"
            paths.append(path)
            writer.append(
                np.ones(wave.size, np.float32),
                np.ones(wave.size, np.float32),
                (wave < spectrum.wave.min()) | (wave > spectrum.wave.max()),
                {
                    "path": path,
                    "object": meta.object_name,
                    "ra": meta.ra,
                    "dec": meta.dec,
                    "obs_date": meta.obs_date,
                    "format": meta.format,
                },
            )
        writer.commit({"sources": ["tests/data/spectra"]})
    return paths


def put_loose_file(space: UserSpace) -> str:
    """An ingested spectrum in no dataset: in the content index only."""
    target = space.files / "ingest" / "loose.fits"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(REAL[0], target)
    index = ContentIndex(space.index_path)
    try:
        index.add(Entry(sha256_file(target), "ingest/loose.fits", target.stat().st_size, "", "t"))
    finally:
        index.close()
    return "ingest/loose.fits"


def completed_score_job(owner, paths: list[str], results: Path):
    """A COMPLETED score job on the dataset: Ondrejov predicted 'emission', LAMOST 'star'."""
    from tests.support.labelling_round import completed_job

    results.mkdir(parents=True)
    predicted = np.array(["star", "star", "star", "emission"])
    table = {
        "row": np.arange(4),
        "path": np.array(paths),
        "object": np.array(["a", "b", "c", "HD 208905"]),
        "score": np.array([0.1, 0.2, 0.3, 0.9]),
        "predicted": predicted,
        "confidence": np.array([0.9, 0.8, 0.7, 0.6]),
    }
    write_table(table, results / "scores.vot", "bald scores")
    chosen = np.flatnonzero(predicted == "star")[::-1]  # least confident first: order kept
    write_table({k: v[chosen] for k, v in table.items()}, results / "candidates.vot", "star")
    return completed_job(owner, "score", results, {"DATASET": DATASET, "CANDIDATE_CLASS": "star"})


@pytest.fixture
def alice_spectra(alice, tmp_path):
    """alice's VO data: dataset 'real', a loose file, a label, a score job with candidates."""
    from vocloud.labelling.models import Label, Session

    paths = put_spectra(space_of(alice))
    put_loose_file(space_of(alice))
    session = Session.objects.create(
        owner=alice, name="be-stars", dataset=DATASET, classes=["emission", "star"]
    )
    Label.objects.create(session=session, path=ONDREJOV, value="emission")
    job = completed_score_job(alice, paths, tmp_path / "score-results")
    return {"paths": paths, "job": job}


@pytest.fixture
def alice_token(alice) -> str:
    from vocloud.accounts.models import ApiToken

    return ApiToken.issue(alice, "pyvo")[1]


@pytest.fixture
def http():
    """A client session for the live server, closed after the test.

    The live server (one per run) answers each kept-alive connection in a thread that ends
    when the client closes it; one closed after the server stopped would find the test
    database gone. So every connection of the test (pyvo opens some of its own, which may
    sit in reference cycles) is closed when the test ends.
    """
    import requests

    with requests.Session() as session:
        yield session
    gc.collect()
