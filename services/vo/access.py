"""Find the column of a VOTable that holds the access URLs of datasets."""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import requests
from astropy.io.votable import parse
from astropy.io.votable.tree import Field, TableElement

from services.fetch import FetchError, fetch_document
from services.vo.errors import ServiceError, VOError

DATALINK_MIME = "application/x-votable+xml;content=datalink"
_URL_NAMES = ("access_url", "accessurl", "access_reference", "accref", "acref", "url", "link")
_FORMAT_NAMES = ("access_format", "accessformat", "content_type", "format", "mime")
_DID_NAMES = ("ssa_pubdid", "pubdid", "publisher_did", "obs_publisher_did", "creatordid")
_POS_NAMES = ("ssa_location", "location", "pos", "position")
MAX_DID_CHARS = 500  # a longer "identifier" is not one: the row gets none


@dataclass(frozen=True)
class AccessRow:
    """One dataset of a VOTable: its access URL and what the table says about it.

    Parameters
    ----------
    url : str
        The access reference.
    format : str
        Its media type when the table gives one (``Access.Format``), else ``""``.
    title : str
        A name for reports (``DataID.Title``, ``Target.Name`` or ``""``).
    pubdid : str
        The publisher's dataset identifier (``Curation.PublisherDID``) or ``""``.
    ra, dec : float
        The row's position in degrees (ICRS), NaN when the table gives none.
    index : int
        The row's index in the table (rows without a URL are left out of the list).
    """

    url: str
    format: str = ""
    title: str = ""
    pubdid: str = ""
    ra: float = math.nan
    dec: float = math.nan
    index: int = -1

    @property
    def is_datalink(self) -> bool:
        return is_datalink_type(self.format)


def is_datalink_type(content_type: str) -> bool:
    """True for ``application/x-votable+xml;content=datalink`` (spaces and case ignored)."""
    text = content_type.replace(" ", "").lower()
    return "content=datalink" in text


def _utype_is(field: Field, name: str) -> bool:
    utype = (field.utype or "").lower()
    return utype.rsplit(":", 1)[-1] == name.lower()


def _ucd_has(field: Field, ucd: str) -> bool:
    return ucd in [atom.strip().lower() for atom in (field.ucd or "").split(";")]


def _named(field: Field, names: tuple[str, ...]) -> bool:
    return (field.name or field.ID or "").lower().replace("-", "_") in names


def _find(table: TableElement, *tests) -> Field | None:
    for test in tests:
        for field in table.fields:
            if test(field):
                return field
    return None


def access_field(table: TableElement) -> Field:
    """The access-reference column: by utype, else UCD ``meta.ref.url``, else by name.

    The utype ``ssa:Access.Reference`` matches in any case and with any prefix (or none);
    names like ``access_url``, ``accref`` or ``url`` match in any case.

    Raises
    ------
    VOError
        If no column qualifies (the message lists the columns).
    """
    found = _find(
        table,
        lambda f: _utype_is(f, "access.reference"),
        lambda f: _ucd_has(f, "meta.ref.url") or _ucd_has(f, "vox:image_accessreference"),
        lambda f: _named(f, _URL_NAMES),
    )
    if found is None:
        names = ", ".join(f.name for f in table.fields) or "none"
        raise VOError(
            "no access-reference column in the VOTable (looked for utype "
            "ssa:Access.Reference, UCD meta.ref.url or a column named like access_url, "
            f"accref or url; columns: {names})"
        )
    return found


def cell_text(value: object) -> str:
    """A table cell as stripped text ("" for empty, masked or null)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = "" if value is None else str(value).strip()
    return "" if text in ("--", "None") else text


def access_rows(table: TableElement) -> list[AccessRow]:
    """The datasets of a parsed table (rows without a URL are left out).

    Besides the URL: the format, a title, the publisher DID (utype
    ``Curation.PublisherDID``, UCD ``meta.ref.ivoid`` or a column named like
    ``ssa_pubDID``) and the position (``SpatialAxis.Coverage.Location.Value`` or
    ``pos.eq`` as ``[ra, dec]``, else ``pos.eq.ra``/``pos.eq.dec`` columns).
    """
    url_field = access_field(table)
    format_field = _find(
        table,
        lambda f: _utype_is(f, "access.format"),
        lambda f: _ucd_has(f, "meta.code.mime"),
        lambda f: _named(f, _FORMAT_NAMES),
    )
    title_field = _find(
        table, lambda f: _utype_is(f, "dataid.title"), lambda f: _utype_is(f, "target.name")
    )
    did_field = _find(
        table,
        lambda f: _utype_is(f, "curation.publisherdid"),
        lambda f: _ucd_has(f, "meta.ref.ivoid") and not _ucd_has(f, "meta.ref.url"),
        lambda f: _named(f, _DID_NAMES),
    )
    rows = []
    array = table.array
    position = _positions(table)
    for index in range(len(array)):
        url = cell_text(array[url_field.name][index])
        if not url:
            continue
        fmt = cell_text(array[format_field.name][index]) if format_field else ""
        title = cell_text(array[title_field.name][index]) if title_field else ""
        did = cell_text(array[did_field.name][index]) if did_field else ""
        did = did if len(did) <= MAX_DID_CHARS and did.isprintable() else ""
        rows.append(AccessRow(url, fmt, title, did, *position(index), index=index))
    return rows


def _positions(table: TableElement):
    """A function ``index -> (ra, dec)`` in degrees (NaN where the row has no position)."""
    point = _find(
        table,
        lambda f: _utype_is(f, "char.spatialaxis.coverage.location.value"),
        lambda f: _ucd_has(f, "pos.eq"),
        lambda f: _named(f, _POS_NAMES),
    )
    ra = _find(table, lambda f: _ucd_has(f, "pos.eq.ra"), lambda f: _named(f, ("ra", "s_ra")))
    dec = _find(table, lambda f: _ucd_has(f, "pos.eq.dec"), lambda f: _named(f, ("dec", "s_dec")))
    array = table.array

    def position(index: int) -> tuple[float, float]:
        if point is not None:
            found = _point(array[point.name][index])
            if found is not None:
                return found
        if ra is not None and dec is not None:
            found = _point([array[ra.name][index], array[dec.name][index]])
            if found is not None:
                return found
        return math.nan, math.nan

    return position


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _point(value: object) -> tuple[float, float] | None:
    """``(ra, dec)`` from a 2-array cell or a text like ``"ICRS 10.5 -3.2"``; None if unusable."""
    if isinstance(value, bytes | str):
        numbers = _NUMBER.findall(cell_text(value))[-2:]
    else:
        try:
            numbers = list(np.ma.filled(np.ma.asarray(value, dtype=float), np.nan).reshape(-1))
        except (TypeError, ValueError):
            return None
    if len(numbers) != 2:
        return None
    ra, dec = (float(v) for v in numbers)
    if not (math.isfinite(ra) and math.isfinite(dec) and -90 <= dec <= 90):
        return None
    return ra % 360.0, dec


def parse_votable_bytes(data: bytes, source: str):
    """Parse a VOTable document; raise :class:`VOError` naming ``source`` if it is not one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return parse(io.BytesIO(data), verify="ignore")
    except Exception as exc:  # astropy raises many types for malformed XML
        raise VOError(f"{source}: not a readable VOTable ({exc})") from None


def votable_access_rows(
    source: Path | str, session: requests.Session | None = None
) -> list[AccessRow]:
    """Access rows of the first table with an access column, in a file or at a URL.

    Parameters
    ----------
    source : Path or str
        A local VOTable file, or an http(s) URL to fetch one from.
    session : GuardedSession
        Used for URLs: the fetch policy (addresses, size cap, deadline) applies.

    Raises
    ------
    VOError
        If the document cannot be fetched or parsed, or has no access column.
    """
    if isinstance(source, Path):
        data, name = source.read_bytes(), source.name
    else:
        if session is None:
            raise ServiceError("no session to fetch the VOTable with")
        data, name = _fetch(source, session), source
    document = parse_votable_bytes(data, name)
    tables = list(document.iter_tables())
    if not tables:
        raise VOError(f"{name}: the VOTable holds no table")
    error: VOError | None = None
    for table in tables:
        try:
            return access_rows(table)
        except VOError as exc:
            error = error or exc
    raise VOError(f"{name}: {error}")


def _fetch(url: str, session: requests.Session) -> bytes:
    try:
        return fetch_document(session, url).content
    except FetchError as exc:
        raise ServiceError(f"{url}: {exc}") from None
