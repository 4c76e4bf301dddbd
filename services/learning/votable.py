"""Per-spectrum tables as VOTable results (readable by TOPCAT and pyvo's fetch_result)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.table import Table


def write_table(columns: dict[str, np.ndarray | list], path: Path, description: str) -> None:
    table = Table(columns)
    table.meta["description"] = description
    table.write(path, format="votable", overwrite=True)
