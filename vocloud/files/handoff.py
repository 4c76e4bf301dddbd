"""What a SAMP tool needs to load a user's files: a signed URL, a name and metadata.

The file manager's "Send to TOPCAT" and "Send to SPLAT" ask for this, then call
``table.load.votable`` / ``table.load.fits`` (tables) or ``spectrum.load.ssa-generic``
(spectra) from the browser with static/js/samp-bridge.js.

What goes where:

- a table: any VOTable, and a FITS file with a table extension (TOPCAT loads the first
  one). A FITS image (a 1-D spectrum in the primary HDU, say) is not a table, nor is a
  tile-compressed image (``.fz``), although FITS stores it as a BINTABLE.
- a spectrum: any FITS file (SPLAT says itself when it cannot read one), and a VOTable
  that follows the IVOA Spectrum data model (SDM): an SDM utype, or a spectral-axis and a
  flux FIELD by UCD, before its data.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Callable
from pathlib import Path

from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning
from lxml import etree

from services.spectra import SpectrumReadError, read_spectrum
from services.storage import manager as storage
from services.storage.preview import MAX_HDUS, preview_kind
from vocloud.files import links, operations

MAX_FILES = 200
PURPOSES = ("table", "spectrum")
_NOT_FIT = {"table": "not a VOTable or FITS table", "spectrum": "not a FITS or VOTable spectrum"}
# An SDM spectrum's data FIELDs (spec:Spectrum.Data.SpectralAxis.Value, spec2:Data....);
# an SSA query response (a table *of* spectra) has ssa:Char.SpectralAxis... instead.
_SDM_UTYPES = ("data.spectralaxis", "data.fluxaxis")
# Or, without utypes, the two axes by UCD: "em.wl" (not "em.wl;stat.min", a bound)...
_SPECTRAL_UCDS = {"em.wl", "em.freq", "em.energy", "em.wavenumber"}
_SPECTRAL_QUALIFIERS = {"meta.main", "obs.atmos"}
# ... and "phot.flux.density;em.wl" or "phot.count".
_FLUX_UCDS = ("phot.flux", "phot.count")
_FLUX_QUALIFIERS = {"meta.main", "em.wl", "em.freq", "em.energy"}


def samp_files(
    user, relatives: list[str], purpose: str, absolute: Callable[[str], str]
) -> dict[str, list[dict]]:
    """Signed links and SAMP metadata for ``user``'s files among ``relatives``.

    ``purpose`` is ``"table"`` (VOTables and FITS tables, for TOPCAT) or ``"spectrum"``
    (FITS and SDM VOTable spectra, for SPLAT); ``absolute`` turns a URL path into an
    absolute URL. Returns ``{"files": [...], "skipped": [{"path", "reason"}]}``: folders
    and files of another kind are skipped. Raises NoSuchPath or PathEscape for a path that
    is not the user's, StorageError for a request the user should change.
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
            continue
        described = _table(path, current) if purpose == "table" else _spectrum(path)
        if described is None:
            skipped.append({"path": current, "reason": _NOT_FIT[purpose]})
            continue
        url = absolute(links.signed_file_path(user, current))
        if purpose == "spectrum":
            spectrum = described["spectrum"]
            spectrum["meta"] = {"Access.Reference": url, **spectrum["meta"]}
        files.append({"path": current, "name": path.name, "url": url, **described})
    return {"files": files, "skipped": skipped}


def file_purposes(user, relative: str) -> list[str]:
    """What ``user``'s file can be sent as: a sublist of :data:`PURPOSES` (the file view's
    buttons). Raises NoSuchPath or PathEscape as the file manager does."""
    path = operations.file_path(user, relative)
    kind = preview_kind(path)
    found = []
    if kind == "votable" or (kind == "fits" and fits_table_name(path) is not None):
        found.append("table")
    if kind == "fits" or (kind == "votable" and _votable_head(path)[1]):
        found.append("spectrum")
    return found


def _table(path: Path, current: str) -> dict | None:
    kind = preview_kind(path)
    if kind == "votable":
        name = votable_name(path)
    elif kind == "fits":
        name = fits_table_name(path)
        if name is None:
            return None
    else:
        return None
    # A new id on every send: TOPCAT refuses a table-id it has loaded already ("Duplicate
    # table-id"), so a second send of the same file would be dropped.
    table_id = f"vocloud:files/{current}:{secrets.token_hex(4)}"
    return {"table": {"name": name, "table_id": table_id, "format": kind}}


def _spectrum(path: Path) -> dict | None:
    kind = preview_kind(path)
    if kind not in ("fits", "votable") or (kind == "votable" and not _votable_head(path)[1]):
        return None
    meta = {"Access.Format": links.media_type(path), "Target.Name": target_name(path)}
    return {"spectrum": {"name": path.name, "meta": meta}}


def target_name(path: Path) -> str:
    """The object a spectrum file observed, as its reader finds it; else the file name."""
    try:
        return read_spectrum(path).meta.object_name or path.name
    except SpectrumReadError:
        return path.name


def fits_table_name(path: Path) -> str | None:
    """The name TOPCAT gives a FITS file's first table extension (its EXTNAME, else the
    file name); None when the file has no table (an image, a compressed image) or is not
    FITS that astropy reads. Reads headers only, up to MAX_HDUS of them."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            with open(path, "rb") as fh, fits.open(fh, memmap=False, lazy_load_hdus=True) as hdus:
                for index, hdu in enumerate(hdus):
                    if index >= MAX_HDUS:
                        break
                    if isinstance(hdu, fits.BinTableHDU | fits.TableHDU) and not isinstance(
                        hdu, fits.CompImageHDU
                    ):
                        return str(hdu.header.get("EXTNAME") or "").strip() or path.name
    except (OSError, ValueError, IndexError, KeyError):
        return None
    return None


def votable_name(path: Path) -> str:
    """The name of a VOTable's first TABLE (or RESOURCE); else the file name.

    Reads only up to that table's data: a large table is not parsed to name it.
    """
    return _votable_head(path)[0]


def _votable_head(path: Path) -> tuple[str, bool]:
    """(name, looks like an SDM spectrum) from the elements before the first DATA."""
    names: dict[str, str] = {}
    utypes: list[str] = []
    ucds: list[list[str]] = []  # each FIELD's UCD words
    with path.open("rb") as handle:  # lxml would leave a file it opened open on a break
        try:
            for _event, element in etree.iterparse(
                handle, events=("start",), resolve_entities=False, no_network=True
            ):
                tag = etree.QName(element).localname
                if tag in ("RESOURCE", "TABLE") and element.get("name"):
                    names.setdefault(tag, element.get("name"))
                if tag == "DATA":
                    break
                if tag == "FIELD":
                    utypes.append((element.get("utype") or "").lower())
                    ucds.append((element.get("ucd") or "").lower().replace(" ", "").split(";"))
        except etree.XMLSyntaxError:
            pass
    sdm = any(word in utype for utype in utypes for word in _SDM_UTYPES) or (
        any(w[0] in _SPECTRAL_UCDS and set(w[1:]) <= _SPECTRAL_QUALIFIERS for w in ucds)
        and any(w[0].startswith(_FLUX_UCDS) and set(w[1:]) <= _FLUX_QUALIFIERS for w in ucds)
    )
    return names.get("TABLE") or names.get("RESOURCE") or path.name, sdm
