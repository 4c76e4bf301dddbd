"""FITS spectra stored as images: LAMOST DR2, Ondřejov CCD700, generic 1-D WCS files and
row-stacked images (:mod:`services.spectra.stacked`).

:func:`read_fits` is the entry point for every FITS file. Single-HDU images go through the
fast reader of :mod:`services.spectra.fitsheader`; everything else (spectra in extensions,
binary tables, SDSS ``spec-*.fits``) is opened with :mod:`astropy.io.fits`. A well-formed
file in none of these layouts raises :class:`UnrecognisedLayout`, which
:func:`services.spectra.readers.read_spectrum` hands to specutils.
"""

from __future__ import annotations

import gzip
import os
import zlib

import numpy as np
from astropy.io import fits

from services.spectra.assemble import assemble
from services.spectra.capture import captured_warnings
from services.spectra.dispersion import wavelengths
from services.spectra.fits_tables import table_spectrum
from services.spectra.fitsheader import BLOCK, Truncated, Unsupported, read_primary
from services.spectra.header_meta import AstropyHeader, ChainedHeader, HeaderLike, meta_from_header
from services.spectra.sdss import is_sdss, read_sdss, read_sdss_stream
from services.spectra.sniff import open_binary
from services.spectra.spectrum import Spectrum, SpectrumReadError, UnrecognisedLayout
from services.spectra.stacked import stacked_spectrum
from services.spectra.units import guess_wave_unit, parse_unit

__all__ = ["read_fits", "spectrum_from_image"]

_MAX_HDUS = 64
# LAMOST DR2 row names (EXTEN0 = 'Flux Inverse Wavelength Andmask Ormask') -> role.
_LAMOST_ROWS = {"flux": "flux", "inverse": "ivar", "wavelength": "wave", "andmask": "mask"}
_LAMOST_DEFAULT_ROWS = ("flux", "inverse", "wavelength", "andmask", "ormask")
_TRUNCATED = "truncated FITS file (expected 2880-byte blocks)"


def _is_lamost(header: HeaderLike, data: np.ndarray) -> bool:
    if data.ndim != 2 or not 2 <= data.shape[0] <= 8:
        return False
    telescope = str(header.get("TELESCOP", "")).strip().upper()
    return telescope.startswith("LAMOST") or "EXTEN0" in header


def _is_ondrejov(header: HeaderLike) -> bool:
    observatory = str(header.get("OBSERVAT", "")).strip().upper()
    telescope = str(header.get("TELESCOP", "")).strip().upper()
    return observatory.startswith("ONDREJOV") or telescope == "ZEISS-2M"


def _lamost(header: HeaderLike, data: np.ndarray, source: str) -> Spectrum:
    """LAMOST DR2: rows are flux, inverse variance, wavelength, andmask, ormask."""
    names = str(header.get("EXTEN0", "")).lower().split() or list(_LAMOST_DEFAULT_ROWS)
    rows: dict[str, int] = {}
    for i, name in enumerate(names[: data.shape[0]]):
        role = _LAMOST_ROWS.get(name)
        if role is not None:
            rows.setdefault(role, i)
    if "flux" not in rows:
        raise ValueError(f"LAMOST image without a flux row (EXTEN0={names})")
    meta = meta_from_header(header, source=source, fmt="lamost-dr2")
    if "wave" in rows:
        wave, unit = data[rows["wave"]], None
    else:  # pipeline v2.6 files have a 'Subcontinuum' row instead of the wavelengths
        dispersion = wavelengths(header, data.shape[1])
        wave, unit = dispersion.wave, dispersion.unit
        meta.warn(f"no wavelength row (EXTEN0={' '.join(names)}); wavelengths from the WCS")
    return assemble(
        meta,
        wave,
        data[rows["flux"]],
        wave_unit=unit,
        flux_unit=parse_unit(header.get("BUNIT")),
        ivar=data[rows["ivar"]] if "ivar" in rows else None,
        mask=data[rows["mask"]] if "mask" in rows else None,
    )


def _bands(header: HeaderLike, data: np.ndarray) -> np.ndarray | None:
    """Image as (n_bands, n_pix), or None when it is not a 1-D spectrum (IRAF band layout)."""
    if data.ndim == 1:
        return data[np.newaxis]
    if data.ndim == 3 and data.shape[1] == 1:  # IRAF (bands, apertures=1, pixels)
        data = data[:, 0, :]
    if data.ndim == 2 and (data.shape[0] == 1 or ("BANDID1" in header and data.shape[0] <= 8)):
        return data
    return None


def _has_dispersion(header: HeaderLike) -> bool:
    """Whether the header gives axis 1 a wavelength grid (WCS, SDSS or old IRAF keywords)."""
    return any(key in header for key in ("CRVAL1", "COEFF0", "W0"))


def _sigma_band(header: HeaderLike, bands: np.ndarray) -> np.ndarray | None:
    for k in range(2, bands.shape[0] + 1):
        label = str(header.get(f"BANDID{k}", "")).lower()
        if "sigma" in label or "error" in label:
            return bands[k - 1]
    return None


def spectrum_from_image(header: HeaderLike, data: np.ndarray, source: str) -> Spectrum | None:
    """Spectrum from a FITS image HDU, or None when the image is not a 1-D spectrum.

    Parameters
    ----------
    header : HeaderLike
        The image header (chained with the primary one for extensions).
    data : numpy.ndarray, float64, shape (n_pix,), (n_rows, n_pix) or (n_bands, 1, n_pix)
        Scaled pixel values.
    source : str
        File base name.

    Returns
    -------
    Spectrum or None
        LAMOST DR2 row layout, a 1-D (or IRAF multi-band) image with a WCS dispersion
        (without a stated unit: the plausibility rule, recorded in ``meta.guesses``), or a
        row-stacked image (wavelength, flux[, error[, flag]] rows, no WCS).
    """
    if _is_lamost(header, data):
        return _lamost(header, data, source)
    bands = _bands(header, data)
    if bands is None or not _has_dispersion(header):
        stacked = stacked_spectrum(header, data, source)
        if stacked is not None:
            return stacked
    if bands is None:
        return None
    meta = meta_from_header(
        header, source=source, fmt="ondrejov-ccd700" if _is_ondrejov(header) else "fits-wcs-1d"
    )
    dispersion = wavelengths(header, bands.shape[1])
    for note in dispersion.notes:
        meta.warn(note)
    meta.extra["dispersion"] = dispersion.kind
    wave_unit = dispersion.unit
    if not dispersion.unit_stated:
        wave_unit, note = guess_wave_unit(dispersion.wave)
        meta.guess(note)
    bunit = header.get("BUNIT")
    flux_unit = parse_unit(bunit)
    if bunit and flux_unit is None:
        meta.warn(f"unrecognised flux unit BUNIT={bunit!r}")
    return assemble(
        meta,
        dispersion.wave,
        bands[0],
        wave_unit=wave_unit,
        flux_unit=flux_unit,
        uncertainty=_sigma_band(header, bands),
    )


def read_fits(path: str, *, fast: bool = True) -> Spectrum:
    """Read a FITS spectrum of any supported layout.

    Parameters
    ----------
    path : str
        File path (``.gz`` compressed files are fine).
    fast : bool
        Use the built-in header/table reader where it applies (default); False reads
        everything with :mod:`astropy.io.fits` (slower, same result; for cross-checks).

    Returns
    -------
    Spectrum

    Raises
    ------
    SpectrumReadError
        Truncated or corrupt file, or no 1-D spectrum in it.
    """
    source = os.path.basename(path)
    if not fast:
        return _read_with_astropy(path, source, skip_primary=False)
    try:
        with open_binary(path) as fh:
            primary = read_primary(fh)
            if primary.data is None and is_sdss(primary.header):
                return read_sdss_stream(fh, primary.header, source)
    except Truncated as exc:
        raise SpectrumReadError(path, f"{_TRUNCATED}: {exc}") from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise SpectrumReadError(path, f"truncated or corrupt gzip file ({exc})") from None
    except Unsupported:
        return _read_with_astropy(path, source, skip_primary=False)
    if primary.data is None:
        return _read_with_astropy(path, source, skip_primary=True)
    spectrum = spectrum_from_image(primary.header, primary.data, source)
    if spectrum is not None:
        return spectrum
    return _read_with_astropy(path, source, skip_primary=True)


def _plain_size(path: str) -> int | None:
    """File size, or None for compressed files (whose HDU offsets are not file offsets)."""
    with open(path, "rb") as fh:
        compressed = fh.read(2) == b"\x1f\x8b" or path.endswith(".fz")
    return None if compressed else os.path.getsize(path)


def _read_with_astropy(path: str, source: str, *, skip_primary: bool) -> Spectrum:
    size = _plain_size(path)
    with captured_warnings() as caught:
        try:
            # Our own handle: astropy leaves its file open when the first header is corrupt.
            with open(path, "rb") as fh, fits.open(fh, memmap=False, lazy_load_hdus=True) as hdul:
                spectrum = _scan(hdul, path, source, skip_primary, size)
        except OSError as exc:
            raise SpectrumReadError(path, _open_error(exc, size)) from exc
    for warning in caught:
        spectrum.meta.warn(f"{warning.category.__name__}: {warning.message}")
    return spectrum


def _open_error(exc: OSError, size: int | None) -> str:
    if size is not None and size % BLOCK:
        return f"{_TRUNCATED}, the file has {size} bytes"
    return f"corrupt FITS file ({exc})"


def _check_complete(hdu: fits.hdu.base._BaseHDU, index: int, path: str, size: int | None) -> None:
    """Raise when the file (of ``size`` bytes, None if compressed) ends inside ``hdu``'s data."""
    info = hdu.fileinfo()
    if not info or size is None:
        return
    needed = info["datLoc"] + hdu.size
    if needed > size:
        raise SpectrumReadError(
            path, f"{_TRUNCATED}: HDU {index} needs {needed} bytes, the file has {size}"
        )


def _scan(
    hdul: fits.HDUList, path: str, source: str, skip_primary: bool, size: int | None
) -> Spectrum:
    primary = hdul[0]
    _check_complete(primary, 0, path, size)
    primary_header = AstropyHeader(primary.header)
    seen = [_describe(primary)]
    if not skip_primary and primary.header.get("NAXIS", 0) > 0 and primary.data is not None:
        spectrum = spectrum_from_image(primary_header, _float_data(primary), source)
        if spectrum is not None:
            return spectrum
    if is_sdss(primary_header):
        for index, hdu in enumerate(hdul[1:3], start=1):  # COADD and SPALL
            _check_complete(hdu, index, path, size)
        spectrum = read_sdss(hdul, primary_header, source)
        if spectrum is not None:
            return spectrum
    for index in range(1, _MAX_HDUS):
        try:
            hdu = hdul[index]
        except IndexError:
            break
        _check_complete(hdu, index, path, size)
        seen.append(_describe(hdu))
        try:
            spectrum = _hdu_spectrum(hdu, primary_header, source)
        except ValueError as exc:
            # an extension we do not understand (rows of segments, a bare wavelength array
            # as DESI's B_WAVELENGTH): named in the message, and specutils may know the file
            seen[-1] += f" ({exc})"
            continue
        if spectrum is not None:
            return spectrum
    raise UnrecognisedLayout(path, f"no 1-D spectrum found (HDUs: {'; '.join(seen)})")


def _hdu_spectrum(hdu: fits.hdu.base._BaseHDU, primary: HeaderLike, source: str) -> Spectrum | None:
    if isinstance(hdu, fits.BinTableHDU | fits.TableHDU):
        return table_spectrum(hdu, primary, source)
    if isinstance(hdu, fits.ImageHDU) and hdu.header.get("NAXIS", 0) > 0:
        header = ChainedHeader(AstropyHeader(hdu.header), primary)
        return spectrum_from_image(header, _float_data(hdu), source)
    return None


def _float_data(hdu: fits.hdu.base._BaseHDU) -> np.ndarray:
    return np.asarray(hdu.data, dtype=np.float64)


def _describe(hdu: fits.hdu.base._BaseHDU) -> str:
    kind = type(hdu).__name__.removesuffix("HDU")
    if isinstance(hdu, fits.BinTableHDU | fits.TableHDU):
        names = ", ".join(hdu.columns.names[:8])
        return f"{kind} with columns {names}"
    naxis = hdu.header.get("NAXIS", 0)
    shape = " x ".join(str(hdu.header.get(f"NAXIS{k}", 0)) for k in range(1, naxis + 1))
    return f"{kind} {shape}" if shape else f"{kind} without data"
