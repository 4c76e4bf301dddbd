"""Previews: FITS headers of a real spectrum, a VOTable's rows, a text's start."""

from __future__ import annotations

from pathlib import Path

import pytest
from astropy.table import Table

from services.storage.preview import (
    PreviewError,
    fits_headers,
    preview_kind,
    text_preview,
    votable_preview,
)

ONDREJOV = Path(__file__).parents[2] / "data" / "spectra" / "ondrejov" / "oe270005.fits"


def test_fits_headers_of_a_real_spectrum():
    [primary] = fits_headers(ONDREJOV)
    assert preview_kind(ONDREJOV) == "fits"
    assert primary.kind == "PrimaryHDU" and "OBJECT  = 'HD 208905" in primary.cards


def test_a_broken_fits_is_reported(tmp_path):
    broken = tmp_path / "broken.fits"
    broken.write_bytes(b"SIMPLE  =                    T" + b" " * 50)
    with pytest.raises(PreviewError, match=r"broken\.fits: not a readable FITS file"):
        fits_headers(broken)


def test_votable_rows_are_capped(tmp_path):
    path = tmp_path / "t.vot"
    Table({"wave": [1.0 * i for i in range(700)], "name": ["x"] * 700}).write(
        path, format="votable"
    )
    assert preview_kind(path) == "votable"
    [table] = votable_preview(path, max_rows=500)
    assert table.columns == ["wave", "name"] and table.n_rows == 700 and len(table.rows) == 500
    assert table.rows[3] == ["3.0", "x"]


def test_text_is_cut_and_binary_is_recognised(tmp_path):
    text = tmp_path / "notes"
    text.write_text("ř" * 100)
    assert preview_kind(text) == "text"
    shown = text_preview(text, max_bytes=51)
    assert shown.truncated and shown.text.startswith("ř" * 25)
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)))
    assert preview_kind(binary) == "binary"
