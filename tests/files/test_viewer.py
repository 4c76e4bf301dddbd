"""A file's page: previous/next through its folder, SDM VOTable and text spectra plotted
like FITS ones, the spectrum's metadata beside the plot."""

from __future__ import annotations

import shutil

import numpy as np

from services.storage import browsing
from tests.files.conftest import ONDREJOV, space_of, write_sdm_votable


def test_previous_and_next_walk_the_folders_files_by_name(client, alice, alice_files):
    night = alice_files.files / "night1" / "raw"
    for name in ("b.txt", "A.txt", "c-sub"):
        (night / name).mkdir() if name == "c-sub" else (night / name).write_text("x")
    browsing.forget_listings()
    client.force_login(alice)
    first = client.get("/files/view/night1/raw/A.txt").context
    assert first["previous"] is None and first["next"] == "night1/raw/b.txt"
    middle = client.get("/files/view/night1/raw/b.txt")
    assert middle.context["previous"] == "night1/raw/A.txt"
    assert middle.context["next"] == "night1/raw/oe270005.fits"
    assert 'rel="next" href="/files/view/night1/raw/oe270005.fits"' in middle.content.decode()
    last = client.get("/files/view/night1/raw/oe270005.fits").context
    assert last["previous"] == "night1/raw/b.txt" and last["next"] is None  # c-sub/ skipped
    top = client.get("/files/view/notes.txt").context
    assert top["previous"] is None and top["next"] is None


def test_an_sdm_votable_is_plotted_with_its_metadata_beside_it(client, alice, db):
    write_sdm_votable(space_of(alice).files / "sdm.vot", target="HD 1234")
    client.force_login(alice)
    response = client.get("/files/view/sdm.vot")
    page = response.content.decode()
    assert response.context["plot_div"] and 'class="viewer with-plot"' in page
    assert "HD 1234" in page and "votable-sdm" in page and "4000.0\u20134400.0" in page
    assert "<th>WAVE" in page  # the table is still shown under the plot


def test_a_text_spectrum_is_plotted_and_a_plain_text_is_not(client, alice, alice_files):
    wave = np.linspace(6500.0, 6600.0, 200)
    flux = 1.0 - 0.5 * np.exp(-(((wave - 6563.0) / 3.0) ** 2))
    lines = "".join(f"{w:.3f} {f:.5f}\n" for w, f in zip(wave, flux, strict=True))
    (alice_files.files / "halpha.txt").write_text(lines)
    client.force_login(alice)
    spectrum = client.get("/files/view/halpha.txt")
    assert spectrum.context["plot_div"] and "6500.0\u20136600.0" in spectrum.content.decode()
    plain = client.get("/files/view/notes.txt")
    assert "plot_div" not in plain.context and "seeing 2 arcsec" in plain.content.decode()


def test_a_fits_spectrum_page_keeps_its_plot_headers_and_date(client, alice, alice_files):
    shutil.copy(ONDREJOV, alice_files.files / "copy.fits")
    client.force_login(alice)
    page = client.get("/files/view/copy.fits").content.decode()
    assert 'id="spectrum-plot"' in page and "HD 208905" in page
    assert '<time datetime="' in page and "UTC</time>" in page
