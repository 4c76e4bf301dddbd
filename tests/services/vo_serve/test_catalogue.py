"""The catalogue, the SSAP selection, cut-outs and previews on real spectra, without Django."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from astropy.io.votable import parse_single_table
from PIL import Image

from services.spectra import read_spectrum
from services.storage import UserSpace
from services.vo_serve import (
    NotFoundFault,
    ServiceUrls,
    build_catalogue,
    cut_out,
    parse_ssa,
    preview_png,
    select,
    spectrum_file,
    ssa_votable,
)
from services.vo_serve.catalogue import FILES, spectrum_id
from tests.vo.conftest import DATASET, HD208905, ONDREJOV, put_loose_file, put_spectra


@pytest.fixture
def space(tmp_path) -> UserSpace:
    space = UserSpace(tmp_path / "user").ensure()
    put_spectra(space)
    put_loose_file(space)
    return space


def query(**params: str):
    return parse_ssa({k: [v] for k, v in params.items()}, default_maxrec=100, hard_maxrec=100)


def test_datasets_give_position_date_and_coverage_and_loose_files_a_row(space):
    catalogue = build_catalogue(space.datasets, space.index_path)
    cols = catalogue.columns
    assert list(cols["collection"]) == [DATASET] * 4 + [FILES]
    row = catalogue.find(spectrum_id(DATASET, ONDREJOV))
    assert (cols["ra"][row], cols["dec"][row]) == pytest.approx(HD208905)
    assert cols["mjd"][row] == pytest.approx(53517.917, abs=1e-3)  # 2005-05-27T22:00:02
    # the grid pixels its mask leaves, 6265-6777 Angstrom on a 4 Angstrom grid
    assert cols["wave_min_m"][row] == pytest.approx(6.265e-7, abs=5e-10)
    assert cols["wave_max_m"][row] == pytest.approx(6.777e-7, abs=5e-10)
    assert math.isnan(cols["ra"][-1]) and cols["path"][-1] == "ingest/loose.fits"


def test_cone_band_time_and_collection_select_the_rows_they_describe(space):
    catalogue = build_catalogue(space.datasets, space.index_path)
    paths = catalogue.columns["path"]

    def found(**params):
        rows, _overflow = select(catalogue, query(**params))
        return sorted(paths[rows])

    assert found(POS=f"{HD208905[0]},{HD208905[1]}", SIZE="0.01") == [ONDREJOV]
    assert len(found(BAND="4e-7/5e-7")) == 3  # the LAMOST spectra; H-alpha only misses it
    assert found(TIME="2005-01-01/2006-01-01") == [ONDREJOV]
    assert found(COLLECTION=FILES) == ["ingest/loose.fits"]
    assert len(found()) == 5
    assert found(POS="0,0", SIZE="360") == sorted(paths[:4])  # a loose file has no position
    rows, overflow = select(catalogue, query(MAXREC="2"))
    assert rows.size == 2 and overflow


def test_the_ssap_answer_carries_the_utypes_clients_read(space):
    catalogue = build_catalogue(space.datasets, space.index_path)
    body = ssa_votable(catalogue, {}, ServiceUrls("http://h/vo"))
    table = parse_single_table(io.BytesIO(body))
    utypes = {field.utype for field in table.fields if field.utype}
    assert {"ssa:Access.Reference", "ssa:Access.Format", "ssa:Curation.PublisherDID"} <= utypes
    assert table.array["accref"][0].startswith("http://h/vo/this?ID=vocloud%3Adataset%2Freal")


def test_identifiers_reach_only_catalogued_files_inside_the_space(space):
    catalogue = build_catalogue(space.datasets, space.index_path)
    _row, path = spectrum_file(space, catalogue, spectrum_id(DATASET, ONDREJOV))
    assert path == (space.files / ONDREJOV).resolve()
    for identifier in [
        spectrum_id(DATASET, "../index.sqlite3"),
        spectrum_id(FILES, "spectra/not-catalogued.fits"),
        "x" * 10_000,
    ]:
        with pytest.raises(NotFoundFault):
            spectrum_file(space, catalogue, identifier)
    (space.files / ONDREJOV).unlink()
    with pytest.raises(NotFoundFault, match="no longer in your storage"):
        spectrum_file(space, catalogue, spectrum_id(DATASET, ONDREJOV))


def test_a_cut_out_keeps_the_pixels_in_the_band_and_an_empty_one_is_none(space):
    path = space.files / ONDREJOV
    body = cut_out(path, (6.5e-7, 6.6e-7), "HD 208905")
    (space.files / "cut.vot").write_bytes(body)
    cut = read_spectrum(space.files / "cut.vot")  # vocloud's own reader takes it back
    original = read_spectrum(path)
    inside = (original.wave >= 6500) & (original.wave <= 6600)
    assert cut.wave.min() >= 6500 and cut.wave.max() <= 6600
    np.testing.assert_allclose(cut.flux, original.flux[inside])
    assert cut_out(path, (4e-7, 4.1e-7), "HD 208905") is None


def test_the_preview_is_a_png_plot(space):
    image = Image.open(io.BytesIO(preview_png(space.files / ONDREJOV)))
    assert image.format == "PNG" and image.size == (480, 200)
    colours = {colour for _count, colour in image.getcolors(maxcolors=10_000)}
    assert (31, 84, 160) in colours  # the line was drawn
