"""Shared pieces of the security suite: real spectra and an uploaded-file stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "spectra"
REAL_FITS = sorted(DATA.glob("*/*.fits"))


class Bytes:
    """Bytes as the file manager hands an upload to ``services.storage.intake``."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def chunks(self) -> Iterator[bytes]:
        for start in range(0, max(1, len(self.data)), 4096):
            yield self.data[start : start + 4096]
