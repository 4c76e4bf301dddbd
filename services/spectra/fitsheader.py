"""A small, fast reader for FITS primary headers and primary images.

Bulk ingest reads thousands of small single-HDU files (LAMOST DR2, Ondřejov CCD700), where
:mod:`astropy.io.fits` spends most of its time building ``Card`` objects. This module reads
the 80-character cards directly and parses a value only when it is asked for, which is
several times faster. Anything it does not handle (no primary data, random groups,
non-ASCII headers) raises :class:`Unsupported` and the caller falls back to astropy.
"""

from __future__ import annotations

import gzip
import math
import os
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np

__all__ = [
    "BLOCK",
    "FitsHeader",
    "PrimaryImage",
    "Truncated",
    "Unsupported",
    "read_extension_header",
    "read_primary",
]

BLOCK = 2880
_CARD = 80
_MAX_HEADER_BLOCKS = 2000
_DTYPES = {8: "u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}
_STRING = re.compile(r"'((?:[^']|'')*)'?")


class Unsupported(Exception):
    """The fast reader does not handle this file; use astropy instead."""


class Truncated(Exception):
    """The file ends before its header or data does."""


class FitsHeader:
    """Read-only view of a FITS header kept as raw cards, values parsed on demand.

    Parameters
    ----------
    cards : list of str
        The 80-character cards up to (not including) END.
    """

    __slots__ = ("_cards", "_index")

    def __init__(self, cards: list[str]) -> None:
        self._cards = cards
        index: dict[str, int] = {}
        for i, card in enumerate(cards):
            if card[8:10] == "= ":
                index.setdefault(card[:8].rstrip(), i)
        self._index = index

    def get(self, key: str, default: Any = None) -> Any:
        """Value of keyword ``key`` (str, int, float or bool), ``default`` if absent or empty."""
        i = self._index.get(key.upper())
        if i is None:
            return default
        value = _card_value(self._cards, i)
        return default if value is None else value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.upper() in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)


def _card_value(cards: list[str], i: int) -> Any:
    text = cards[i][10:].lstrip()
    if text.startswith("'"):
        value = _string(text)
        j = i + 1
        while value.endswith("&") and j < len(cards) and cards[j].startswith("CONTINUE"):
            value = value[:-1] + _string(cards[j][8:].lstrip())
            j += 1
        return value.rstrip()
    token = text.split("/", 1)[0].strip()
    if not token:
        return None
    if token in ("T", "F"):
        return token == "T"
    try:
        return int(token)
    except ValueError:
        pass
    try:
        return float(token.replace("D", "E").replace("d", "e"))
    except ValueError:
        return token


def _string(text: str) -> str:
    match = _STRING.match(text)
    return match.group(1).replace("''", "'") if match else ""


class PrimaryImage:
    """Header and float64 data of a primary HDU.

    Attributes
    ----------
    header : FitsHeader
        The primary header.
    data : numpy.ndarray, float64, shape (NAXISn, ..., NAXIS1), or None
        Scaled (BSCALE/BZERO) pixel values in C order; BLANK integers become NaN.
        None when the primary HDU has no data (NAXIS = 0), as in files with extensions.
    """

    __slots__ = ("data", "header")

    def __init__(self, header: FitsHeader, data: np.ndarray | None) -> None:
        self.header = header
        self.data = data


def _read_cards(
    fh: BinaryIO, first: bytes = b"SIMPLE  =", at_eof: list[str] | None = None
) -> list[str]:
    """Cards up to END; returns ``at_eof`` when the stream ends before the first byte."""
    cards: list[str] = []
    for n_block in range(_MAX_HEADER_BLOCKS):
        block = fh.read(BLOCK)
        if not block and n_block == 0 and at_eof is not None:
            return at_eof
        if len(block) < BLOCK:
            raise Truncated(f"a header ends after {n_block * BLOCK + len(block)} bytes")
        if n_block == 0 and not block.startswith(first):
            raise Unsupported(f"header does not start with {first!r}")
        try:
            text = block.decode("ascii")
        except UnicodeDecodeError:
            raise Unsupported("non-ASCII header") from None
        for start in range(0, BLOCK, _CARD):
            card = text[start : start + _CARD]
            if card.startswith("END") and not card[3:].strip():
                return cards
            cards.append(card)
    raise Unsupported("header too long")


def _layout(header: FitsHeader) -> tuple[np.dtype, tuple[int, ...]]:
    if header.get("SIMPLE") is not True or header.get("GROUPS") is True:
        raise Unsupported("not a simple image")
    bitpix = header.get("BITPIX")
    naxis = header.get("NAXIS")
    if bitpix not in _DTYPES or not isinstance(naxis, int) or not 0 <= naxis <= 999:
        raise Unsupported(f"BITPIX={bitpix!r} NAXIS={naxis!r}")
    shape = tuple(header.get(f"NAXIS{k}") for k in range(naxis, 0, -1))
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise Unsupported(f"bad axis lengths {shape}")
    return np.dtype(_DTYPES[bitpix]), shape


def _scale(raw: np.ndarray, header: FitsHeader) -> np.ndarray:
    data = raw.astype(np.float64)
    bscale = header.get("BSCALE", 1.0)
    bzero = header.get("BZERO", 0.0)
    if bscale != 1:
        data *= bscale
    if bzero != 0:
        data += bzero
    blank = header.get("BLANK")
    if raw.dtype.kind in "iu" and isinstance(blank, int):
        data[raw == blank] = np.nan
    return data


def _bytes_left(fh: BinaryIO) -> int | None:
    """Bytes between the position and the end of a plain file; None for streams (gzip)."""
    if isinstance(fh, gzip.GzipFile):  # its fileno() is the compressed file's
        return None
    try:
        return os.fstat(fh.fileno()).st_size - fh.tell()
    except (AttributeError, OSError, ValueError):
        return None


def read_primary(fh: BinaryIO) -> PrimaryImage:
    """Read the primary header and image from an open binary FITS stream.

    Parameters
    ----------
    fh : binary file object
        Positioned at the start of the file.

    Returns
    -------
    PrimaryImage
        Header and float64 data of shape ``(NAXISn, ..., NAXIS1)`` (None if NAXIS = 0); the
        stream is left at the end of the data (before its padding).

    Raises
    ------
    Truncated
        The file ends inside the header or the data.
    Unsupported
        Anything this reader leaves to astropy (random groups, non-ASCII header...).
    """
    header = FitsHeader(_read_cards(fh))
    dtype, shape = _layout(header)
    if not shape or 0 in shape:
        return PrimaryImage(header, None)
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    left = _bytes_left(fh)
    if left is not None and nbytes > left:  # a hostile NAXISn must not size an allocation
        raise Truncated(f"the header announces {nbytes} data bytes, only {left} follow it")
    raw = fh.read(nbytes)
    if len(raw) < nbytes:
        raise Truncated(f"the header announces {nbytes} data bytes, only {len(raw)} follow it")
    data = np.frombuffer(raw, dtype=dtype, count=count).reshape(shape)
    return PrimaryImage(header, _scale(data, header))


def read_extension_header(fh: BinaryIO) -> FitsHeader | None:
    """Read the next extension header (``XTENSION=``) from a stream at a block boundary.

    Returns
    -------
    FitsHeader or None
        None at a clean end of file (no further HDU).

    Raises
    ------
    Truncated
        The file ends inside the header.
    Unsupported
        What follows is not an extension header.
    """
    end: list[str] = []
    cards = _read_cards(fh, first=b"XTENSION=", at_eof=end)
    return None if cards is end else FitsHeader(cards)
