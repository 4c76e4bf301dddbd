"""Small FITS files written the way real archives write them (no downloads, no real data).

* :func:`write_spex_prism` - the SpeX Prism Library / Spextool low-resolution layout: one
  primary image of shape (3, 564) (NAXIS1 = 564, NAXIS2 = 3), rows wavelength (µm), flux,
  uncertainty; ``XUNITS``/``YUNITS`` cards, ``DATE_OBS``/``TIME_OBS``/``MJD_OBS`` spellings,
  sexagesimal ``RA``/``DEC``; no WCS.
* :func:`write_spextool_sxd` - Spextool cross-dispersed output: shape (n_orders * naps, 4,
  n_pix) with wavelength, flux, error, flag rows, NaN padding, ``NORDERS``/``ORDERS``/``NAPS``.
* :func:`write_iraf_bands` - an IRAF-era "bands" file without a dispersion: ``BANDIDk``
  labels name the rows (here flux first), ``WAT1_001 units=angstroms``.

The values are synthetic (seeded) and follow the instruments' real ranges: the prism covers
0.65-2.55 µm with a non-linear dispersion; SXD orders 3-8 cover 0.7-2.55 µm and overlap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits

N_PRISM = 564
SXD_ORDERS = {  # order -> (first, last) wavelength in µm, as in the SpeX SXD mode
    3: (1.88, 2.55),
    4: (1.42, 1.91),
    5: (1.14, 1.53),
    6: (0.95, 1.28),
    7: (0.81, 1.10),
    8: (0.71, 0.95),
}


def prism_wave_um(n_pix: int = N_PRISM) -> np.ndarray:
    """Non-linear prism dispersion from 0.65 to 2.55 µm, shape (n_pix,)."""
    x = np.linspace(0.0, 1.0, n_pix)
    return 0.65 + 1.9 * (0.55 * x + 0.45 * x**2)


def _spextool_cards(header: fits.Header, **extra: object) -> None:
    cards = {
        "TELESCOP": "NASA IRTF",
        "INSTRUME": "SpeX",
        "OBJECT": "2MASS J0036+1821",
        "DATE_OBS": "2003-09-04",
        "TIME_OBS": "13:23:45.6",
        "MJD_OBS": 52886.558167,
        "RA": "00:36:15.97",
        "DEC": "+18:21:10.4",
        "AIRMASS": 1.05,
        "XUNITS": "Microns",
        "YUNITS": "ergs s-1 cm-2 A-1",
        "XTITLE": "!7k!5 (!7l!5m)",
        "YTITLE": "f!D!7k!5!N (ergs s!E-1!N cm!E-2!N A!E-1!N)",
    }
    cards.update(extra)
    for key, value in cards.items():
        if value is None:
            header.remove(key, ignore_missing=True)
        else:
            header[key] = value


def prism_rows(seed: int = 3, n_pix: int = N_PRISM) -> np.ndarray:
    """Wavelength (µm), flux and uncertainty rows, shape (3, n_pix), float32."""
    rng = np.random.default_rng(seed)
    wave = prism_wave_um(n_pix)
    flux = 1e-15 * np.exp(-((wave - 1.25) ** 2) / 0.3) + 1e-17
    error = np.full(n_pix, 2e-17)
    flux = flux + rng.normal(0.0, 2e-17, n_pix)
    return np.vstack([wave, flux, error]).astype(np.float32)


def write_spex_prism(
    path: Path, *, rows: np.ndarray | None = None, transpose: bool = False, **cards: object
) -> Path:
    """A SpeX Prism Library file: primary image (3, 564), µm wavelengths, XUNITS/YUNITS.

    ``cards`` override or (with None) remove header cards; ``transpose`` writes (564, 3).
    """
    data = prism_rows() if rows is None else rows
    hdu = fits.PrimaryHDU(data.T if transpose else data)
    _spextool_cards(hdu.header, **cards)
    hdu.writeto(path)
    return path


def sxd_planes(naps: int = 1, seed: int = 5) -> np.ndarray:
    """Spextool SXD data, shape (6 * naps, 4, n_pix): orders 3-8, NaN-padded."""
    rng = np.random.default_rng(seed)
    lengths = {order: 900 + 40 * order for order in SXD_ORDERS}
    n_pix = max(lengths.values())
    planes = np.full((len(SXD_ORDERS) * naps, 4, n_pix), np.nan, dtype=np.float32)
    for i, (order, (first, last)) in enumerate(SXD_ORDERS.items()):
        n = lengths[order]
        wave = np.linspace(first, last, n)
        for aperture in range(naps):
            plane = planes[i * naps + aperture]
            plane[0, :n] = wave
            plane[1, :n] = (1 + aperture) * (1e-14 + rng.normal(0, 1e-16, n))
            plane[2, :n] = 1e-16
            plane[3, :n] = 0
            plane[3, n // 2] = 1  # Spextool flag: a bad pixel (mid-order, kept by the join)
    return planes


def write_spextool_sxd(path: Path, *, naps: int = 1, **cards: object) -> Path:
    """Spextool cross-dispersed output: (6 * naps, 4, n_pix), XUNITS='um', NAPS, ORDERS."""
    hdu = fits.PrimaryHDU(sxd_planes(naps))
    _spextool_cards(
        hdu.header,
        XUNITS="um",
        YUNITS="W m-2 um-1",
        NORDERS=len(SXD_ORDERS),
        ORDERS=",".join(str(order) for order in SXD_ORDERS),
        NAPS=naps,
        MODE="ShortXD",
        DATE_OBS="2017-10-04",
        TIME_OBS=None,
        MJD_OBS=None,
        OBJECT="HD 12345",
    )
    for key, value in cards.items():
        hdu.header[key] = value
    hdu.writeto(path)
    return path


def write_iraf_bands(path: Path, n_pix: int = 300) -> Path:
    """IRAF-era bands without a dispersion: BANDID1 flux, BANDID2 wavelength, BANDID3 sigma."""
    wave = np.linspace(4000.0, 4299.0, n_pix)
    flux = np.linspace(1.0, 2.0, n_pix)
    sigma = np.full(n_pix, 0.1)
    hdu = fits.PrimaryHDU(np.vstack([flux, wave, sigma]))
    header = hdu.header
    header["BANDID1"] = "spectrum - background fit, weights variance, clean no"
    header["BANDID2"] = "wavelength"
    header["BANDID3"] = "sigma - sigma spectrum"
    header["WAT0_001"] = "system=equispec"
    header["WAT1_001"] = "wtype=linear label=Wavelength units=angstroms"
    header["BUNIT"] = "erg/cm2/s/A"
    header["OBJECT"] = "BD+28 4211"
    header["DATE-OBS"] = "1998-10-12T03:14:15"
    hdu.writeto(path)
    return path


def write_hst_cos_x1d(path: Path, n_pix: int = 400) -> Path:
    """HST/COS ``x1d``: one row per detector segment (FUVA, FUVB), arrays in each cell.

    As MAST serves them: primary header with TELESCOP/INSTRUME, extension ``SCI`` a binary
    table whose WAVELENGTH/FLUX/ERROR/DQ cells hold a segment each (G130M: FUVB 1140-1280 Å,
    FUVA 1300-1450 Å).
    """
    rng = np.random.default_rng(11)
    primary = fits.PrimaryHDU()
    primary.header.update(
        TELESCOP="HST", INSTRUME="COS", DETECTOR="FUV", OPT_ELEM="G130M", TARGNAME="AV-456"
    )
    primary.header.update(RA_TARG=12.345, DEC_TARG=-72.1, DATE_OBS="2010-09-19")
    wave = np.vstack([np.linspace(1300, 1450, n_pix), np.linspace(1140, 1280, n_pix)])
    flux = rng.normal(1e-14, 1e-16, (2, n_pix)).astype(np.float32)
    columns = [
        fits.Column("SEGMENT", "4A", array=["FUVA", "FUVB"]),
        fits.Column("EXPTIME", "D", unit="s", array=[1200.0, 1200.0]),
        fits.Column("NELEM", "J", array=[n_pix, n_pix]),
        fits.Column("WAVELENGTH", f"{n_pix}D", unit="Angstrom", array=wave),
        fits.Column("FLUX", f"{n_pix}E", unit="erg /s /cm**2 /Angstrom", array=flux),
        fits.Column("ERROR", f"{n_pix}E", unit="erg /s /cm**2 /Angstrom", array=flux * 0 + 1e-16),
        fits.Column("DQ", f"{n_pix}I", array=np.zeros((2, n_pix), np.int16)),
    ]
    sci = fits.BinTableHDU.from_columns(columns, name="SCI")
    fits.HDUList([primary, sci]).writeto(path)
    return path


DESI_ARMS = {"b": (3600.0, 5930.0), "r": (5660.0, 7620.0), "z": (7470.0, 9824.0)}


def write_desi_coadd(directory: Path, n_targets: int = 2, step_aa: float = 8.0) -> Path:
    """A DESI ``coadd-sv3-dark-<healpix>.fits``: per arm B/R/Z _WAVELENGTH, _FLUX, _IVAR,
    _MASK, _RESOLUTION images (BUNITs as the pipeline writes them), FIBERMAP and SCORES."""
    rng = np.random.default_rng(13)
    primary = fits.PrimaryHDU()
    primary.header.update(INFIL000="spectra-sv3-dark-26065.fits", SPGRP="healpix")
    hdus: list[fits.hdu.base._BaseHDU] = [
        primary,
        fits.BinTableHDU.from_columns(
            [fits.Column("TARGETID", "K", array=np.arange(n_targets) + 39627000000000000)],
            name="FIBERMAP",
        ),
    ]
    bunits = {
        "WAVELENGTH": "Angstrom",
        "FLUX": "10**-17 erg/(s cm2 Angstrom)",
        "IVAR": "10**+34 (s2 cm4 Angstrom2) / erg2",
    }
    for arm, (first, last) in DESI_ARMS.items():
        wave = np.arange(first, last + step_aa / 2, step_aa)
        n = wave.size
        flux = rng.normal(5.0, 0.1, (n_targets, n)).astype(np.float32)
        flux[0, 3] = np.nan
        images = {
            "WAVELENGTH": wave,
            "FLUX": flux,
            "IVAR": np.full((n_targets, n), 4.0, np.float32),
            "MASK": np.zeros((n_targets, n), np.int32),
            "RESOLUTION": np.ones((n_targets, 11, n), np.float32),
        }
        for kind, data in images.items():
            hdu = fits.ImageHDU(data, name=f"{arm.upper()}_{kind}")
            if kind in bunits:
                hdu.header["BUNIT"] = bunits[kind]
            hdus.append(hdu)
    scores = [fits.Column("TSNR2_LRG", "E", array=np.ones(n_targets))]
    hdus.append(fits.BinTableHDU.from_columns(scores, name="SCORES"))
    path = directory / "coadd-sv3-dark-26065.fits"
    fits.HDUList(hdus).writeto(path)
    return path


def write_manga_cube(path: Path, n_wave: int = 60, n_side: int = 3) -> Path:
    """A (tiny) MaNGA LOGCUBE: FLUX/IVAR/MASK cubes with a 3-D WCS, WAVE extension."""
    primary = fits.PrimaryHDU()
    primary.header.update(TELESCOP="SDSS 2.5-M", PLATEIFU="7443-12703")
    cube = np.ones((n_wave, n_side, n_side), np.float32)
    flux = fits.ImageHDU(cube, name="FLUX")
    flux.header.update(
        INSTRUME="MaNGA", CTYPE1="RA---TAN", CTYPE2="DEC--TAN", CTYPE3="WAVE-LOG",
        CRVAL1=230.5, CRVAL2=43.5, CRVAL3=3.6e-7, CDELT1=-1.4e-4, CDELT2=1.4e-4,
        CD3_3=8.3e-11, CRPIX1=2, CRPIX2=2, CRPIX3=1, CUNIT1="deg", CUNIT2="deg", CUNIT3="m",
    )  # fmt: skip
    hdus = [
        primary,
        flux,
        fits.ImageHDU(cube, name="IVAR"),
        fits.ImageHDU(np.zeros(cube.shape, np.int32), name="MASK"),
        fits.ImageHDU(3600 * 10 ** (1e-4 * np.arange(n_wave)), name="WAVE"),
    ]
    fits.HDUList(hdus).writeto(path)
    return path
