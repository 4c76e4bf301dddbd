"""DataLink 1.1 ``{links}`` documents for a user's spectra, each with a SODA descriptor.

For every identifier asked for, in the order given:

- ``#this``: the original file (its MIME type and size);
- ``#preview``: a PNG plot of it (:mod:`services.vo_serve.preview`);
- ``#cutout``: the SODA sync service (``ivo://ivoa.net/std/SODA#sync-1.0``) that returns the
  spectrum restricted to a ``BAND`` (:mod:`services.vo_serve.cutout`). One descriptor serves
  every row: its ``ID`` comes from the row's ``ID`` column (``ref``), so a client that takes
  the first SODA descriptor of a batch document (pyvo does) still cuts the right spectrum;
  for a single spectrum, the ``BAND`` PARAM's VALUES give its covered wavelengths.

An identifier that names nothing of the caller's gets one row with ``error_message``
(``NotFoundFault: ...``), as the standard asks, and the other identifiers are still served.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io.votable.tree import TableElement, Values

from services.vo_serve.catalogue import Catalogue
from services.vo_serve.documents import (
    UserParam,
    add_field,
    fill,
    new_results,
    service_descriptor,
    text_param,
    to_bytes,
)
from services.vo_serve.errors import VOServeError
from services.vo_serve.urls import ServiceUrls

SODA_STANDARD = "ivo://ivoa.net/std/SODA#sync-1.0"
SODA_DESCRIPTOR = "soda"
MAX_IDS = 1000  # identifiers per request (pyvo's batches are far smaller)

# DataLink 1.1 table: name -> (datatype, ucd, unit)
LINK_FIELDS = {
    "ID": ("char", "meta.id;meta.main", None),
    "access_url": ("char", "meta.ref.url", None),
    "service_def": ("char", "meta.ref", None),
    "error_message": ("char", "meta.code.error", None),
    "description": ("char", "meta.note", None),
    "semantics": ("char", "meta.code", None),
    "content_type": ("char", "meta.code.mime", None),
    "content_length": ("long", "phys.size;meta.file", "byte"),
}


@dataclass(frozen=True)
class _Link:
    id: str
    access_url: str = ""
    service_def: str = ""
    error_message: str = ""
    description: str = ""
    semantics: str = ""
    content_type: str = ""
    content_length: int = -1


# locate(identifier) -> (catalogue row, file); raises VOServeError (NotFoundFault)
Locate = Callable[[str], tuple[int, Path]]


def links_votable(
    identifiers: list[str], catalogue: Catalogue, locate: Locate, urls: ServiceUrls
) -> bytes:
    """The DataLink document for ``identifiers``.

    Parameters
    ----------
    identifiers : list of str
        The ``ID`` values asked for (at most :data:`MAX_IDS`).
    catalogue : Catalogue
        The caller's catalogue (coverage for the SODA descriptor).
    locate : callable
        ``locate(identifier) -> (row, path)``, the caller's containment-checked lookup
        (:func:`services.vo_serve.files.spectrum_file`).
    urls : ServiceUrls
        Where the caller's services are.
    """
    votable, resource = new_results()
    links: list[_Link] = []
    served: list[int] = []  # catalogue rows of the spectra found
    for identifier in identifiers:
        try:
            row, path = locate(identifier)
        except VOServeError as exc:
            # an error row names what it could not serve (datalinklint asks for semantics)
            links.append(_Link(identifier, error_message=f"{exc.code}: {exc}", semantics="#this"))
            continue
        served.append(row)
        links.extend(_links(identifier, catalogue, row, path, urls))
    table = TableElement(votable, name="links")
    for name, (datatype, ucd, unit) in LINK_FIELDS.items():
        add_field(
            votable, table, name, datatype, ucd=ucd, unit=unit,
            null=-1 if datatype == "long" else None,
        )  # fmt: skip
    resource.tables.append(table)
    fill(
        table,
        {name: np.array([getattr(link, name.lower()) for link in links]) for name in LINK_FIELDS},
        len(links),
    )
    if served:  # a top-level meta RESOURCE, where clients look
        coverage = served[0] if len(served) == 1 else None
        votable.resources.append(_soda_descriptor(votable, catalogue, coverage, urls))
    return to_bytes(votable)


def _links(
    identifier: str, catalogue: Catalogue, row: int, path: Path, urls: ServiceUrls
) -> list[_Link]:
    mime = str(catalogue.columns["mime"][row])
    return [
        _Link(
            identifier,
            access_url=urls.this(identifier),
            description=f"The original file ({path.name})",
            semantics="#this",
            content_type=mime,
            content_length=path.stat().st_size,
        ),
        _Link(
            identifier,
            access_url=urls.preview(identifier),
            description="A plot of the spectrum (PNG)",
            semantics="#preview",
            content_type="image/png",
        ),
        _Link(
            identifier,
            service_def=SODA_DESCRIPTOR,
            description="Cut-out: the spectrum in a wavelength range (SODA BAND, metres)",
            semantics="#cutout",
            content_type="application/x-votable+xml",
        ),
    ]


def _soda_descriptor(votable, catalogue: Catalogue, row: int | None, urls: ServiceUrls):
    band = UserParam(
        votable,
        name="BAND",
        datatype="double",
        arraysize="2",
        unit="m",
        ucd="em.wl;stat.interval",
        value="",
    )
    band.ID = None
    band.xtype = "interval"
    band.description = "Wavelength range to keep, 'lo hi' in metres (vacuum or air as stored)"
    if row is not None:
        lo = float(catalogue.columns["wave_min_m"][row])
        hi = float(catalogue.columns["wave_max_m"][row])
        if math.isfinite(lo) and math.isfinite(hi):
            band.values = Values(votable, band)
            band.values.min = lo
            band.values.max = hi
    inputs = [text_param(votable, "ID", "", ucd="meta.id;meta.dataset", ref="ID"), band]
    return service_descriptor(votable, SODA_DESCRIPTOR, SODA_STANDARD, urls.soda, inputs)
