"""Rows of a dataset's arrays as ``.npy`` bytes, read from the memory maps block by block.

Only the rows asked for are read from disk and sent: a slice (``start``/``stop``) or a list
of row numbers. The body is a valid ``.npy`` file (``numpy.load`` reads it) streamed in
blocks of at most :data:`BLOCK_BYTES`, so a large request never sits in memory whole.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np

BLOCK_BYTES = 8 * 1024**2
MAX_ROWS_LISTED = 100_000  # row numbers in one ?rows= list
MAX_BYTES = 2 * 1024**3  # one answer; more is asked in parts


class RowsError(ValueError):
    """Rows that cannot be given (out of range, malformed, too many); said to the user."""


def parse_rows(
    n_rows: int, start: int | None, stop: int | None, rows: str | None
) -> np.ndarray | slice:
    """What ``?start=&stop=`` or ``?rows=1,5,9`` asks for, checked against ``n_rows``.

    Returns
    -------
    slice or ndarray of int64, shape (k,)
    """
    if rows is not None and (start is not None or stop is not None):
        raise RowsError("Ask for rows= or for start=/stop=, not both.")
    if rows is not None:
        parts = [part.strip() for part in rows.split(",") if part.strip()]
        if len(parts) > MAX_ROWS_LISTED:
            raise RowsError(f"At most {MAX_ROWS_LISTED:,} row numbers in one request.")
        if not all(part.isascii() and part.isdigit() and len(part) < 19 for part in parts):
            raise RowsError("rows= takes row numbers separated by commas, e.g. rows=1,5,9.")
        chosen = np.array([int(part) for part in parts], dtype=np.int64)
        if chosen.size and chosen.max() >= n_rows:
            raise RowsError(f"Row {int(chosen.max())} is past the last row ({n_rows - 1}).")
        return chosen
    first = 0 if start is None else start
    last = n_rows if stop is None else min(stop, n_rows)
    if first > last:
        raise RowsError(f"start ({first}) is after stop ({last}).")
    return slice(first, last)


def n_selected(selection: np.ndarray | slice) -> int:
    if isinstance(selection, slice):
        return selection.stop - selection.start
    return int(selection.size)


def npy_stream(
    array: np.ndarray, selection: np.ndarray | slice | None
) -> tuple[int, Iterator[bytes]]:
    """(length in bytes, the blocks) of the ``.npy`` file of ``array[selection]``.

    ``array`` is a memory map of shape (n_rows, ...) or a small array (``selection`` None:
    all of it).
    """
    if selection is None:
        selection = slice(0, array.shape[0])
    n = n_selected(selection)
    shape = (n, *array.shape[1:])
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header,
        {
            "descr": np.lib.format.dtype_to_descr(array.dtype),
            "fortran_order": False,
            "shape": shape,
        },
    )
    row_bytes = int(np.prod(array.shape[1:], dtype=np.int64)) * array.dtype.itemsize
    if n * row_bytes > MAX_BYTES:
        raise RowsError("That is more than 2 GB in one answer: ask for fewer rows at a time.")
    per_block = max(1, BLOCK_BYTES // max(1, row_bytes))

    def blocks() -> Iterator[bytes]:
        yield header.getvalue()
        for first in range(0, n, per_block):
            if isinstance(selection, slice):
                part = array[selection.start + first : selection.start + min(n, first + per_block)]
            else:
                part = array[selection[first : first + per_block]]
            yield np.ascontiguousarray(part).tobytes()

    return len(header.getvalue()) + n * row_bytes, blocks()
