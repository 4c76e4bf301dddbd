"""SDSS spec-*.fits and generic FITS binary-table spectra (synthetic files)."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits

from services.spectra import SpectrumReadError, read_spectrum
from services.spectra.header_meta import AstropyHeader
from services.spectra.sdss import read_sdss


def test_sdss_spec_file(sdss_path: Path) -> None:
    spectrum = read_spectrum(sdss_path)
    with fits.open(sdss_path) as hdul:
        coadd = hdul["COADD"].data
        loglam = coadd["loglam"].astype(np.float64)
        flux, ivar, and_mask = coadd["flux"], coadd["ivar"], coadd["and_mask"]

    assert spectrum.meta.format == "sdss-spec"
    np.testing.assert_allclose(spectrum.wave, 10**loglam, rtol=1e-12)
    np.testing.assert_array_equal(spectrum.flux, flux.astype(np.float64))
    np.testing.assert_array_equal(spectrum.ivar, ivar.astype(np.float64))
    np.testing.assert_array_equal(spectrum.mask, and_mask != 0)
    assert spectrum.mask.sum() == 2
    assert np.isinf(spectrum.uncertainty[40])  # ivar == 0
    assert spectrum.flux_unit == 1e-17 * u.erg / u.s / u.cm**2 / u.AA
    meta = spectrum.meta
    assert meta.ra == pytest.approx(146.71421)  # PLUG_RA, not the plate centre RA
    assert meta.dec == pytest.approx(-1.0413043)
    assert meta.redshift == pytest.approx(0.02132)  # from the SPALL table
    assert meta.extra["class"] == "GALAXY"
    assert meta.object_name == "SDSS 0266-51602-0003"
    assert meta.obs_date == "2000-02-29"
    assert meta.telescope == "SDSS 2.5-M"
    assert meta.wave_medium == "vacuum"


def test_sdss_without_spall_hdu(make_sdss: Callable[..., fits.HDUList], tmp_path: Path) -> None:
    path = tmp_path / "spec-nospall.fits"
    make_sdss(50, spall=False).writeto(path)

    spectrum = read_spectrum(path)

    assert spectrum.n_pix == 50
    assert spectrum.meta.redshift is None


def _write_table(path: Path, columns: list[fits.Column], **header: object) -> Path:
    table = fits.BinTableHDU.from_columns(columns)
    primary = fits.PrimaryHDU()
    for key, value in header.items():
        primary.header[key] = value
    fits.HDUList([primary, table]).writeto(path)
    return path


def test_table_with_case_insensitive_names_and_units(tmp_path: Path) -> None:
    wave_nm = np.linspace(400.0, 700.0, 100)
    columns = [
        fits.Column("WAVELENGTH", "D", unit="nm", array=wave_nm),
        fits.Column("Flux", "E", unit="erg/s/cm2/A", array=np.full(100, 3.0)),
        fits.Column("SIGMA", "E", array=np.full(100, 0.5)),
        fits.Column("Mask", "I", array=np.r_[np.zeros(99), 1]),
    ]
    path = _write_table(tmp_path / "table.fits", columns, OBJECT="Vega", RA=279.23, DEC=38.78)

    spectrum = read_spectrum(path)

    assert spectrum.meta.format == "fits-table"
    np.testing.assert_allclose(spectrum.wave, wave_nm * 10)
    np.testing.assert_allclose(spectrum.uncertainty, 0.5)
    np.testing.assert_allclose(spectrum.ivar, 4.0)
    assert spectrum.mask[-1] and not spectrum.mask[:-1].any()
    assert spectrum.flux_unit == u.erg / u.s / u.cm**2 / u.AA
    assert (spectrum.meta.object_name, spectrum.meta.ra, spectrum.meta.dec) == (
        "Vega",
        279.23,
        38.78,
    )


def test_one_row_vector_table_found_by_utype(tmp_path: Path) -> None:
    n = 64
    columns = [
        fits.Column("X1", f"{n}D", unit="Angstrom", array=[np.arange(5000.0, 5000.0 + n)]),
        fits.Column("Y1", f"{n}E", array=[np.arange(n, dtype=np.float32)]),
        fits.Column("Y2", f"{n}E", array=[np.full(n, 0.25, np.float32)]),
    ]
    table = fits.BinTableHDU.from_columns(columns)
    table.header["TUTYP1"] = "spec:Data.SpectralAxis.Value"
    table.header["TUTYP2"] = "spec:Data.FluxAxis.Value"
    table.header["TUTYP3"] = "spec:Data.FluxAxis.Accuracy.StatError"
    path = tmp_path / "vector.fits"
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(path)

    spectrum = read_spectrum(path)

    assert spectrum.n_pix == n
    np.testing.assert_array_equal(spectrum.flux, np.arange(n))
    np.testing.assert_allclose(spectrum.ivar, 16.0)


def test_loglam_column_and_inverse_variance(tmp_path: Path) -> None:
    loglam = 3.6 + 1e-4 * np.arange(30)
    columns = [
        fits.Column("LogLam", "D", unit="log(Angstrom)", array=loglam),
        fits.Column("FLUX", "D", array=np.ones(30)),
        fits.Column("Inverse_Variance", "D", array=np.full(30, 9.0)),
    ]
    path = _write_table(tmp_path / "loglam.fits", columns)

    spectrum = read_spectrum(path)

    np.testing.assert_allclose(spectrum.wave, 10**loglam, rtol=1e-12)
    np.testing.assert_allclose(spectrum.uncertainty, 1 / 3)


def test_table_without_wavelength_column(tmp_path: Path) -> None:
    columns = [fits.Column("mag", "D", array=[1.0, 2.0]), fits.Column("flux", "D", array=[1, 2])]
    path = _write_table(tmp_path / "catalogue.fits", columns)

    with pytest.raises(SpectrumReadError, match=r"catalogue\.fits: no 1-D spectrum found"):
        read_spectrum(path)


def test_sdss_fast_reader_agrees_with_astropy(sdss_path: Path) -> None:
    fast = read_spectrum(sdss_path)
    with fits.open(sdss_path) as hdul:
        slow = read_sdss(hdul, AstropyHeader(hdul[0].header), sdss_path.name)

    assert slow is not None
    for name in ("wave", "flux", "ivar", "uncertainty", "mask"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
    assert fast.flux_unit == slow.flux_unit
    assert fast.meta == slow.meta


def test_gzipped_sdss(sdss_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "spec.fits.gz"
    path.write_bytes(gzip.compress(sdss_path.read_bytes()))

    spectrum = read_spectrum(path)

    assert spectrum.meta.redshift == pytest.approx(0.02132)
    np.testing.assert_array_equal(spectrum.flux, read_spectrum(sdss_path).flux)
