"""Alice's storage with a few real files; helpers to read the page's messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from services.storage import UserSpace, user_space
from services.storage.index import ContentIndex, Entry

ONDREJOV = Path(__file__).parents[1] / "data" / "spectra" / "ondrejov" / "oe270005.fits"


def space_of(user) -> UserSpace:
    return user_space(settings.DATA_DIR, user.pk).ensure()


def said(response) -> list[str]:
    """The messages shown on the page a followed response ended on."""
    return [str(message) for message in response.context["messages"]]


def tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.fixture
def alice_files(alice):
    """night1/raw/oe270005.fits (indexed), notes.txt, and an empty folder archive/."""
    space = space_of(alice)
    (space.files / "night1" / "raw").mkdir(parents=True)
    shutil.copy(ONDREJOV, space.files / "night1" / "raw" / "oe270005.fits")
    (space.files / "notes.txt").write_text("seeing 2 arcsec\n")
    (space.files / "archive").mkdir()
    index = ContentIndex(space.index_path)
    index.add(Entry("sha-ondrejov", "night1/raw/oe270005.fits", 1, "fits", "upload"))
    index.close()
    return space


def index_paths(space: UserSpace) -> list[str]:
    index = ContentIndex(space.index_path)
    try:
        return [entry.path for entry in index.entries()]
    finally:
        index.close()


def write_votable(path: Path, table_name: str = "candidates") -> bytes:
    """A small real VOTable (astropy) whose TABLE is called ``table_name``; its bytes."""
    from astropy.io.votable import from_table
    from astropy.table import Table

    table = Table({"ra": [10.5, 11.25], "dec": [-5.0, 41.5], "name": ["a", "b"]})
    votable = from_table(table)
    votable.resources[0].tables[0].name = table_name
    path.parent.mkdir(parents=True, exist_ok=True)
    votable.to_xml(str(path))
    return path.read_bytes()


@pytest.fixture
def alice_samp_files(alice_files):
    """alice_files plus tables/cands.vot (a VOTable) and blank.fits (FITS, no spectrum)."""
    from astropy.io import fits

    write_votable(alice_files.files / "tables" / "cands.vot")
    fits.PrimaryHDU().writeto(alice_files.files / "blank.fits")
    return alice_files
