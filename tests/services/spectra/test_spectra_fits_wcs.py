"""Synthetic 1-D WCS FITS images: linear, log-linear, units, bands, extensions."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits

from services.spectra import SpectrumReadError, read_spectrum

N_PIX = 500
FLUX = np.linspace(1.0, 2.0, N_PIX, dtype=np.float32)
Writer = Callable[..., Path]


def test_iraf_log_linear_round_trips_wavelengths(write_image: Writer) -> None:
    crval, cdelt = np.log10(3900.0), 6.9e-5
    path = write_image(FLUX, {"CRVAL1": crval, "CDELT1": cdelt, "CRPIX1": 1.0, "DC-FLAG": 1})

    spectrum = read_spectrum(path)

    expected = 10 ** (crval + cdelt * np.arange(N_PIX))
    np.testing.assert_allclose(spectrum.wave, expected, rtol=1e-6)
    np.testing.assert_array_equal(spectrum.flux, FLUX.astype(np.float64))
    assert spectrum.meta.format == "fits-wcs-1d"
    assert spectrum.meta.extra["dispersion"] == "log-linear"
    assert spectrum.meta.warnings == []


def test_fits_standard_wave_log_axis_in_nm(write_image: Writer) -> None:
    # FITS paper III: S = CRVAL1 * exp(CDELT1 * (p - CRPIX1) / CRVAL1)
    cards = {"CTYPE1": "WAVE-LOG", "CUNIT1": "nm", "CRVAL1": 500.0, "CDELT1": 0.05}
    cards["CRPIX1"] = 11.0
    path = write_image(FLUX, cards)

    spectrum = read_spectrum(path)

    pix = np.arange(1, N_PIX + 1)
    expected_nm = 500.0 * np.exp(0.05 * (pix - 11.0) / 500.0)
    np.testing.assert_allclose(spectrum.wave, expected_nm * 10, rtol=1e-12)
    assert spectrum.wave_unit == u.AA
    assert spectrum.meta.wave_medium == "vacuum"  # CTYPE1 WAVE


def test_wave_log_axis_with_log10_crval(write_image: Writer) -> None:
    path = write_image(FLUX, {"CTYPE1": "WAVE-LOG", "CRVAL1": 3.6, "CDELT1": 1e-4})

    spectrum = read_spectrum(path)

    np.testing.assert_allclose(spectrum.wave, 10 ** (3.6 + 1e-4 * np.arange(N_PIX)), rtol=1e-9)
    assert any("log10" in w for w in spectrum.meta.warnings)


def test_log10_crval_without_dc_flag_is_recognised(write_image: Writer) -> None:
    path = write_image(FLUX, {"CRVAL1": 3.5682, "CD1_1": 1e-4, "CRPIX1": 1})

    spectrum = read_spectrum(path)

    assert spectrum.wave[0] == pytest.approx(10**3.5682)
    assert spectrum.meta.extra["dispersion"] == "log-linear"
    assert any("log10" in w for w in spectrum.meta.warnings)


def test_linear_cd_matrix_crpix_and_cunit(write_image: Writer) -> None:
    cards = {"CTYPE1": "AWAV", "CUNIT1": "nm", "CRVAL1": 650.0, "CD1_1": 0.02, "CRPIX1": 10.0}
    path = write_image(FLUX, cards)

    spectrum = read_spectrum(path)

    expected_nm = 650.0 + 0.02 * (np.arange(1, N_PIX + 1) - 10.0)
    np.testing.assert_allclose(spectrum.wave, expected_nm * 10, rtol=1e-12)
    assert spectrum.meta.wave_medium == "air"
    assert spectrum.meta.extra["dispersion"] == "linear"


def test_descending_dispersion_is_sorted(write_image: Writer) -> None:
    path = write_image(FLUX, {"CRVAL1": 7000.0, "CDELT1": -1.5, "BUNIT": "erg/s/cm2/A"})

    spectrum = read_spectrum(path)

    assert np.all(np.diff(spectrum.wave) > 0)
    assert spectrum.wave[0] == pytest.approx(7000.0 - 1.5 * (N_PIX - 1))
    np.testing.assert_array_equal(spectrum.flux, FLUX[::-1].astype(np.float64))
    assert spectrum.flux_unit == u.erg / u.s / u.cm**2 / u.AA


def test_scaled_integer_image_with_blank(write_image: Writer) -> None:
    raw = np.arange(N_PIX, dtype=np.int16)
    raw[3] = -32768
    cards = {"CRVAL1": 4000.0, "CDELT1": 1.0, "BSCALE": 0.5, "BZERO": 10.0, "BLANK": -32768}
    path = write_image(raw, cards)

    spectrum = read_spectrum(path)

    assert spectrum.flux[4] == pytest.approx(4 * 0.5 + 10)
    assert np.isnan(spectrum.flux[3]) and spectrum.mask[3]
    assert not spectrum.good[3] and spectrum.good[4]


def test_iraf_bands_give_flux_and_sigma(write_image: Writer) -> None:
    bands = np.stack([FLUX, FLUX * 2, FLUX * 0 + 0.1, FLUX * 0.05])[:, np.newaxis, :]
    cards = {"CRVAL1": 5000.0, "CDELT1": 0.5, "BANDID1": "spectrum - background fit"}
    cards |= {"BANDID2": "raw", "BANDID3": "background", "BANDID4": "sigma - clean no"}
    path = write_image(bands, cards)

    spectrum = read_spectrum(path)

    np.testing.assert_allclose(spectrum.flux, FLUX)
    np.testing.assert_allclose(spectrum.uncertainty, FLUX * 0.05, rtol=1e-6)
    np.testing.assert_allclose(spectrum.ivar, 1 / (FLUX.astype(np.float64) * 0.05) ** 2, rtol=1e-6)


def test_iraf_multispec_linear(write_image: Writer) -> None:
    cards = {"CTYPE1": "MULTISPE", "CRVAL1": 1.0, "CDELT1": 1.0, "WAT0_001": "system=multispec"}
    cards["WAT1_001"] = "wtype=multispec label=Wavelength units=angstroms"
    cards["WAT2_001"] = 'wtype=multispec spec1 = "1 1 0 4000. 2. 500 0. 1.0 10.0"'
    path = write_image(FLUX[np.newaxis], cards)

    spectrum = read_spectrum(path)

    np.testing.assert_allclose(spectrum.wave, 4000.0 + 2.0 * np.arange(N_PIX))


def test_spectrum_in_image_extension_uses_primary_meta(tmp_path: Path) -> None:
    primary = fits.PrimaryHDU()
    primary.header["OBJECT"] = "HD 1"
    primary.header["MJD-OBS"] = 51544.5
    image = fits.ImageHDU(FLUX, name="SCI")
    image.header["CRVAL1"] = 4000.0
    image.header["CDELT1"] = 2.0
    path = tmp_path / "ext.fits"
    fits.HDUList([primary, image]).writeto(path)

    spectrum = read_spectrum(path)

    assert spectrum.meta.object_name == "HD 1"
    assert spectrum.meta.obs_date == "2000-01-01T12:00:00"
    assert spectrum.wave[1] == pytest.approx(4002.0)


def test_gzipped_fits(ondrejov_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "oe270005.fits.gz"
    path.write_bytes(gzip.compress(ondrejov_path.read_bytes()))

    spectrum = read_spectrum(path)

    np.testing.assert_array_equal(spectrum.flux, read_spectrum(ondrejov_path).flux)
    assert spectrum.meta.source == "oe270005.fits.gz"


def test_non_standard_cards_are_recorded_not_raised(tmp_path: Path) -> None:
    # An unquoted string value makes astropy warn; pytest turns warnings into errors,
    # so the reader must catch it and keep it in meta.warnings.
    table = fits.BinTableHDU.from_columns(
        [
            fits.Column("wave", "D", array=np.arange(4000.0, 4010.0)),
            fits.Column("flux", "D", array=np.ones(10)),
        ]
    )
    hdul = fits.HDUList([fits.PrimaryHDU(), table])
    path = tmp_path / "odd.fits"
    hdul.writeto(path)
    raw = bytearray(path.read_bytes())
    card = b"OBSERVER= J. Smith (no quotes)".ljust(80)
    end = raw.index(b"END" + b" " * 77)
    raw[end : end + 160] = card + raw[end : end + 80]
    path.write_bytes(bytes(raw))

    spectrum = read_spectrum(path)

    assert spectrum.meta.format == "fits-table"
    assert spectrum.n_pix == 10
    assert any("OBSERVER" in w for w in spectrum.meta.warnings)


@pytest.mark.parametrize(
    ("cards", "reason"),
    [
        ({"CRVAL1": 4000.0, "CDELT1": 1.0, "DC-FLAG": 2}, "non-linear"),
        ({"CRVAL1": 1.0, "CDELT1": 1.0, "DC-FLAG": -1}, "no wavelength axis"),
        ({"OBJECT": "no wcs"}, "no wavelength axis"),
    ],
)
def test_images_without_usable_dispersion(write_image: Writer, cards: dict, reason: str) -> None:
    path = write_image(FLUX, cards, name="bad.fits")

    with pytest.raises(SpectrumReadError, match=reason) as info:
        read_spectrum(path)
    assert str(info.value).startswith("bad.fits: ")


def test_two_dimensional_image_is_not_a_spectrum(write_image: Writer) -> None:
    path = write_image(np.zeros((20, 30), np.float32), {"OBJECT": "a frame"}, name="frame.fits")

    with pytest.raises(SpectrumReadError, match=r"frame\.fits: no 1-D spectrum found"):
        read_spectrum(path)
