"""The user's datasets: learning arrays read row by row, only what is asked for."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np

from vocloud.client.http import API, VocloudError

if TYPE_CHECKING:
    from astropy.table import Table

    from vocloud.client.http import Client

#: Row numbers sent in one request (the rest follow in more requests).
ROWS_PER_REQUEST = 1000

Rows = slice | Sequence[int] | np.ndarray | int | None


class Datasets:
    """``vc.datasets.list()``, and ``vc.datasets["name"]`` for one dataset."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self) -> list[dict[str, Any]]:
        """Each dataset's ``name``, ``version``, ``n_spectra``, ``n_pix``, ``grid``,
        ``size_bytes``."""
        return self._client.get_json(f"{API}/datasets/")["datasets"]

    def names(self) -> list[str]:
        return [info["name"] for info in self.list()]

    def __getitem__(self, name: str) -> RemoteDataset:
        dataset = RemoteDataset(self._client, name)
        dataset.info  # noqa: B018 - a dataset that does not exist is refused here
        return dataset

    def __repr__(self) -> str:
        return f"<datasets of {self._client.url}>"


class RemoteDataset:
    """One dataset of the user's; its arrays are fetched when asked for, row by row.

    Attributes
    ----------
    info : dict
        ``name``, ``version``, ``n_spectra``, ``n_pix``, ``grid``, ``columns`` (of the
        metadata table), ``size_bytes``.
    wave : ndarray, shape (n_pix,), float64
        The common wavelength grid, Angstrom (vacuum).
    meta : astropy.table.Table
        One row per spectrum (row i describes array row i): ``path``, ``object``, ``ra``...
    """

    def __init__(self, client: Client, name: str) -> None:
        self._client = client
        self.name = name
        self._base = f"{API}/datasets/{quote(name, safe='')}"

    def __repr__(self) -> str:
        return f"<dataset {self.name!r}>"

    def __len__(self) -> int:
        return int(self.info["n_spectra"])

    @cached_property
    def info(self) -> dict[str, Any]:
        return self._client.get_json(f"{self._base}/")

    @cached_property
    def wave(self) -> np.ndarray:
        return self._array("wave", None)

    @cached_property
    def meta(self) -> Table:
        return self.meta_rows(None)

    def meta_rows(self, rows: Rows) -> Table:
        """The metadata of ``rows`` only (a slice, row numbers, or None for all)."""
        from astropy.table import Table

        params = {"format": "fits", **_row_params(rows, len(self))}
        content = self._client.request("GET", f"{self._base}/meta", params=params).content
        return Table.read(io.BytesIO(content), format="fits")

    def flux(self, rows: Rows = None) -> np.ndarray:
        """Flux of ``rows``, shape (n_rows, n_pix), float32 (all rows if None)."""
        return self._array("flux", rows)

    def ivar(self, rows: Rows = None) -> np.ndarray:
        """Inverse variance of ``rows``, shape (n_rows, n_pix), float32, flux units**-2."""
        return self._array("ivar", rows)

    def mask(self, rows: Rows = None) -> np.ndarray:
        """Bad-pixel mask of ``rows``, shape (n_rows, n_pix), bool (True: bad)."""
        return self._array("mask", rows)

    def _array(self, which: str, rows: Rows) -> np.ndarray:
        params = {} if which == "wave" else _row_params(rows, len(self))
        if "rows" in params:  # a long list goes in parts: an address has a length limit
            numbers = params["rows"].split(",")
            parts = [
                self._fetch(which, {"rows": ",".join(numbers[i : i + ROWS_PER_REQUEST])})
                for i in range(0, len(numbers), ROWS_PER_REQUEST)
            ]
            array = np.concatenate(parts) if len(parts) != 1 else parts[0]
        else:
            array = self._fetch(which, params)
        return array[0] if isinstance(rows, int | np.integer) else array

    def _fetch(self, which: str, params: dict[str, Any]) -> np.ndarray:
        response = self._client.request("GET", f"{self._base}/arrays/{which}", params=params)
        return np.load(io.BytesIO(response.content), allow_pickle=False)


def _row_params(rows: Rows, n_rows: int) -> dict[str, Any]:
    """The query that asks for ``rows``: ``start``/``stop`` for a slice, ``rows`` otherwise."""
    if rows is None:
        return {}
    if isinstance(rows, int | np.integer):
        rows = [int(rows)]
    if isinstance(rows, slice):
        start, stop, step = rows.indices(n_rows)
        if step == 1:
            return {"start": start, "stop": max(start, stop)}
        rows = list(range(start, stop, step))
    chosen = [int(r) for r in np.asarray(rows).ravel()]
    if any(r < 0 for r in chosen):
        chosen = [r + n_rows if r < 0 else r for r in chosen]
    if any(r < 0 or r >= n_rows for r in chosen):
        raise VocloudError(f"A row number is outside 0..{n_rows - 1}.")
    return {"rows": ",".join(map(str, chosen))}
