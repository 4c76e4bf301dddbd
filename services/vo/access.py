"""Find the column of a VOTable that holds the access URLs of datasets."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import requests
from astropy.io.votable import parse
from astropy.io.votable.tree import Field, TableElement

from services.fetch import FetchError, fetch_document
from services.vo.errors import ServiceError, VOError

DATALINK_MIME = "application/x-votable+xml;content=datalink"
_URL_NAMES = ("access_url", "accessurl", "access_reference", "accref", "acref", "url", "link")
_FORMAT_NAMES = ("access_format", "accessformat", "content_type", "format", "mime")


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
    """

    url: str
    format: str = ""
    title: str = ""

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


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = "" if value is None else str(value).strip()
    return "" if text in ("--", "None") else text


def access_rows(table: TableElement) -> list[AccessRow]:
    """The datasets of a parsed table (rows without a URL are left out)."""
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
    rows = []
    array = table.array
    for index in range(len(array)):
        url = _text(array[url_field.name][index])
        if not url:
            continue
        fmt = _text(array[format_field.name][index]) if format_field else ""
        title = _text(array[title_field.name][index]) if title_field else ""
        rows.append(AccessRow(url, fmt, title))
    return rows


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
