"""DataLink 1.1 documents: pick the dataset (``#this``) or a SODA cut-out of it.

pyvo parses the document (:class:`pyvo.dal.adhoc.DatalinkResults`); semantics are
matched literally (``include_narrower=False``) so that pyvo never downloads the DataLink
vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from pyvo.dal import DALServiceError
from pyvo.dal.adhoc import DatalinkResults

from services.fetch import FetchError, fetch_document
from services.vo.access import parse_votable_bytes
from services.vo.errors import VOError

SODA_SYNC_IVOID = "ivo://ivoa.net/std/soda#sync"


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
        Remarks for the report (e.g. "no SODA service: the whole dataset").
    """

    id: str
    url: str = ""
    error: str = ""
    note: str = ""


def is_datalink_document(data: bytes) -> bool:
    """A quick look: does this VOTable carry the DataLink ``access_url``/``semantics`` columns?"""
    head = data[:20000].lower()
    return b"<votable" in head and b"semantics" in head and b"access_url" in head


def parse_datalink(data: bytes, source: str) -> DatalinkResults:
    """Parse a DataLink document; raise :class:`VOError` naming ``source`` if it is not one."""
    votable = parse_votable_bytes(data, source)
    try:
        return DatalinkResults(votable, url=source)
    except (DALServiceError, ValueError, KeyError) as exc:
        raise VOError(f"{source}: not a DataLink document ({exc})") from None


def fetch_datalink(url: str, session: requests.Session) -> DatalinkResults:
    """Download and parse a DataLink document (under the session's fetch policy)."""
    try:
        data = fetch_document(session, url).content
    except FetchError as exc:
        raise VOError(f"DataLink {url}: {exc}") from None
    return parse_datalink(data, url)


def resolve(links: DatalinkResults, cutout: Cutout | None = None) -> list[Link]:
    """One :class:`Link` per dataset ``ID`` of the document.

    With a ``cutout``, a SODA service descriptor of the dataset is used when there is
    one; otherwise (or without a cutout) the ``#this`` link. Rows with an
    ``error_message`` make that dataset a failure.
    """
    by_id: dict[str, list] = {}
    for record in links:
        by_id.setdefault(str(record.id or ""), []).append(record)
    return [_choose(links, dataset, records, cutout) for dataset, records in by_id.items()]


def _choose(links: DatalinkResults, dataset: str, records: list, cutout: Cutout | None) -> Link:
    errors = [str(r.error_message) for r in records if r.error_message]
    this = [r for r in records if r.semantics == "#this" and r.access_url]
    if cutout:
        for record in records:
            if record.service_def:
                url = _soda_url(links, record, cutout)
                if url:
                    return Link(dataset, url=url)
        if this:
            note = "no SODA service for this dataset: the whole dataset was taken"
            return Link(dataset, url=str(this[0].access_url), note=note)
    if this:
        return Link(dataset, url=str(this[0].access_url))
    return Link(dataset, error="; ".join(errors) or "the DataLink document has no #this link")


def _soda_url(links: DatalinkResults, record, cutout: Cutout) -> str:
    """The SODA sync request for ``record``'s service descriptor, or ``""`` if unsuitable."""
    try:
        resource = links.get_adhocservice_by_id(record.service_def)
    except DALServiceError:
        return ""
    params = {p.name: p for p in resource.params}
    standard = str(params["standardID"].value) if "standardID" in params else ""
    if standard and not standard.lower().startswith(SODA_SYNC_IVOID):
        return ""
    access = str(params["accessURL"].value) if "accessURL" in params else ""
    inputs = {
        p.name.upper(): p
        for group in resource.groups
        for p in group.entries
        if group.name == "inputParams"
    }
    if not access or "ID" not in inputs:
        return ""
    query: dict[str, str] = {"ID": _param_value(inputs["ID"], record)}
    if cutout.band_m is not None:
        if "BAND" not in inputs:
            return ""
        query["BAND"] = " ".join(repr(float(v)) for v in cutout.band_m)
    if cutout.circle_deg is not None and "POS" in inputs:
        query["POS"] = "CIRCLE " + " ".join(repr(float(v)) for v in cutout.circle_deg)
    return requests.Request("GET", access, params=query).prepare().url or ""


def _param_value(param, record) -> str:
    if param.ref:
        try:
            return str(record[param.ref])
        except KeyError:
            pass
    value = param.value
    if isinstance(value, bytes):
        value = value.decode()
    return str(value if value is not None else record.id)
