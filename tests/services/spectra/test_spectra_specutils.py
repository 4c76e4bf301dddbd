"""specutils as the general fallback: files in layouts the fast readers do not know are read
by specutils' loaders and mapped onto vocloud's record, with units checked; the fast paths
stay first; a file neither reads gets one readable reason."""

from __future__ import annotations

from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits

from services.spectra import SpectrumReadError, read_spectrum
from tests.services.spectra.archive_layouts import (
    DESI_ARMS,
    write_desi_coadd,
    write_hst_cos_x1d,
    write_manga_cube,
)

FLAM = u.erg / u.s / u.cm**2 / u.AA


def test_hst_cos_segments_are_read_by_specutils_as_one_spectrum(tmp_path: Path) -> None:
    spectrum = read_spectrum(write_hst_cos_x1d(tmp_path / "lb4m01x1q_x1d.fits"))

    assert spectrum.meta.format == "specutils:HST/COS"
    assert spectrum.n_pix == 800  # FUVB then FUVA, sorted
    assert (spectrum.wave[0], spectrum.wave[-1]) == (1140.0, 1450.0)
    assert np.all(np.diff(spectrum.wave) > 0)
    assert spectrum.flux_unit == FLAM
    np.testing.assert_allclose(spectrum.uncertainty, 1e-16, rtol=1e-6)
    assert spectrum.meta.object_name == "AV-456" and spectrum.meta.obs_date == "2010-09-19"
    assert spectrum.meta.guesses == []


def test_desi_arms_are_joined_and_ivar_kept_in_the_flux_unit(tmp_path: Path) -> None:
    spectrum = read_spectrum(write_desi_coadd(tmp_path))

    assert spectrum.meta.format == "specutils:DESI coadd"
    assert spectrum.wave[0] == DESI_ARMS["b"][0] and spectrum.wave[-1] >= 9816.0
    assert np.all(np.diff(spectrum.wave) > 0)  # b/r and r/z overlaps split at their middle
    assert spectrum.meta.extra["n_orders"] == 3
    assert spectrum.flux_unit == 1e-17 * FLAM
    np.testing.assert_allclose(spectrum.ivar, 4.0)  # 1e34 (s cm2 A / erg)^2 = (1e-17 flam)^-2
    assert spectrum.mask.sum() == 1  # the NaN flux pixel of target 0 in the b arm
    assert "2 spectra in one array (targets, fibres): the first read" in spectrum.meta.warnings


def test_a_data_cube_is_refused_with_both_reasons(tmp_path: Path) -> None:
    path = write_manga_cube(tmp_path / "manga-7443-12703-LOGCUBE.fits")

    with pytest.raises(SpectrumReadError) as info:
        read_spectrum(path)
    reason = info.value.reason
    assert reason.startswith("no 1-D spectrum found (HDUs: Primary without data; Image 3 x 3 x 60")
    assert reason.endswith("a data cube of shape (60, 3, 3), not a 1-D spectrum")


def test_unrecognised_files_say_neither_reader_knows_them(tmp_path: Path) -> None:
    path = tmp_path / "frame.fits"
    fits.PrimaryHDU(np.zeros((50, 60), np.float32)).writeto(path)

    with pytest.raises(SpectrumReadError) as info:
        read_spectrum(path)
    assert info.value.reason == (
        "no 1-D spectrum found (HDUs: Primary 60 x 50); no specutils loader recognises it either"
    )


def test_files_the_fast_readers_refuse_are_not_handed_to_specutils(tmp_path: Path) -> None:
    # specutils' wcs1d-fits would read this pixel axis as Angstrom and ignore DC-FLAG
    path = tmp_path / "raw.fits"
    hdu = fits.PrimaryHDU(np.ones(50, np.float32))
    hdu.header["DC-FLAG"] = -1
    hdu.header.update(CRVAL1=1.0, CDELT1=1.0)
    hdu.writeto(path)

    with pytest.raises(SpectrumReadError, match="not wavelength-calibrated") as info:
        read_spectrum(path)
    assert "specutils" not in info.value.reason


def test_a_jwst_x1d_table_stays_on_the_fast_path(tmp_path: Path) -> None:
    n_pix = 200
    primary = fits.PrimaryHDU()
    primary.header.update(TELESCOP="JWST", INSTRUME="NIRSPEC", TARGNAME="WASP-39")
    columns = [
        fits.Column("WAVELENGTH", "D", unit="um", array=np.linspace(0.6, 5.3, n_pix)),
        fits.Column("FLUX", "D", unit="Jy", array=np.full(n_pix, 2e-3)),
        fits.Column("FLUX_ERROR", "D", unit="Jy", array=np.full(n_pix, 1e-5)),
        fits.Column("DQ", "J", array=np.zeros(n_pix, np.int32)),
    ]
    table = fits.BinTableHDU.from_columns(columns, name="EXTRACT1D")
    fits.HDUList([primary, table]).writeto(tmp_path / "jw01366-o004_s00001_nirspec_x1d.fits")
    spectrum = read_spectrum(tmp_path / "jw01366-o004_s00001_nirspec_x1d.fits")

    assert spectrum.meta.format == "fits-table"
    assert spectrum.wave[0] == pytest.approx(6000.0) and spectrum.flux_unit == u.Jy
    np.testing.assert_allclose(spectrum.uncertainty, 1e-5)
