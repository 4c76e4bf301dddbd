"""Candidates: the spectra predicted in a class of interest, most confident first."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from services.jobs import JobFailure, Result
from services.learning.votable import write_table


def write_candidates(table: dict[str, np.ndarray], wanted: str, results: Path) -> Result:
    """Write ``candidates.vot``: the rows of ``table`` predicted as ``wanted``.

    ``table`` holds per-spectrum columns, among them ``predicted`` and ``confidence``;
    every column is kept. Raises JobFailure when there are no class predictions or no
    spectrum is predicted in that class.
    """
    if "predicted" not in table:
        raise JobFailure("a candidates list needs a classification model")
    chosen = np.flatnonzero(table["predicted"] == wanted)
    if chosen.size == 0:
        raise JobFailure(f"no spectrum is predicted as {wanted!r}")
    chosen = chosen[np.argsort(-np.asarray(table["confidence"])[chosen], kind="stable")]
    write_table(
        {name: np.asarray(values)[chosen] for name, values in table.items()},
        results / "candidates.vot",
        f"spectra predicted as {wanted}, most confident first",
    )
    return Result("candidates", "candidates.vot", "application/x-votable+xml")
