"""DataLink 1.1 documents: pick the dataset (``#this``) or a SODA cut-out of it.

pyvo parses the document (:class:`pyvo.dal.adhoc.DatalinkResults`); cells are read as
plain columns (semantics matched literally, so pyvo never downloads the DataLink
vocabulary, and pyvo's ``access_url`` property, which raises on an error row, is not
used). A row with an ``error_message`` (DaCHS answers "NotFoundFault: ..." for an
unknown ID) fails its dataset only. A cut-out is made only through a service descriptor
that declares itself SODA sync (``standardID ivo://ivoa.net/std/SODA#sync``), and is
marked as such from that, whatever the service's URL looks like.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from pyvo.dal import DALServiceError
from pyvo.dal.adhoc import DatalinkResults
from pyvo.dal.exceptions import DALAccessError, DALQueryError

from services.fetch import FetchError, fetch_document
from services.vo.access import cell_text, parse_votable_bytes
from services.vo.errors import VOError

SODA_SYNC_IVOID = "ivo://ivoa.net/std/soda#sync"
MAX_MESSAGE_CHARS = 300  # of a service's error message, in a report


@dataclass(frozen=True)
class Cutout:
    """A SODA cut-out request.

    Parameters
    ----------
    band_m : (float, float), optional
        Spectral interval in metres (SODA ``BAND=lo hi``).
    circle_deg : (float, float, float), optional
        RA, Dec and radius in degrees (SODA ``POS=CIRCLE ra dec r``), sent only where
        the service offers ``POS``.
    """

    band_m: tuple[float, float] | None = None
    circle_deg: tuple[float, float, float] | None = None

    def __bool__(self) -> bool:
        return self.band_m is not None or self.circle_deg is not None


@dataclass(frozen=True)
class Link:
    """What one dataset of a DataLink document resolved to.

    Parameters
    ----------
    id : str
        The dataset identifier (``ID`` column).
    url : str
        URL to download (the ``#this`` link or a SODA request); ``""`` on failure.
    error : str
        The document's ``error_message`` or why nothing could be chosen.
    note : str
        Remarks for the report (e.g. "no SODA service: the whole dataset", or how a
        cut-out was made).
    cutout : bool
        The URL is a request to the dataset's SODA service (a cut-out), not the dataset.
    """

    id: str
    url: str = ""
    error: str = ""
    note: str = ""
    cutout: bool = False


def is_datalink_document(data: bytes) -> bool:
    """A quick look: does this VOTable carry the DataLink ``access_url``/``semantics`` columns?"""
    head = data[:20000].lower()
    return b"<votable" in head and b"semantics" in head and b"access_url" in head


def parse_datalink(data: bytes, source: str) -> DatalinkResults:
    """Parse a DataLink document; raise :class:`VOError` naming ``source`` if it is not one."""
    votable = parse_votable_bytes(data, source)
    try:
        return DatalinkResults(votable, url=source)
    except DALQueryError as exc:  # QUERY_STATUS=ERROR: the service's own words
        reason = service_message(str(exc.reason or exc))
        raise VOError(f"the DataLink service reported an error: {reason}") from None
    except (DALAccessError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise VOError(f"{source}: not a DataLink document ({service_message(str(exc))})") from None


def fetch_datalink(url: str, session: requests.Session) -> DatalinkResults:
    """Download and parse a DataLink document (under the session's fetch policy)."""
    try:
        data = fetch_document(session, url).content
    except FetchError as exc:
        raise VOError(f"DataLink {url}: {exc}") from None
    return parse_datalink(data, url)


def resolve(links: DatalinkResults, cutout: Cutout | None = None) -> list[Link]:
    """One :class:`Link` per dataset ``ID`` of the document; never raises.

    With a ``cutout``, a SODA sync service descriptor of the dataset is used when there
    is one; otherwise (or without a cutout) the ``#this`` link. A dataset whose rows
    carry an ``error_message`` and no usable ``#this`` link becomes a failure with the
    service's message (cleaned: one line, at most :data:`MAX_MESSAGE_CHARS`).
    """
    by_id: dict[str, list] = {}
    for record in links:
        by_id.setdefault(_get(record, "ID"), []).append(record)
    return [_choose(links, dataset, records, cutout) for dataset, records in by_id.items()]


def service_message(text: str) -> str:
    """A remote service's message as report text: printable, one line, capped."""
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return line if len(line) <= MAX_MESSAGE_CHARS else line[: MAX_MESSAGE_CHARS - 3] + "..."


def _get(record, name: str) -> str:
    """A cell as text ("" when the column is missing or empty); pyvo's properties are not
    used (``access_url`` raises on an error row)."""
    try:
        return cell_text(record.get(name))
    except (KeyError, IndexError):
        return ""


def _choose(links: DatalinkResults, dataset: str, records: list, cutout: Cutout | None) -> Link:
    errors = [_get(r, "error_message") for r in records if _get(r, "error_message")]
    this = [
        r
        for r in records
        if _get(r, "semantics") == "#this"
        and _get(r, "access_url")
        and not _get(r, "error_message")
    ]
    if cutout:
        for record in records:
            if _get(record, "service_def") and not _get(record, "error_message"):
                made = _soda_url(links, record, cutout)
                if made is not None:
                    url, how = made
                    return Link(dataset, url=url, note=how, cutout=True)
        if this:
            note = "no SODA service for this dataset: the whole dataset was taken"
            return Link(dataset, url=_get(this[0], "access_url"), note=note)
    if this:
        return Link(dataset, url=_get(this[0], "access_url"))
    error = "; ".join(dict.fromkeys(errors)) or "the DataLink document has no #this link"
    return Link(dataset, error=service_message(error))


def _soda_url(links: DatalinkResults, record, cutout: Cutout) -> tuple[str, str] | None:
    """The SODA sync request for ``record``'s service descriptor and how it was made, or
    None when the descriptor is not a SODA sync service able to make this cut-out."""
    service_def = _get(record, "service_def")
    try:
        resource = links.get_adhocservice_by_id(service_def)
    except DALServiceError:
        return None
    params = {p.name: p for p in resource.params}
    standard = cell_text(params["standardID"].value) if "standardID" in params else ""
    semantics = _get(record, "semantics") or "no semantics"
    if standard:
        if not standard.lower().startswith(SODA_SYNC_IVOID):
            return None  # another standard (async SODA, a DataLink service, ...)
        kind = "SODA cut-out"
    elif semantics in ("#proc", "#cutout"):
        kind = "cut-out by a service that does not declare a standardID"
    else:
        return None
    access = cell_text(params["accessURL"].value) if "accessURL" in params else ""
    inputs = {
        p.name.upper(): p
        for group in resource.groups
        for p in group.entries
        if group.name == "inputParams" and getattr(p, "name", None)
    }
    if not access.lower().startswith(("http://", "https://")) or "ID" not in inputs:
        return None
    query: dict[str, str] = {"ID": _param_value(inputs["ID"], record)}
    asked = []
    if cutout.band_m is not None:
        if "BAND" not in inputs:
            return None
        query["BAND"] = " ".join(repr(float(v)) for v in cutout.band_m)
        asked.append(f"BAND {cutout.band_m[0]:g} to {cutout.band_m[1]:g} m")
    if cutout.circle_deg is not None and "POS" in inputs:
        query["POS"] = "CIRCLE " + " ".join(repr(float(v)) for v in cutout.circle_deg)
        asked.append("POS CIRCLE " + " ".join(f"{v:g}" for v in cutout.circle_deg))
    try:
        url = requests.Request("GET", access, params=query).prepare().url or ""
    except (requests.RequestException, ValueError):
        return None  # an accessURL no request can be made of
    used = (
        f"service descriptor {service_message(service_def)[:60]}, {service_message(semantics)[:40]}"
    )
    return url, f"{kind} ({', '.join(asked)}; {used})"


def _param_value(param, record) -> str:
    if param.ref:
        try:
            return cell_text(record[param.ref])
        except KeyError:
            pass
    value = cell_text(param.value)
    return value if value else _get(record, "ID")
