"""Check a fetched file is a spectrum, de-duplicate it by content hash and store it."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from services.ingest.report import Row
from services.spectra import Spectrum, SpectrumReadError, read_spectrum
from services.storage.index import ContentIndex, Entry, sha256_file
from services.storage.paths import relative_to, unique_path
from services.storage.quota import QuotaExceeded

# admit(n_bytes, action): a context in which n_bytes may be written into the user's space
Admit = Callable[[int, str], AbstractContextManager]


def _admit_all(n_bytes: int, action: str) -> AbstractContextManager:
    return contextlib.nullcontext()


def _describe(spectrum: Spectrum, source: str) -> Row:
    meta = spectrum.meta
    return Row(
        source,
        format=meta.format or "",
        object=meta.object_name or "",
        ra=float("nan") if meta.ra is None else float(meta.ra),
        dec=float("nan") if meta.dec is None else float(meta.dec),
        n_pix=int(spectrum.wave.size),
    )


def store_file(
    staged: Path,
    source: str,
    folder: Path,
    files_root: Path,
    index: ContentIndex,
    admit: Admit = _admit_all,
) -> Row:
    """Read ``staged`` as a spectrum; move it into ``folder`` unless its bytes are known.

    Parameters
    ----------
    staged : Path
        The downloaded or extracted file (in the job's work directory); it is moved or
        deleted, never left behind.
    source : str
        Where it came from, for the report and the index.
    folder : Path
        Destination folder inside the user's ``files/``.
    files_root : Path
        The user's ``files/`` (report paths are relative to it).
    index : ContentIndex
        The user's content index: a known SHA-256 makes the item ``skipped``.
    admit : callable
        ``admit(n_bytes, action)``: the context in which the file is moved in, refusing it
        (``QuotaExceeded``) when it does not fit the owner's quota.
    """
    try:
        spectrum = read_spectrum(staged)
    except SpectrumReadError as exc:
        staged.unlink(missing_ok=True)
        return Row(source, reason=f"not a readable spectrum: {exc.reason}")
    row = _describe(spectrum, source)
    row.sha256 = sha256_file(staged)
    known = index.find(row.sha256)
    if known is not None and (files_root / known.path).is_file():
        staged.unlink(missing_ok=True)
        row.status, row.path, row.reason = "skipped", known.path, "already stored"
        return row
    if known is not None:  # its file was deleted behind the index's back
        index.forget_paths(known.path)
    try:
        with admit(staged.stat().st_size, "Ingest"):
            folder.mkdir(parents=True, exist_ok=True)
            target = unique_path(folder / staged.name)
            shutil.move(staged, target)
    except QuotaExceeded as exc:
        staged.unlink(missing_ok=True)
        row.reason = str(exc)
        return row
    row.path = relative_to(files_root, target)
    entry = Entry(row.sha256, row.path, target.stat().st_size, row.format, source)
    if not index.add(entry):  # another job stored the same bytes meanwhile
        target.unlink(missing_ok=True)
        row.status, row.path, row.reason = "skipped", index.find(row.sha256).path, "already stored"
        return row
    row.status = "ok"
    return row
