"""Row-stacked FITS spectra (wavelength, flux, error[, flag] rows): Spextool, SpeX Prism
Library, IRAF-era bands; transposed; several orders and apertures; units stated or guessed."""

from __future__ import annotations

from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits

from services.spectra import SpectrumReadError, read_spectrum
from services.spectra.fits_readers import read_fits
from tests.services.spectra.archive_layouts import (
    SXD_ORDERS,
    prism_rows,
    write_iraf_bands,
    write_spex_prism,
    write_spextool_sxd,
)

FLAM = u.erg / u.s / u.cm**2 / u.AA


def test_spex_prism_library_file_reads_in_angstrom_with_its_units(tmp_path: Path) -> None:
    path = write_spex_prism(tmp_path / "spex_prism_0036+1821.fits")
    spectrum = read_spectrum(path)

    rows = prism_rows().astype(np.float64)
    assert spectrum.meta.format == "fits-row-stacked"
    assert spectrum.n_pix == 564
    np.testing.assert_allclose(spectrum.wave, rows[0] * 1e4)  # XUNITS = 'Microns'
    assert spectrum.wave[0] == pytest.approx(6500, rel=1e-6)
    assert spectrum.wave[-1] == pytest.approx(25500, rel=1e-6)
    np.testing.assert_array_equal(spectrum.flux, rows[1])
    np.testing.assert_array_equal(spectrum.uncertainty, rows[2])
    assert spectrum.flux_unit == FLAM  # YUNITS = 'ergs s-1 cm-2 A-1'
    meta = spectrum.meta
    assert meta.guesses == [] and meta.warnings == []
    assert meta.object_name == "2MASS J0036+1821"
    assert meta.obs_date == "2003-09-04T13:23:45.6"  # DATE_OBS + TIME_OBS (underscores)
    assert meta.ra == pytest.approx(15 * (36 / 60 + 15.97 / 3600))
    assert meta.telescope == "NASA IRTF" and meta.instrument == "SpeX"


def test_fast_and_astropy_paths_agree(tmp_path: Path) -> None:
    path = write_spex_prism(tmp_path / "prism.fits")
    fast, slow = read_fits(str(path)), read_fits(str(path), fast=False)

    np.testing.assert_array_equal(fast.wave, slow.wave)
    np.testing.assert_array_equal(fast.flux, slow.flux)
    assert fast.meta.as_dict() == slow.meta.as_dict()


def test_transposed_columns_read_like_rows(tmp_path: Path) -> None:
    rows = read_spectrum(write_spex_prism(tmp_path / "rows.fits"))
    columns = read_spectrum(write_spex_prism(tmp_path / "columns.fits", transpose=True))

    np.testing.assert_array_equal(columns.wave, rows.wave)
    np.testing.assert_array_equal(columns.flux, rows.flux)
    np.testing.assert_array_equal(columns.uncertainty, rows.uncertainty)


def test_flag_row_marks_bad_pixels_and_descending_rows_are_sorted(tmp_path: Path) -> None:
    rows = prism_rows()[:, ::-1]  # wavelength decreasing, as some writers store it
    flags = np.zeros((1, rows.shape[1]), np.float32)
    flags[0, [0, 100]] = [4, 1]  # Spextool flag bits: non-zero is bad
    spectrum = read_spectrum(
        write_spex_prism(tmp_path / "flag.fits", rows=np.vstack([rows, flags]))
    )

    assert np.all(np.diff(spectrum.wave) > 0)
    assert spectrum.mask.sum() == 2
    assert spectrum.mask[-1] and spectrum.mask[-101]


def test_cross_dispersed_orders_join_into_one_increasing_spectrum(tmp_path: Path) -> None:
    spectrum = read_spectrum(write_spextool_sxd(tmp_path / "sxd.fits"))

    first = min(lo for lo, _ in SXD_ORDERS.values())
    last = max(hi for _, hi in SXD_ORDERS.values())
    assert spectrum.wave[0] == pytest.approx(first * 1e4)
    assert spectrum.wave[-1] == pytest.approx(last * 1e4)
    assert np.all(np.diff(spectrum.wave) > 0)  # overlaps split, NaN padding dropped
    assert spectrum.meta.extra["n_orders"] == 6
    assert spectrum.flux_unit == u.W / u.m**2 / u.micron
    assert np.isfinite(spectrum.flux).all() and spectrum.mask.sum() == 6  # one flag per order
    # overlaps are split at their midpoints: order 4 (1.42-1.91 µm) gives way to order 3
    # (1.88-2.55 µm) at 1.895 µm, each keeping its own pixels (no averaging)
    steps = np.diff(spectrum.wave)
    cut = np.searchsorted(spectrum.wave, 18950.0)
    assert steps[cut - 5] == pytest.approx((1.91 - 1.42) / (900 + 40 * 4 - 1) * 1e4, rel=1e-3)
    assert steps[cut + 5] == pytest.approx((2.55 - 1.88) / (900 + 40 * 3 - 1) * 1e4, rel=1e-3)
    assert spectrum.n_pix < sum(900 + 40 * order for order in SXD_ORDERS)


def test_several_apertures_read_the_first_and_say_so(tmp_path: Path) -> None:
    spectrum = read_spectrum(write_spextool_sxd(tmp_path / "sxd2.fits", naps=2))

    assert spectrum.meta.extra["n_orders"] == 6
    assert np.nanmedian(spectrum.flux) == pytest.approx(1e-14, rel=0.01)  # aperture 2 is 2x
    assert any("2 apertures" in w for w in spectrum.meta.warnings)


def test_iraf_band_labels_name_the_rows(tmp_path: Path) -> None:
    spectrum = read_spectrum(write_iraf_bands(tmp_path / "bands.fits"))

    assert spectrum.meta.format == "fits-row-stacked"
    np.testing.assert_allclose(spectrum.wave, np.linspace(4000, 4299, 300))  # WAT1_001 units
    np.testing.assert_allclose(spectrum.flux, np.linspace(1, 2, 300))
    np.testing.assert_allclose(spectrum.uncertainty, 0.1)
    assert spectrum.meta.guesses == []
    assert spectrum.meta.obs_date == "1998-10-12T03:14:15"


@pytest.mark.parametrize(
    ("scale", "unit_word", "expected_aa"),
    [(1.0, "um", 6500.0), (1e4, "Angstrom", 6500.0)],
)
def test_without_units_the_plausibility_rule_guesses_and_says_so(
    tmp_path: Path, scale: float, unit_word: str, expected_aa: float
) -> None:
    rows = prism_rows()
    rows[0] *= scale
    path = write_spex_prism(tmp_path / "bare.fits", rows=rows, XUNITS=None, YUNITS=None)
    spectrum = read_spectrum(path)

    assert spectrum.wave[0] == pytest.approx(expected_aa, rel=1e-6)
    assert spectrum.flux_unit is None
    [guess] = spectrum.meta.guesses
    assert f"read as {unit_word}" in guess and "plausibility rule" in guess


def test_wavelengths_that_fit_no_unit_are_refused_with_a_reason(tmp_path: Path) -> None:
    rows = prism_rows()
    rows[0] = np.linspace(50.0, 200.0, rows.shape[1])  # nm? µm? neither rule says
    path = write_spex_prism(tmp_path / "odd.fits", rows=rows, XUNITS=None)

    with pytest.raises(SpectrumReadError, match="fit no plausible unit") as info:
        read_spectrum(path)
    assert "50-200" in info.value.reason


def test_a_stated_unit_that_is_not_spectral_is_refused(tmp_path: Path) -> None:
    path = write_spex_prism(tmp_path / "jy.fits", XUNITS="Jy")

    with pytest.raises(SpectrumReadError, match="not a wavelength"):
        read_spectrum(path)


def test_a_stated_unit_that_looks_wrong_is_warned_about(tmp_path: Path) -> None:
    path = write_spex_prism(tmp_path / "aa.fits", XUNITS="Angstrom")  # µm values

    spectrum = read_spectrum(path)
    assert spectrum.wave[0] == pytest.approx(0.65, rel=1e-6)
    assert any("is the stated unit right" in w for w in spectrum.meta.warnings)


def test_flux_rows_are_not_taken_for_wavelengths(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "image.fits"
    fits.PrimaryHDU(rng.normal(size=(3, 564)).astype(np.float32)).writeto(path)

    with pytest.raises(SpectrumReadError, match=r"no 1-D spectrum found \(HDUs: Primary 564 x 3\)"):
        read_spectrum(path)


def test_a_wcs_dispersion_still_wins_for_iraf_bands(tmp_path: Path) -> None:
    hdu = fits.PrimaryHDU(np.vstack([np.linspace(1, 2, 50), np.full(50, 0.1)]))
    hdu.header.update(CRVAL1=5000.0, CDELT1=2.0, CUNIT1="Angstrom")
    hdu.header.update(BANDID1="spectrum", BANDID2="sigma - sigma spectrum")
    hdu.writeto(tmp_path / "wcs.fits")

    spectrum = read_spectrum(tmp_path / "wcs.fits")
    assert spectrum.meta.format == "fits-wcs-1d"
    np.testing.assert_allclose(spectrum.wave, 5000.0 + 2.0 * np.arange(50))
