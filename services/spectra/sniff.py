"""Recognise what a file is from its first bytes, and open (possibly gzipped) files."""

from __future__ import annotations

import gzip
import os
from typing import BinaryIO

__all__ = ["FITS_SUFFIXES", "HEAD_BYTES", "describe_foreign", "open_binary", "sniff"]

HEAD_BYTES = 8192
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fts.gz", ".fz")
_GZIP_MAGIC = b"\x1f\x8b"
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"XTENSION=", "a FITS extension without its primary header"),
)


def open_binary(path: str) -> BinaryIO:
    """Open ``path`` for binary reading, transparently decompressing gzip files."""
    fh = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    if fh.read(2) != _GZIP_MAGIC:
        fh.seek(0)
        return fh
    fh.close()
    return gzip.open(path, "rb")  # type: ignore[return-value]


# A spectrum is a few MB; a gzipped file that expands beyond this is a decompression bomb
# (a 200 MB download could otherwise become hundreds of GB in a job's memory).
MAX_EXPANDED_BYTES = 512 * 1024**2


def _refuse_bomb(fh: gzip.GzipFile, already: int, path: str, limit: int) -> None:
    """Read the rest of a gzip stream (nothing kept) and refuse it beyond ``limit`` bytes."""
    from services.spectra.spectrum import SpectrumReadError

    expanded = already
    while block := fh.read(1 << 20):
        expanded += len(block)
        if expanded > limit:
            raise SpectrumReadError(
                path, f"expands to more than {limit // 1024**2} MB when decompressed"
            )


def describe_foreign(head: bytes) -> str | None:
    """Say what a file is when it is plainly not a spectrum (an image, an HTML page...)."""
    for signature, description in _SIGNATURES:
        if head.startswith(signature):
            return description
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or (
        text.startswith(b"<") and b"<html" in text[:2048]
    ):
        return "an HTML page, not a spectrum"
    if text.startswith((b"{", b"[")):
        return "a JSON document, not a spectrum"
    if text.startswith(b"<") and b"<votable" not in text:
        return "an XML document that is not a VOTable"
    if b"\x00" in head:
        return "an unrecognised binary file (not FITS, VOTable or text)"
    return None


def sniff(head: bytes) -> str:
    """Classify a file by its first bytes (already decompressed).

    Parameters
    ----------
    head : bytes
        Up to :data:`HEAD_BYTES` bytes from the start of the file.

    Returns
    -------
    str
        ``"fits"``, ``"votable"``, ``"text"``, or ``"foreign"`` (see :func:`describe_foreign`).
    """
    if head.startswith(b"SIMPLE  ="):
        return "fits"
    if describe_foreign(head) is not None:
        return "foreign"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "votable"
    return "text"


def read_head(path: str) -> bytes:
    """First :data:`HEAD_BYTES` bytes of ``path``, decompressed if it is gzipped.

    Raises
    ------
    OSError
        When the file cannot be opened or read (missing, a directory, no permission...).
    EOFError, gzip.BadGzipFile
        When a gzip stream is corrupt or cut short.
    SpectrumReadError
        When a gzip stream expands beyond :data:`MAX_EXPANDED_BYTES` (a decompression bomb).
    """
    if os.path.isdir(path):
        raise IsADirectoryError(path)
    with open_binary(path) as fh:
        head = fh.read(HEAD_BYTES)
        if isinstance(fh, gzip.GzipFile):  # the one look at a gzipped file's whole size
            _refuse_bomb(fh, len(head), path, MAX_EXPANDED_BYTES)
    return head
