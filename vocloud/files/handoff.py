"""What a SAMP tool needs to load a user's files: a signed URL, a name and metadata.

The file manager's "Send to TOPCAT" and "Send to SPLAT" ask for this, then broadcast
``table.load.votable`` (VOTables) or ``spectrum.load.ssa-generic`` (FITS spectra) from the
browser with static/js/samp-bridge.js.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lxml import etree

from services.spectra import SpectrumReadError, read_spectrum
from services.storage import manager as storage
from services.storage.preview import preview_kind
from vocloud.files import links, operations

MAX_FILES = 200
PURPOSES = {"table": "votable", "spectrum": "fits"}  # what is sent -> the file kind it needs
_NOT_FIT = {"table": "not a VOTable", "spectrum": "not a FITS spectrum"}


def samp_files(
    user, relatives: list[str], purpose: str, absolute: Callable[[str], str]
) -> dict[str, list[dict]]:
    """Signed links and SAMP metadata for ``user``'s files among ``relatives``.

    ``purpose`` is ``"table"`` (VOTables, for TOPCAT) or ``"spectrum"`` (FITS spectra,
    for SPLAT); ``absolute`` turns a URL path into an absolute URL. Returns
    ``{"files": [...], "skipped": [{"path", "reason"}]}``: folders and files of another
    kind are skipped. Raises NoSuchPath or PathEscape for a path that is not the user's,
    StorageError for a request the user should change.
    """
    if purpose not in PURPOSES:
        raise storage.StorageError(f"Unknown purpose {purpose!r}: 'table' or 'spectrum'.")
    if not relatives:
        raise storage.StorageError("Choose files to send first.")
    if len(relatives) > MAX_FILES:
        raise storage.StorageError(f"Send at most {MAX_FILES} files at a time.")
    space = operations.space_for(user)
    files, skipped = [], []
    for relative in relatives:
        path = storage.existing(space, relative)
        current = storage.relative_path(space, path)
        if path.is_dir():
            skipped.append({"path": current, "reason": "a folder"})
        elif preview_kind(path) != PURPOSES[purpose]:
            skipped.append({"path": current, "reason": _NOT_FIT[purpose]})
        else:
            url = absolute(links.signed_file_path(user, current))
            described = _table(path, current) if purpose == "table" else _spectrum(path, url)
            files.append({"path": current, "name": path.name, "url": url, **described})
    return {"files": files, "skipped": skipped}


def _table(path: Path, current: str) -> dict:
    # A stable id: TOPCAT quotes it back in the row selections it sends about this table.
    return {"table": {"name": votable_name(path), "table_id": f"vocloud:files/{current}"}}


def _spectrum(path: Path, url: str) -> dict:
    meta = {
        "Access.Reference": url,
        "Access.Format": links.media_type(path),
        "Target.Name": target_name(path),
    }
    return {"spectrum": {"name": path.name, "meta": meta}}


def target_name(path: Path) -> str:
    """The object a spectrum file observed, as its reader finds it; else the file name."""
    try:
        return read_spectrum(path).meta.object_name or path.name
    except SpectrumReadError:
        return path.name


def votable_name(path: Path) -> str:
    """The name of a VOTable's first TABLE (or RESOURCE); else the file name.

    Reads only up to that element: a large table is not parsed to name it.
    """
    names: dict[str, str] = {}
    with path.open("rb") as handle:  # lxml would leave a file it opened open on a break
        try:
            for _event, element in etree.iterparse(
                handle, events=("start",), resolve_entities=False, no_network=True
            ):
                tag = etree.QName(element).localname
                if tag in ("RESOURCE", "TABLE") and element.get("name"):
                    names.setdefault(tag, element.get("name"))
                if tag == "TABLE":
                    break
        except etree.XMLSyntaxError:
            pass
    return names.get("TABLE") or names.get("RESOURCE") or path.name
