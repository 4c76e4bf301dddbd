"""A user's spectra served back to the VO: SSAP 1.1, DataLink 1.1, SODA sync (Django-free).

Public API
----------
build_catalogue(datasets_root, index_path) -> Catalogue
    One row per spectrum of the user's datasets and per ingested file in no dataset
    (:mod:`services.vo_serve.catalogue` says why the datasets' meta tables are the index).
parse_ssa(params, default_maxrec=, hard_maxrec=) -> SsaQuery
    POS, SIZE (diameter), BAND, TIME, FORMAT, MAXREC, COLLECTION; UsageError when bad.
select(catalogue, query) -> (rows, overflow); ssa_votable(found, extra, urls) -> bytes
    The matching rows and the SSAP answer, with a DataLink service descriptor.
links_votable(ids, catalogue, locate, urls) -> bytes
    DataLink ``#this``, ``#preview`` and the ``#cutout`` SODA descriptor per spectrum.
cut_out(path, band_m, title) -> bytes | None; preview_png(path) -> bytes
    A SODA BAND cut-out (None: the band misses the spectrum) and a PNG plot.
spectrum_file(space, catalogue, identifier) -> (row, path)
    The only way from an identifier to bytes: the caller's catalogue, then UserSpace.resolve.
ServiceUrls
    Every URL the documents hand out, under one base (plain or with a capability).
VOServeError, UsageError, NotFoundFault
    Failures with a DALI error label, an HTTP status and one sentence.
"""

from services.vo_serve.catalogue import Catalogue, build_catalogue
from services.vo_serve.cutout import cut_out
from services.vo_serve.datalink import links_votable
from services.vo_serve.errors import NotFoundFault, UsageError, VOServeError
from services.vo_serve.files import spectrum_file
from services.vo_serve.params import SsaQuery, parse_ssa
from services.vo_serve.preview import preview_png
from services.vo_serve.ssa import select, ssa_votable
from services.vo_serve.urls import ServiceUrls

__all__ = [
    "Catalogue",
    "NotFoundFault",
    "ServiceUrls",
    "SsaQuery",
    "UsageError",
    "VOServeError",
    "build_catalogue",
    "cut_out",
    "links_votable",
    "parse_ssa",
    "preview_png",
    "select",
    "spectrum_file",
    "ssa_votable",
]
