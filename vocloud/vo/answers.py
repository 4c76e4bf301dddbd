"""What each VO endpoint answers for its owner: one function per endpoint, called by a view.

``params`` is the request's parameters as name -> list of values (query string and form
body together); names are matched case-insensitively, as DALI asks.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from django.conf import settings

from services.storage.layout import UserSpace
from services.vo_serve.catalogue import Catalogue, build_catalogue
from services.vo_serve.cutout import cut_out
from services.vo_serve.datalink import MAX_IDS, links_votable
from services.vo_serve.errors import NotFoundFault, UsageError
from services.vo_serve.files import MAX_ID, spectrum_file
from services.vo_serve.params import one, parse_soda_band, parse_ssa
from services.vo_serve.predictions import candidate_rows, read_predictions
from services.vo_serve.preview import preview_png
from services.vo_serve.ssa import select, ssa_votable
from services.vo_serve.urls import ServiceUrls
from vocloud.files.operations import space_for
from vocloud.uws import storage
from vocloud.uws.models import Job, Phase
from vocloud.vo.annotations import annotate, annotate_candidates

Params = Mapping[str, Sequence[str]]
CANDIDATE_KINDS = ("score", "assess")
# SODA parameters of cut-outs a spectrum has no axis for
NOT_SERVED = ("POS", "CIRCLE", "POLYGON", "TIME", "POL")


def catalogue_of(owner) -> tuple[UserSpace, Catalogue]:
    space = space_for(owner)
    return space, build_catalogue(space.datasets, space.index_path)


def _ssa_query(params: Params):
    limit = settings.VOCLOUD_VO_MAXREC
    return parse_ssa(params, default_maxrec=limit, hard_maxrec=limit)


def ssa_answer(owner, params: Params, urls: ServiceUrls) -> bytes:
    """The SSAP 1.1 answer over all the owner's spectra."""
    query = _ssa_query(params)
    _space, catalogue = catalogue_of(owner)
    rows, overflow = select(catalogue, query)
    if query.metadata:
        rows, overflow = rows[:0], False
    found = catalogue.take(rows)
    return ssa_votable(found, annotate(owner, found), urls, overflow=overflow)


def candidates_answer(owner, job_id: str, params: Params, urls: ServiceUrls) -> bytes:
    """The SSAP answer over the candidates of one of the owner's score or assess jobs, in
    the job's order (most confident first)."""
    query = _ssa_query(params)
    job = Job.objects.filter(
        owner=owner, job_id=job_id, kind__in=CANDIDATE_KINDS, phase=Phase.COMPLETED
    ).first()
    if job is None:
        raise NotFoundFault(f"you have no completed score or assess job {job_id[:40]!r}")
    table = read_predictions(storage.results_dir(job.job_id) / "candidates.vot")
    if table is None:
        raise NotFoundFault(f"job {job.job_id} has no candidates (run it with CANDIDATE_CLASS)")
    _space, catalogue = catalogue_of(owner)
    ordered = catalogue.take(candidate_rows(catalogue, _dataset_of(owner, job), table))
    rows, overflow = select(ordered, query)
    if query.metadata:
        rows, overflow = rows[:0], False
    found = ordered.take(rows)
    extra = annotate_candidates(owner, found, table, job.job_id)
    about = f"Candidates of {job.kind} job {job.job_id}, most confident first"
    return ssa_votable(found, extra, urls, overflow=overflow, description=about)


def _dataset_of(owner, job: Job) -> str:
    if job.kind == "assess":  # its predictions are those of the score job it assessed
        scored = Job.objects.filter(owner=owner, job_id=job.parameters.get("SCORES", "")).first()
        return str(scored.parameters.get("DATASET", "")) if scored is not None else ""
    return str(job.parameters.get("DATASET", ""))


def links_answer(owner, params: Params, urls: ServiceUrls) -> bytes:
    """The DataLink document for every ``ID`` given."""
    ids = [v.strip() for name, values in params.items() if name.upper() == "ID" for v in values]
    if not ids:
        raise UsageError("ID is required: the identifier of a spectrum (its ssa_pubDID)")
    if len(ids) > MAX_IDS:
        raise UsageError(f"at most {MAX_IDS} IDs per request, got {len(ids)}")
    fmt = one(params, "RESPONSEFORMAT")
    if fmt and fmt.split(";")[0].strip().lower() not in ("votable", "application/x-votable+xml"):
        raise UsageError(f"RESPONSEFORMAT {fmt[:40]!r}: only VOTable links are served")
    space, catalogue = catalogue_of(owner)
    return links_votable(ids, catalogue, lambda i: spectrum_file(space, catalogue, i), urls)


def _located(owner, params: Params) -> tuple[Catalogue, int, Path]:
    identifier = one(params, "ID", MAX_ID)
    if not identifier:
        raise UsageError("ID is required: the identifier of a spectrum (its ssa_pubDID)")
    space, catalogue = catalogue_of(owner)
    row, path = spectrum_file(space, catalogue, identifier)
    return catalogue, row, path


def cutout_answer(owner, params: Params) -> bytes | None:
    """The SODA sync cut-out (None: the band holds none of the spectrum)."""
    given = {name.upper() for name in params}
    refused = [name for name in NOT_SERVED if name in given]
    if refused:
        raise UsageError(f"{', '.join(refused)}: spectra are cut by BAND only")
    bands = [v for name, values in params.items() if name.upper() == "BAND" for v in values]
    band = parse_soda_band(bands)
    catalogue, row, path = _located(owner, params)
    return cut_out(path, band, str(catalogue.columns["id"][row]))


def original_file(owner, params: Params) -> tuple[Path, str]:
    """The file of ``#this`` and its MIME type."""
    catalogue, row, path = _located(owner, params)
    return path, str(catalogue.columns["mime"][row])


def preview_answer(owner, params: Params) -> bytes:
    _catalogue, _row, path = _located(owner, params)
    return preview_png(path)


def service_summary(owner) -> dict[str, int]:
    """How many spectra and datasets the service shows (for the portal page)."""
    _space, catalogue = catalogue_of(owner)
    collections = catalogue.columns["collection"]
    return {"spectra": len(catalogue), "collections": int(np.unique(collections).size)}
