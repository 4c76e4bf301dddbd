"""Several spectra in one plot: normalisation, offsets, units, zoom, line marks."""

from __future__ import annotations

import numpy as np
import pytest

from tests.files.conftest import write_sdm_votable
from vocloud.files.overlay import OverlayOptions, parse_options, prepare


def test_median_normalisation_offsets_and_units():
    wave = np.array([4000.0, 4001.0, 4002.0, np.nan])
    flux = np.array([2.0, 4.0, 6.0, 1.0])
    x, y = prepare(wave, flux, OverlayOptions(norm="median", offset=0.5, unit="nm"), index=2)
    assert x.tolist() == pytest.approx([400.0, 400.1, 400.2])  # Å -> nm, NaN pixel left out
    assert y.tolist() == pytest.approx([0.5 + 1.0, 1.0 + 1.0, 1.5 + 1.0])
    _x, y = prepare(wave, flux, OverlayOptions(norm="max", unit="um"), index=0)
    assert y.max() == 1.0 and _x[0] == pytest.approx(0.4)
    _x, y = prepare(wave, np.zeros(4), OverlayOptions(norm="median"), index=0)
    assert y.tolist() == [0.0, 0.0, 0.0]  # a zero median does not divide


def test_a_long_spectrum_is_thinned_for_the_page():
    wave = np.linspace(3000.0, 9000.0, 100_001)
    x, y = prepare(wave, np.ones_like(wave), OverlayOptions(norm="none"), index=0)
    assert len(x) <= 20_000 and x[0] == 3000.0 and len(y) == len(x)


def test_options_that_are_not_understood_fall_back_with_a_sentence():
    options, notes = parse_options(
        {"norm": "log", "unit": "parsec", "offset": "nan", "wmin": "7000", "wmax": "6000"}
    )
    assert options == OverlayOptions(lines=True)
    assert len(notes) == 4 and "The wavelength range is empty" in notes[-1]
    assert parse_options({"lines": "off", "wmin": "6500"})[0].lines is False


def test_the_overlay_page_draws_the_chosen_spectra_and_says_which_are_not(
    client, alice, alice_files
):
    write_sdm_votable(alice_files.files / "sdm.vot", target="HD 1234")
    client.force_login(alice)
    paths = ["night1/raw/oe270005.fits", "sdm.vot", "notes.txt", "sdm.vot"]
    response = client.get(
        "/files/overlay/", {"paths": paths, "norm": "max", "offset": "1", "unit": "nm"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert [item["path"] for item in response.context["shown"]] == paths[:2]
    assert response.context["failed"][0].startswith("notes.txt: not read as a spectrum")
    assert "2 spectra overlaid" in page and 'id="spectrum-plot"' in page
    assert "HD 208905" in page and "HD 1234" in page
    assert '<option value="nm" selected>' in page and 'name="offset" step="any" value="1.0"' in page
    assert "Overlay" in client.get("/files/").content.decode()  # the selection's button
