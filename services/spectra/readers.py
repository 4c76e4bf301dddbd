"""Read a spectrum file of any supported format: :func:`read_spectrum`.

Supported layouts (``Spectrum.meta.format``):

* ``ondrejov-ccd700`` - Ondřejov 2 m CCD700 1-D FITS image with a linear WCS;
* ``lamost-dr2`` - LAMOST DR2 FITS, a 2-D primary image of flux, inverse variance,
  wavelength, andmask, ormask rows;
* ``sdss-spec`` - SDSS/BOSS ``spec-*.fits`` (COADD binary table, SPALL redshift);
* ``fits-wcs-1d`` - any 1-D FITS image with a linear or log-linear WCS (IRAF conventions);
* ``fits-table`` - FITS binary table with wavelength and flux columns;
* ``fits-row-stacked`` - an image whose rows are wavelength, flux, error[, flag] (IRTF
  Spextool, the SpeX Prism Library; also transposed, and per order);
* ``votable-sdm`` - IVOA Spectrum data model VOTable;
* ``ascii`` / ``ascii-csv`` - two or three numeric text columns; ``ecsv`` - astropy ECSV;
* ``specutils:<loader>`` - any other FITS file one of specutils' loaders reads (SDSS-V,
  APOGEE, 6dF, MaNGA, JWST x1d, HST COS/STIS, DESI, tabular-fits, wcs1d-fits...), tried
  only when the fast readers above do not recognise the file
  (:mod:`services.spectra.specutils_reader`).
"""

from __future__ import annotations

import gzip
import os
import zlib

from services.spectra.fits_readers import read_fits
from services.spectra.sniff import (
    FITS_SUFFIXES,
    describe_foreign,
    read_head,
    sniff,
)
from services.spectra.spectrum import Spectrum, SpectrumReadError, UnrecognisedLayout
from services.spectra.specutils_reader import SpecutilsFailed, read_with_specutils
from services.spectra.text_reader import read_text
from services.spectra.votable_reader import read_votable

__all__ = ["read_spectrum", "sniff_format"]


def _head(path: str) -> bytes:
    try:
        return read_head(path)
    except FileNotFoundError:
        raise SpectrumReadError(path, "no such file") from None
    except IsADirectoryError:
        raise SpectrumReadError(path, "is a directory, not a file") from None
    except PermissionError:
        raise SpectrumReadError(path, "permission denied") from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise SpectrumReadError(path, f"truncated or corrupt gzip file ({exc})") from None
    except OSError as exc:
        raise SpectrumReadError(path, f"cannot read the file ({exc.strerror or exc})") from None


def sniff_format(path: str | os.PathLike[str]) -> str:
    """Say which reader :func:`read_spectrum` would use, from the file's first bytes.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    str
        ``"fits"``, ``"votable"`` or ``"text"``.

    Raises
    ------
    SpectrumReadError
        Unreadable, empty, or plainly not a spectrum (an image, an HTML page...).
    """
    name = os.fspath(path)
    head = _head(name)
    if not head:
        raise SpectrumReadError(name, "empty file (0 bytes)")
    kind = sniff(head)
    is_fits_name = name.lower().endswith(FITS_SUFFIXES)
    if kind == "fits":
        return kind
    description = describe_foreign(head) if kind == "foreign" else None
    if is_fits_name:
        shown = head[:20].decode("ascii", "replace").strip()
        what = description or f"starts with {shown!r}"
        raise SpectrumReadError(name, f"not a FITS file: {what}")
    if description is not None:
        raise SpectrumReadError(name, description)
    return kind


def read_spectrum(path: str | os.PathLike[str]) -> Spectrum:
    """Read one spectrum, recognising its format from the content.

    Parameters
    ----------
    path : str or os.PathLike
        FITS (plain or gzipped), VOTable or text file.

    Returns
    -------
    Spectrum
        ``wave`` in Angstrom, increasing, float64 of shape (n_pix,); ``flux``, and when the
        file has them ``ivar``/``uncertainty`` (both derived from either) and ``mask``
        (True = bad). ``meta.format`` names the recognised layout (see module docstring),
        ``meta.source`` the file name, ``meta.warnings`` anything odd met on the way,
        ``meta.guesses`` what was inferred rather than read (a wavelength unit).

    Raises
    ------
    SpectrumReadError
        For any file that cannot be read as a spectrum: missing, empty, truncated, not
        FITS/VOTable/text, or without a wavelength axis. Never another exception type.
    """
    name = os.fspath(path)
    kind = sniff_format(name)  # also refuses a gzip bomb (services/spectra/sniff.py)
    reader = {"fits": read_fits, "votable": read_votable, "text": read_text}[kind]
    try:
        return reader(name)
    except UnrecognisedLayout as exc:
        return _with_specutils(name, exc.reason, exc)
    except SpectrumReadError:
        raise
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise SpectrumReadError(name, f"truncated or corrupt gzip file ({exc})") from exc
    except MemoryError:
        raise SpectrumReadError(name, "too large to read into memory") from None
    except Exception as exc:  # any other failure is a property of the file: report it as such
        reason = str(exc) or type(exc).__name__
        raise SpectrumReadError(name, reason) from exc


def _with_specutils(path: str, reason: str, cause: Exception) -> Spectrum:
    """specutils' reading of a FITS file in a layout the fast readers do not know, or the
    reasons of both. A file they recognised and refused (a non-linear or pixel dispersion,
    wavelengths that fit no unit...) is not handed on: specutils would read it silently
    wrong (its wcs1d-fits loader takes a missing CUNIT1 for Angstrom and ignores DC-FLAG)."""
    try:
        return read_with_specutils(path)
    except SpecutilsFailed as exc:
        raise SpectrumReadError(path, f"{reason}; {exc}") from cause
