"""Fixtures for the spectrum reader tests: real files and builders of synthetic ones."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.io import fits

DATA = Path(__file__).resolve().parents[2] / "data" / "spectra"


@pytest.fixture
def ondrejov_path() -> Path:
    """The real Ondřejov CCD700 spectrum."""
    return DATA / "ondrejov" / "oe270005.fits"


@pytest.fixture
def lamost_path() -> Path:
    """A real LAMOST DR2 spectrum with a wavelength row."""
    return DATA / "lamost-dr2" / "spec-56257-GAC089N38V2_sp01-001.fits"


@pytest.fixture
def write_image(tmp_path: Path) -> Callable[..., Path]:
    """Write a primary-image FITS file: ``write_image(data, {"CRVAL1": ...}, name=...)``."""

    def write(data: np.ndarray, cards: dict[str, Any], name: str = "image.fits") -> Path:
        hdu = fits.PrimaryHDU(np.asarray(data))
        for key, value in cards.items():
            hdu.header[key] = value
        path = tmp_path / name
        hdu.writeto(path)
        return path

    return write


def _sdss_hdul(n_pix: int = 300, *, spall: bool = True) -> fits.HDUList:
    """A small SDSS DR-style spec file: primary header, COADD table, SPALL table."""
    rng = np.random.default_rng(7)
    primary = fits.PrimaryHDU()
    header = primary.header
    header["TELESCOP"] = "SDSS 2.5-M"
    header["PLATEID"] = 266
    header["MJD"] = 51602
    header["FIBERID"] = 3
    header["RA"] = (146.8, "plate centre")
    header["DEC"] = (-0.5, "plate centre")
    header["PLUG_RA"] = 146.71421
    header["PLUG_DEC"] = -1.0413043
    header["DATE-OBS"] = "2000-02-29"
    header["BUNIT"] = "1E-17 erg/cm^2/s/Ang"
    loglam = (3.5791 + 1e-4 * np.arange(n_pix)).astype(np.float32)
    and_mask = np.zeros(n_pix, dtype=np.int32)
    and_mask[[5, 17]] = 1 << 16
    ivar = rng.uniform(0.5, 2.0, n_pix).astype(np.float32)
    ivar[40] = 0.0
    coadd = fits.BinTableHDU.from_columns(
        [
            fits.Column("flux", "E", array=rng.normal(10, 1, n_pix).astype(np.float32)),
            fits.Column("loglam", "E", array=loglam),
            fits.Column("ivar", "E", array=ivar),
            fits.Column("and_mask", "J", array=and_mask),
            fits.Column("or_mask", "J", array=and_mask),
            fits.Column("wdisp", "E", array=np.ones(n_pix, np.float32)),
            fits.Column("sky", "E", array=np.zeros(n_pix, np.float32)),
            fits.Column("model", "E", array=np.full(n_pix, 10, np.float32)),
        ],
        name="COADD",
    )
    hdus = [primary, coadd]
    if spall:
        columns = [
            fits.Column("PLATE", "J", array=[266]),
            fits.Column("MJD", "J", array=[51602]),
            fits.Column("FIBERID", "J", array=[3]),
            fits.Column("CLASS", "6A", array=["GALAXY"]),
            fits.Column("SUBCLASS", "21A", array=[""]),
            fits.Column("Z", "E", array=[0.02132]),
            fits.Column("Z_ERR", "E", array=[1.1e-5]),
            fits.Column("ZWARNING", "J", array=[0]),
        ]
        columns += [fits.Column(f"FILLER{k}", "D", array=[float(k)]) for k in range(60)]
        hdus.append(fits.BinTableHDU.from_columns(columns, name="SPALL"))
    return fits.HDUList(hdus)


@pytest.fixture
def make_sdss() -> Callable[..., fits.HDUList]:
    """Builder of synthetic SDSS ``spec-*.fits`` HDU lists: ``make_sdss(n_pix, spall=True)``."""
    return _sdss_hdul


@pytest.fixture
def sdss_path(tmp_path: Path) -> Path:
    path = tmp_path / "spec-0266-51602-0003.fits"
    _sdss_hdul().writeto(path)
    return path
