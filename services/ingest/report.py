"""The per-item report of an ingestion, written as a VOTable."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io.votable import from_table
from astropy.io.votable.tree import Info
from astropy.table import Table

from services.messages import summarise_failures

COLUMNS = (
    "source", "path", "status", "reason", "sha256", "format", "object", "ra", "dec", "n_pix",
    "guesses",
)  # fmt: skip


@dataclass
class Row:
    """One line of the report.

    Parameters
    ----------
    source : str
        URL, upload or archive member the spectrum came from.
    path : str
        Where it is stored, relative to the user's ``files/`` ("" when failed).
    status : str
        ``"ok"`` (stored), ``"skipped"`` (already in the user's storage: the same dataset
        identifier, spectrum or file) or ``"failed"``.
    reason : str
        Why it failed or was skipped, or a remark.
    ra, dec : float
        Position in degrees (NaN when unknown).
    n_pix : int
        Number of pixels (0 when failed).
    guesses : str
        What the reader guessed instead of reading it from the file (a wavelength unit by
        the plausibility rule...), "; "-separated; "" when nothing was guessed.
    """

    source: str
    path: str = ""
    status: str = "failed"
    reason: str = ""
    sha256: str = ""
    format: str = ""
    object: str = ""
    ra: float = math.nan
    dec: float = math.nan
    n_pix: int = 0
    guesses: str = ""


def counts(rows: list[Row]) -> dict[str, int]:
    """Rows per status."""
    return {status: sum(r.status == status for r in rows) for status in ("ok", "skipped", "failed")}


def failure_summary(rows: list[Row]) -> str:
    """The one line a job whose every item failed ends with: counts, commonest reasons."""
    reasons = summarise_failures([(r.source, r.reason) for r in rows])
    return f"nothing was ingested: all {len(rows)} items failed: {reasons}"


def write_report(
    rows: list[Row], path: Path, notes: list[str], extra_counts: dict[str, int] | None = None
) -> Path:
    """Write ``rows`` as a VOTable at ``path``; counts and ``notes`` become INFO elements.

    ``extra_counts`` are further INFOs (e.g. ``n_outside_cone``: SSAP rows left out).
    """
    table = Table(
        {
            name: np.array(
                [getattr(r, name) for r in rows],
                dtype={"ra": float, "dec": float, "n_pix": np.int32}.get(name, str),
            )
            for name in COLUMNS
        }
    )
    table["ra"].unit = table["dec"].unit = "deg"
    n = counts(rows)
    table.meta["description"] = (
        f"vocloud ingestion report: {n['ok']} stored, {n['skipped']} skipped, {n['failed']} failed"
    )
    votable = from_table(table)
    resource = votable.resources[0]
    for status, number in n.items():
        resource.infos.append(Info(name=f"n_{status}", value=str(number)))
    for name, number in (extra_counts or {}).items():
        resource.infos.append(Info(name=name, value=str(number)))
    for note in notes:
        resource.infos.append(Info(name="note", value=note))
    path.parent.mkdir(parents=True, exist_ok=True)
    votable.to_xml(str(path))
    return path
