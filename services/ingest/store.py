"""Check a fetched file is a spectrum, de-duplicate it by what it is, and store it.

A spectrum is a duplicate when the user's index knows its identity (the publisher's
dataset identifier), its content (the spectrum as read) or its bytes; see
:mod:`services.ingest.identity`.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from services.ingest.identity import content_key
from services.ingest.report import Row
from services.spectra import Spectrum, SpectrumReadError, read_spectrum
from services.storage.index import MATCHED_BY, ContentIndex, Entry, sha256_file
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
        guesses="; ".join(meta.guesses),
    )


def store_file(
    staged: Path,
    source: str,
    folder: Path,
    files_root: Path,
    index: ContentIndex,
    admit: Admit = _admit_all,
    identity: str = "",
    name: str = "",
) -> Row:
    """Read ``staged`` as a spectrum; move it into ``folder`` unless it is already stored.

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
        The user's index: a known identity, content key or SHA-256 makes the item
        ``skipped`` ("already in your storage").
    admit : callable
        ``admit(n_bytes, action)``: the context in which the file is moved in, refusing it
        (``QuotaExceeded``) when it does not fit the owner's quota.
    identity : str
        The dataset's identity from the service (:func:`~services.ingest.identity.record_identity`),
        ``""`` if none.
    name : str
        A safe file name to store it under instead of the downloaded one (a cut-out's).
    """
    try:
        spectrum = read_spectrum(staged)
    except SpectrumReadError as exc:
        staged.unlink(missing_ok=True)
        return Row(source, reason=f"not a readable spectrum: {exc.reason}")
    row = _describe(spectrum, source)
    row.sha256 = sha256_file(staged)
    content = content_key(spectrum)
    if _already_stored(row, index, files_root, identity, content):
        staged.unlink(missing_ok=True)
        return row
    try:
        with admit(staged.stat().st_size, "Ingest"):
            folder.mkdir(parents=True, exist_ok=True)
            target = unique_path(folder / (name or staged.name))
            shutil.move(staged, target)
    except QuotaExceeded as exc:
        staged.unlink(missing_ok=True)
        row.reason = str(exc)
        return row
    row.path = relative_to(files_root, target)
    size = target.stat().st_size
    entry = Entry(row.sha256, row.path, size, row.format, source, identity, content)
    for _attempt in range(2):  # the second after forgetting entries of deleted files
        if index.add(entry):
            row.status = "ok"
            return row
        if _already_stored(row, index, files_root, identity, content):
            target.unlink(missing_ok=True)  # another job stored the same spectrum meanwhile
            return row
    target.unlink(missing_ok=True)
    row.path, row.reason = "", "not stored: the storage index refused it, try again"
    return row


def _already_stored(
    row: Row, index: ContentIndex, files_root: Path, identity: str, content: str
) -> bool:
    """Mark ``row`` skipped if the index knows the spectrum and its file is still there
    (entries of files deleted behind the index's back are forgotten)."""
    while (known := index.find_known(identity, content, row.sha256)) is not None:
        entry, matched = known
        if (files_root / entry.path).is_file():
            row.status, row.path = "skipped", entry.path
            row.reason = f"already in your storage ({MATCHED_BY[matched]})"
            return True
        if index.forget_paths(entry.path) == 0:
            return False  # nothing to forget: do not loop
    return False
