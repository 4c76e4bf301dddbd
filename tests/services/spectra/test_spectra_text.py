"""Two- and three-column text spectra."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from services.spectra import SpectrumReadError, read_spectrum


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_two_columns_whitespace_with_comments(tmp_path: Path) -> None:
    text = (
        "# exported spectrum\n# star: HD 1\n\n4000.0  1.5\n4001.0\t1.6  # inline note\n4002 1.7\n"
    )
    spectrum = read_spectrum(_write(tmp_path, "star.dat", text))

    assert spectrum.meta.format == "ascii"
    np.testing.assert_array_equal(spectrum.wave, [4000.0, 4001.0, 4002.0])
    np.testing.assert_array_equal(spectrum.flux, [1.5, 1.6, 1.7])
    assert spectrum.ivar is None and spectrum.uncertainty is None
    assert spectrum.meta.source == "star.dat"


def test_csv_with_header_and_error_column(tmp_path: Path) -> None:
    text = "wavelength,flux,error\n5000,10,0.5\n5001,11,0.0\n5002,nan,0.5\n"
    spectrum = read_spectrum(_write(tmp_path, "s.csv", text))

    assert spectrum.meta.format == "ascii-csv"
    np.testing.assert_allclose(spectrum.uncertainty, [0.5, np.inf, 0.5])
    np.testing.assert_allclose(spectrum.ivar, [4.0, 0.0, 4.0])
    np.testing.assert_array_equal(spectrum.mask, [False, False, True])  # NaN flux is bad


def test_header_units_and_column_order(tmp_path: Path) -> None:
    text = "flux ; wave[nm] ; ivar\n1 ; 500.0 ; 4\n2 ; 500.1 ; 4\n"
    spectrum = read_spectrum(_write(tmp_path, "nm.txt", text))

    np.testing.assert_allclose(spectrum.wave, [5000.0, 5001.0])
    np.testing.assert_array_equal(spectrum.flux, [1.0, 2.0])
    np.testing.assert_allclose(spectrum.uncertainty, [0.5, 0.5])


def test_commented_header_line(tmp_path: Path) -> None:
    text = "# lambda flux sigma\n6000 1 0.1\n6001 2 0.2\n"
    spectrum = read_spectrum(_write(tmp_path, "commented.txt", text))

    np.testing.assert_allclose(spectrum.uncertainty, [0.1, 0.2])


def test_three_unnamed_columns_are_wave_flux_error(tmp_path: Path) -> None:
    text = "6002 3 0.3\n6001 2 0.2\n6000 1 0.1\n"  # descending: gets sorted
    spectrum = read_spectrum(_write(tmp_path, "three.txt", text))

    np.testing.assert_array_equal(spectrum.wave, [6000.0, 6001.0, 6002.0])
    np.testing.assert_array_equal(spectrum.flux, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(spectrum.uncertainty, [0.1, 0.2, 0.3])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("4000\n4001\n", "at least two columns"),
        ("# only comments\n", "no numeric data"),
        ("4000 1\n4001 abc\n", "could not read"),
        ("4000 1\n4001 2 3\n", "could not read"),
    ],
)
def test_bad_text_files(tmp_path: Path, text: str, reason: str) -> None:
    path = _write(tmp_path, "bad.txt", text)

    with pytest.raises(SpectrumReadError, match=reason) as info:
        read_spectrum(path)
    assert str(info.value).startswith("bad.txt: ")
