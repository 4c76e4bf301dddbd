"""Reading the real Ondřejov CCD700 and LAMOST DR2 files in tests/data/spectra."""

from __future__ import annotations

from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits

from services.spectra import read_spectrum, sniff_format
from services.spectra.fits_readers import read_fits
from services.spectra.fitsheader import read_primary

DATA = Path(__file__).resolve().parents[2] / "data" / "spectra"
ONDREJOV = DATA / "ondrejov" / "oe270005.fits"
LAMOST_WITH_WAVE = (
    DATA / "lamost-dr2" / "spec-55919-B5591903_sp01-001.fits",  # Z = -9999
    DATA / "lamost-dr2" / "spec-56257-GAC089N38V2_sp01-001.fits",
)
LAMOST_SUBCONTINUUM = DATA / "lamost-dr2" / "spec-55939-B5593905_sp01-018.fits"

H_ALPHA_AIR = 6562.8  # Angstrom


def test_ondrejov_linear_wcs_covers_h_alpha() -> None:
    spectrum = read_spectrum(ONDREJOV)

    assert spectrum.meta.format == "ondrejov-ccd700"
    assert spectrum.n_pix == 1997
    assert spectrum.wave.dtype == np.float64 and spectrum.flux.dtype == np.float64
    assert spectrum.wave_unit == u.AA
    # CRVAL1 = 6265.01713266358, CRPIX1 = 1, CD1_1 = CDELT1 = 0.25670607904715
    assert spectrum.wave[0] == pytest.approx(6265.01713266358, abs=1e-9)
    np.testing.assert_allclose(np.diff(spectrum.wave), 0.25670607904715, rtol=1e-9)
    assert spectrum.wave[-1] == pytest.approx(6265.01713266358 + 1996 * 0.25670607904715)
    assert spectrum.wave[0] < H_ALPHA_AIR < spectrum.wave[-1]
    # HD 208905 shows H-alpha in absorption: the deepest pixel is within 3 Angstrom of it.
    assert abs(spectrum.wave[np.argmin(spectrum.flux)] - H_ALPHA_AIR) < 3.0


def test_ondrejov_flux_and_meta() -> None:
    spectrum = read_spectrum(ONDREJOV)
    with fits.open(ONDREJOV) as hdul:
        np.testing.assert_array_equal(spectrum.flux, hdul[0].data.astype(np.float64))

    assert spectrum.flux_unit == u.adu  # BUNIT = 'ADU'
    assert spectrum.ivar is None and spectrum.uncertainty is None
    assert spectrum.mask is not None and not spectrum.mask.any()
    meta = spectrum.meta
    assert meta.source == "oe270005.fits"
    assert meta.object_name == "HD 208905"
    # RA = '21:57:18.2' (hours), DEC = '61:17:39.7'
    assert meta.ra == pytest.approx(15 * (21 + 57 / 60 + 18.2 / 3600))
    assert meta.dec == pytest.approx(61 + 17 / 60 + 39.7 / 3600)
    assert meta.obs_date == "2005-05-27T22:00:02"  # DATE-OBS + UT
    assert meta.instrument == "COUDE700"
    assert meta.telescope == "ZEISS-2m"
    assert meta.redshift is None
    assert meta.wave_medium is None  # the header does not say
    assert meta.extra["dispersion"] == "linear"
    assert meta.extra["exptime"] == 3600.0
    assert meta.warnings == []


@pytest.mark.parametrize("path", LAMOST_WITH_WAVE, ids=lambda p: p.name)
def test_lamost_rows_match_the_file(path: Path) -> None:
    spectrum = read_spectrum(path)
    with fits.open(path) as hdul:
        data = hdul[0].data.astype(np.float64)
        header = hdul[0].header

    assert spectrum.meta.format == "lamost-dr2"
    assert spectrum.n_pix == header["NAXIS1"]
    np.testing.assert_array_equal(spectrum.wave, data[2])  # row 3 is the wavelength
    np.testing.assert_array_equal(spectrum.flux, data[0])
    np.testing.assert_array_equal(spectrum.ivar, data[1])
    assert spectrum.flux.dtype == np.float64
    assert (spectrum.ivar >= 0).all()
    zero = spectrum.ivar == 0
    assert zero.any() and np.isinf(spectrum.uncertainty[zero]).all()
    np.testing.assert_allclose(spectrum.uncertainty[~zero], 1 / np.sqrt(data[1][~zero]))
    np.testing.assert_array_equal(spectrum.mask, data[3] != 0)  # andmask
    # log-linear grid: CRVAL1 = 3.5682, CD1_1 = 1e-4, DC-FLAG = 1
    expected = 10 ** (3.5682 + 1e-4 * np.arange(spectrum.n_pix))
    np.testing.assert_allclose(spectrum.wave, expected, rtol=1e-12)


@pytest.mark.parametrize("path", LAMOST_WITH_WAVE, ids=lambda p: p.name)
def test_lamost_meta_matches_header(path: Path) -> None:
    meta = read_spectrum(path).meta
    header = fits.getheader(path)

    assert meta.source == path.name
    assert meta.object_name == header["OBJNAME"]
    assert meta.ra == header["RA"]
    assert meta.dec == header["DEC"]
    assert meta.obs_date == header["DATE-OBS"]
    assert meta.telescope == "LAMOST"
    assert meta.wave_medium == "vacuum"  # VACUUM = T
    assert meta.extra["class"] == header["CLASS"].strip()
    assert meta.extra["desig"] == header["DESIG"]
    if header["Z"] == -9999:
        assert meta.redshift is None
    else:
        assert meta.redshift == header["Z"]


def test_lamost_without_wavelength_row_uses_log_linear_wcs() -> None:
    # Pipeline v2.6.4: EXTEN0 = 'Flux Inverse Subcontinuum Andmask Ormask', float32.
    spectrum = read_spectrum(LAMOST_SUBCONTINUUM)
    reference = read_spectrum(LAMOST_WITH_WAVE[0])  # same 3909-pixel grid, with a wave row

    assert spectrum.meta.format == "lamost-dr2"
    assert spectrum.flux.dtype == np.float64
    np.testing.assert_allclose(spectrum.wave, reference.wave, rtol=1e-12)
    with fits.open(LAMOST_SUBCONTINUUM) as hdul:
        np.testing.assert_array_equal(spectrum.flux, hdul[0].data[0].astype(np.float64))
    assert any("no wavelength row" in w for w in spectrum.meta.warnings)
    assert spectrum.meta.object_name == "248272801438012"


@pytest.mark.parametrize(
    "path", [ONDREJOV, *LAMOST_WITH_WAVE, LAMOST_SUBCONTINUUM], ids=lambda p: p.name
)
def test_fast_header_reader_agrees_with_astropy(path: Path) -> None:
    with path.open("rb") as fh:
        primary = read_primary(fh)
    with fits.open(path) as hdul:
        header = hdul[0].header
        np.testing.assert_array_equal(primary.data, hdul[0].data.astype(np.float64))
        for key in header:
            if key in ("", "COMMENT", "HISTORY"):
                continue
            expected = header[key]
            expected = None if isinstance(expected, fits.card.Undefined) else expected
            assert primary.header.get(key) == expected, key
            assert type(primary.header.get(key)) is type(expected), key


def test_sniff_format_of_real_files() -> None:
    assert sniff_format(ONDREJOV) == "fits"
    assert sniff_format(str(LAMOST_SUBCONTINUUM)) == "fits"


@pytest.mark.parametrize(
    "path", [ONDREJOV, *LAMOST_WITH_WAVE, LAMOST_SUBCONTINUUM], ids=lambda p: p.name
)
def test_fast_path_equals_astropy_path(path: Path) -> None:
    fast = read_fits(str(path))
    slow = read_fits(str(path), fast=False)

    for name in ("wave", "flux", "ivar", "uncertainty", "mask"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
    assert fast.flux_unit == slow.flux_unit
    assert fast.meta == slow.meta
