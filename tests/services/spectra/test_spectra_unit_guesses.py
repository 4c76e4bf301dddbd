"""Units are never guessed silently: text, ECSV, FITS tables and WCS images without a stated
wavelength unit follow one plausibility rule and record the guess in ``meta.guesses``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from services.spectra import SpectrumReadError, read_spectrum
from services.spectra.units import guess_wave_unit


def _text(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_micron_text_spectrum_is_read_in_micron_and_the_guess_reported(tmp_path: Path) -> None:
    wave_um = np.linspace(0.65, 2.55, 20)
    lines = "\n".join(f"{w:.5f} {1 + w:.4f} 0.01" for w in wave_um)
    spectrum = read_spectrum(_text(tmp_path, "spex.txt", lines + "\n"))

    np.testing.assert_allclose(spectrum.wave, wave_um * 1e4, rtol=1e-6)
    [guess] = spectrum.meta.guesses
    assert "0.65-2.55 read as um" in guess


def test_angstrom_csv_without_unit_is_a_reported_guess_too(tmp_path: Path) -> None:
    spectrum = read_spectrum(_text(tmp_path, "s.csv", "wave,flux\n4000,1\n4001,2\n"))

    np.testing.assert_array_equal(spectrum.wave, [4000.0, 4001.0])
    assert spectrum.meta.guesses == [
        "no wavelength unit in the file: 4000-4001 read as Angstrom "
        "(plausibility rule: 0.1-40 -> um, 300-400000 -> Angstrom)"
    ]


def test_a_stated_unit_is_no_guess(tmp_path: Path) -> None:
    spectrum = read_spectrum(_text(tmp_path, "nm.csv", "wave[nm],flux\n500,1\n501,2\n"))

    np.testing.assert_allclose(spectrum.wave, [5000.0, 5010.0])
    assert spectrum.meta.guesses == []


def test_text_values_that_fit_no_unit_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SpectrumReadError, match="fit no plausible unit"):
        read_spectrum(_text(tmp_path, "pixels.txt", "50 5\n60 6\n70 7\n"))


def test_ecsv_units_are_read_from_its_header(tmp_path: Path) -> None:
    table = Table(
        {"wavelength": np.linspace(1.0, 2.0, 11), "flux": np.ones(11), "err": np.full(11, 0.5)}
    )
    table["wavelength"].unit = u.micron
    table["flux"].unit = u.Jy
    table.meta.update(OBJECT="Vega", DATE_OBS="2021-03-04")
    path = tmp_path / "spectrum.ecsv"
    table.write(path, format="ascii.ecsv")
    spectrum = read_spectrum(path)

    assert spectrum.meta.format == "ecsv" and spectrum.meta.guesses == []
    np.testing.assert_allclose(spectrum.wave, np.linspace(1e4, 2e4, 11))
    assert spectrum.flux_unit == u.Jy
    np.testing.assert_allclose(spectrum.uncertainty, 0.5)
    assert spectrum.meta.object_name == "Vega" and spectrum.meta.obs_date == "2021-03-04"


def test_fits_table_without_tunit_is_a_reported_guess(tmp_path: Path) -> None:
    columns = [
        fits.Column("wave", "D", array=np.linspace(1.0, 5.0, 30)),
        fits.Column("flux", "D", array=np.ones(30)),
    ]
    path = tmp_path / "table.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(columns)]).writeto(path)
    spectrum = read_spectrum(path)

    assert spectrum.wave[-1] == pytest.approx(5e4)
    assert "read as um" in spectrum.meta.guesses[0]


def test_wcs_image_without_cunit_follows_the_rule(write_image: Callable[..., Path]) -> None:
    path = write_image(np.ones(100, np.float32), {"CRVAL1": 0.9, "CDELT1": 0.01})
    spectrum = read_spectrum(path)

    assert spectrum.wave[0] == pytest.approx(9000.0)
    assert "read as um" in spectrum.meta.guesses[0]


def test_wcs_image_with_wat_units_is_no_guess(write_image: Callable[..., Path]) -> None:
    cards = {"CRVAL1": 5000.0, "CDELT1": 1.0, "WAT1_001": "wtype=linear units=angstroms"}
    assert read_spectrum(write_image(np.ones(10, np.float32), cards)).meta.guesses == []


@pytest.mark.parametrize(
    ("values", "unit"),
    [([0.1, 40.0], u.micron), ([300.0, 4e5], u.AA), ([np.nan, 2.0, 3.0], u.micron)],
)
def test_the_rule_at_its_edges(values: list[float], unit: u.UnitBase) -> None:
    assert guess_wave_unit(np.array(values))[0] == unit


@pytest.mark.parametrize("values", [[0.05, 1.0], [41.0, 299.0], [1.0, 500.0], [-1.0, 2.0]])
def test_the_rule_refuses_what_fits_no_range(values: list[float]) -> None:
    with pytest.raises(ValueError, match="fit no plausible unit"):
        guess_wave_unit(np.array(values))
