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


def write_fits_table(path: Path) -> bytes:
    """A FITS file whose first extension is a three-row binary table named CANDS."""
    import numpy as np
    from astropy.io import fits

    columns = [fits.Column(name="ra", format="D", unit="deg", array=np.array([1.0, 2.0, 3.0]))]
    table = fits.BinTableHDU.from_columns(columns, name="CANDS")
    path.parent.mkdir(parents=True, exist_ok=True)
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(path)
    return path.read_bytes()


def write_sdm_votable(path: Path, target: str = "HD 1234") -> bytes:
    """A 40-pixel spectrum as an IVOA Spectrum data model (SDM) VOTable, as SSA serves."""
    import warnings

    import numpy as np
    from astropy.io.votable.tree import Field, Param, Resource, TableElement, VOTableFile

    votable = VOTableFile()
    resource = Resource()
    votable.resources.append(resource)
    table = TableElement(votable, name="spectrum")
    resource.tables.append(table)
    with warnings.catch_warnings():  # "Angstrom is deprecated in VOUnit": SSA services say it
        warnings.simplefilter("ignore")
        table.params.append(
            Param(
                votable,
                name="TargetName",
                datatype="char",
                arraysize="*",
                value=target,
                utype="spec:Spectrum.Target.Name",
            )
        )
        for name, unit, utype in [
            ("WAVE", "Angstrom", "spec:Spectrum.Data.SpectralAxis.Value"),
            ("FLUX", "erg/s/cm2/Angstrom", "spec:Spectrum.Data.FluxAxis.Value"),
        ]:
            table.fields.append(
                Field(votable, name=name, datatype="double", unit=unit, utype=utype)
            )
        table.create_arrays(40)
        table.array["WAVE"] = np.linspace(4000.0, 4400.0, 40)
        table.array["FLUX"] = np.linspace(1.0, 2.0, 40)
        path.parent.mkdir(parents=True, exist_ok=True)
        votable.to_xml(str(path))
    return path.read_bytes()


@pytest.fixture
def alice_samp_files(alice_files):
    """alice_files plus tables/cands.vot (a VOTable), tables/cands.fits (a FITS table),
    spectra/sdm.vot (an SDM VOTable spectrum), blank.fits (FITS, no spectrum) and
    packed.fits (a tile-compressed image: a BINTABLE that is no table)."""
    import numpy as np
    from astropy.io import fits

    write_votable(alice_files.files / "tables" / "cands.vot")
    write_fits_table(alice_files.files / "tables" / "cands.fits")
    write_sdm_votable(alice_files.files / "spectra" / "sdm.vot")
    fits.PrimaryHDU().writeto(alice_files.files / "blank.fits")
    image = fits.CompImageHDU(np.zeros((16, 16), dtype=np.float32))
    fits.HDUList([fits.PrimaryHDU(), image]).writeto(alice_files.files / "packed.fits")
    return alice_files
