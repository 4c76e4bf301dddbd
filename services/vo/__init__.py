"""VO clients for ingestion: access columns of VOTables, SSAP queries, DataLink and SODA.

Public API
----------
votable_access_rows(source, session) -> list[AccessRow]
    Access URLs of a VOTable file or URL: the column with utype ``ssa:Access.Reference``
    (any case or prefix), else UCD ``meta.ref.url``, else one named like ``access_url``.
ssap_query(url, session, pos=, size=, band=, time=, format=, maxrec=, extra=) -> SsapResult
    An SSAP 1.1 query through :class:`pyvo.dal.SSAService`; OVERFLOW -> ``truncated``;
    with POS and SIZE, rows outside the SIZE diameter are left out and counted (``cone``).
check_cone(ra, dec, pos, size) -> ConeCheck, separation_deg(...)
    The requested cone checked on rows: SIZE is a diameter on every server.
fetch_datalink(url, session), parse_datalink(data, source), resolve(links, cutout)
    DataLink documents resolved to the ``#this`` dataset or a SODA sync cut-out; an
    ``error_message`` row fails its dataset only, with the service's message.
Cutout
    SODA ``BAND`` (``lo hi`` in metres) and ``POS=CIRCLE ra dec r`` (degrees).
VOError, QueryError, ServiceError
    Failures with one readable sentence.
"""

from services.vo.access import (
    DATALINK_MIME,
    AccessRow,
    access_field,
    access_rows,
    is_datalink_type,
    votable_access_rows,
)
from services.vo.cone import ConeCheck, check_cone, separation_deg
from services.vo.datalink import (
    Cutout,
    Link,
    fetch_datalink,
    is_datalink_document,
    parse_datalink,
    resolve,
    service_message,
)
from services.vo.errors import QueryError, ServiceError, VOError
from services.vo.ssap import SsapResult, check_band, check_time, parse_pos, ssap_query

__all__ = [
    "DATALINK_MIME",
    "AccessRow",
    "ConeCheck",
    "Cutout",
    "Link",
    "QueryError",
    "ServiceError",
    "SsapResult",
    "VOError",
    "access_field",
    "access_rows",
    "check_band",
    "check_cone",
    "check_time",
    "fetch_datalink",
    "is_datalink_document",
    "is_datalink_type",
    "parse_datalink",
    "parse_pos",
    "resolve",
    "separation_deg",
    "service_message",
    "ssap_query",
    "votable_access_rows",
]
