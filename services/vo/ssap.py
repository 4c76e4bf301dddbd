"""Simple Spectral Access (SSAP 1.1) queries through pyvo."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import requests
from astropy.table import Table
from pyvo.dal import DALFormatError, DALQueryError, DALServiceError, SSAService
from pyvo.dal.adhoc import DatalinkQuery
from pyvo.dal.exceptions import DALOverflowWarning
from pyvo.dal.ssa import SSAResults

from services.fetch import FetchError, fetch_document
from services.vo.access import AccessRow, access_rows, parse_votable_bytes
from services.vo.cone import ConeCheck, check_cone
from services.vo.errors import QueryError, ServiceError, VOError

DATALINK_IVOID = "ivo://ivoa.net/std/datalink"
_NUMBER = r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?"


@dataclass
class SsapResult:
    """The answer of an SSAP service.

    Parameters
    ----------
    table : astropy.table.Table
        The result table as the service sent it.
    rows : list of AccessRow
        Access URL, format and title of each dataset.
    datalinks : list of str
        For each row, the URL of its DataLink document when the service declares a
        DataLink service (``""`` otherwise).
    truncated : bool
        True when the service answered ``QUERY_STATUS=OVERFLOW`` (MAXREC reached).
    cone : ConeCheck or None
        With ``pos`` and ``size``: what was left out of ``table`` and ``rows`` for lying
        outside the requested diameter (see :mod:`services.vo.cone`).
    """

    table: Table
    rows: list[AccessRow]
    datalinks: list[str] = field(default_factory=list)
    truncated: bool = False
    cone: ConeCheck | None = None

    def notes(self) -> list[str]:
        """Sentences for a report: rows left out of the cone, rows without a position."""
        return self.cone.notes() if self.cone is not None else []


def parse_pos(text: str) -> tuple[float, float]:
    """``"ra,dec"`` in degrees -> (ra, dec); raises ValueError with a readable message."""
    parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
    try:
        ra, dec = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"POS must be 'ra,dec' in degrees, got {text!r}") from None
    if not (0 <= ra <= 360 and -90 <= dec <= 90):
        raise ValueError(f"POS {text!r} is outside 0 <= ra <= 360, -90 <= dec <= 90")
    return ra, dec


def check_band(text: str) -> str:
    """Validate an SSAP ``BAND`` (``lo/hi`` in metres, one side may be open)."""
    if not re.fullmatch(rf"\s*({_NUMBER})?\s*/\s*({_NUMBER})?\s*|\s*{_NUMBER}\s*", text):
        raise ValueError(f"BAND must be 'lo/hi' in metres (e.g. 4e-7/7e-7), got {text!r}")
    return text.replace(" ", "")


def check_time(text: str) -> str:
    """Validate an SSAP ``TIME`` (``start/end``, ISO 8601, one side may be open)."""
    iso = r"\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?"
    if not re.fullmatch(rf"\s*({iso})?\s*/\s*({iso})?\s*|\s*{iso}\s*", text):
        raise ValueError(f"TIME must be 'start/end' in ISO 8601, got {text!r}")
    return text.replace(" ", "")


def ssap_query(
    url: str,
    session: requests.Session,
    *,
    pos: tuple[float, float] | None = None,
    size: float | None = None,
    band: str = "",
    time: str = "",
    format: str = "",
    maxrec: int | None = None,
    extra: dict[str, str] | None = None,
) -> SsapResult:
    """Query an SSAP service (``REQUEST=queryData``).

    Parameters
    ----------
    url : str
        The service's base URL.
    session : GuardedSession
        Carries the fetch policy and the timeouts (:class:`services.fetch.GuardedSession`).
    pos : (float, float), optional
        Search centre (ICRS RA, Dec) in degrees.
    size : float, optional
        Diameter of the search region in degrees, as SSAP defines it. With ``pos``, rows
        farther than ``size / 2`` from ``pos`` are left out of the result (services that
        read SIZE as a radius answer more); ``cone`` counts them.
    band, time, format : str
        SSAP ``BAND`` (``lo/hi`` in metres), ``TIME`` (``start/end``), ``FORMAT``.
    maxrec : int, optional
        Maximum number of rows; reaching it sets ``truncated``.
    extra : dict, optional
        Further standard parameters passed through unchanged (``TARGETNAME``, ``COLLECTION``...).

    Raises
    ------
    QueryError
        If the service answers ``QUERY_STATUS=ERROR`` (with the service's message).
    ServiceError
        If it cannot be reached or answers something that is not an SSAP VOTable.
    """
    query = SSAService(url, session=session).create_query()
    for key, value in _parameters(pos, size, band, time, format, maxrec, extra).items():
        query[key] = value
    results = _execute(query, url, session)
    try:
        rows = access_rows(results.resultstable)
    except VOError as exc:
        raise ServiceError(f"the SSAP response is unusable: {exc}") from None
    table, links = results.to_table(), _datalink_urls(results)
    cone = None
    if pos is not None and size is not None:
        cone = check_cone(
            np.array([r.ra for r in rows]), np.array([r.dec for r in rows]), pos, float(size)
        )
        outside = {row.index for row, keep in zip(rows, cone.keep, strict=True) if not keep}
        rows = [row for row, keep in zip(rows, cone.keep, strict=True) if keep]
        table = table[[i for i in range(len(table)) if i not in outside]]
    return SsapResult(
        table=table,
        rows=rows,
        datalinks=[links[row.index] if links else "" for row in rows],
        truncated=str(results.status[0]).upper() == "OVERFLOW",
        cone=cone,
    )


def _execute(query, url: str, session: requests.Session) -> SSAResults:
    """The query's answer, fetched under the session's policy (pyvo only parses it)."""
    try:
        data = fetch_document(session, query.queryurl, params=dict(query.items())).content
    except FetchError as exc:
        raise ServiceError(f"the SSAP service at {url} failed: {exc}") from None
    try:
        votable = parse_votable_bytes(data, url)
    except VOError:
        raise ServiceError(f"the SSAP service at {url} did not answer with a VOTable") from None
    try:
        with warnings.catch_warnings():
            # OVERFLOW is reported through ``truncated``, not as a warning
            warnings.simplefilter("ignore", DALOverflowWarning)
            return SSAResults(votable, url=query.queryurl, session=session)
    except DALQueryError as exc:
        reason = " ".join(str(exc.reason or exc).split())[:300]
        raise QueryError(f"the SSAP service reported an error: {reason}") from None
    except (DALServiceError, DALFormatError) as exc:
        raise ServiceError(f"the SSAP service at {url} failed: {_reason(exc)}") from None


def _parameters(pos, size, band, time, format, maxrec, extra) -> dict[str, str]:
    params: dict[str, str] = {}
    if pos is not None:
        params["POS"] = f"{pos[0]!r},{pos[1]!r}"
    if size is not None:
        params["SIZE"] = repr(float(size))
    if band:
        params["BAND"] = check_band(band)
    if time:
        params["TIME"] = check_time(time)
    if format:
        params["FORMAT"] = format
    if maxrec is not None:
        params["MAXREC"] = str(int(maxrec))
    for key, value in (extra or {}).items():
        params[key.upper()] = str(value)
    return params


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", "") or str(exc)
    return " ".join(str(reason).split())[:300]


def _datalink_urls(results) -> list[str]:
    """DataLink URL of each table row from the response's DataLink service descriptor;
    ``[]`` without one."""
    try:
        resource = results.get_adhocservice_by_ivoid(DATALINK_IVOID)
    except DALServiceError:
        return []
    urls = []
    for record in results:
        try:
            query = DatalinkQuery.from_resource(record, resource, session=results._session)
            prepared = requests.Request("GET", query.queryurl, params=dict(query)).prepare()
        except (DALServiceError, KeyError, ValueError, StopIteration):
            urls.append("")  # a descriptor this row cannot fill: the row is taken as it is
            continue
        urls.append(prepared.url or "")
    return urls
