"""JSON of the labelling page's review: one spectrum, thumbnails of a selection, class references.

Owner only, like every labelling endpoint (through the portal session or an API token); the
spectra are the session's dataset's rows of the round's projected sample.
"""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from services.datasets import DatasetError, dataset_dir, open_dataset
from services.learning import review
from services.learning.sample import class_probabilities, prediction_text
from services.storage import user_space
from vocloud.labelling.access import session_or_token
from vocloud.labelling.models import Label, Round, Session
from vocloud.labelling.sample_cache import round_sample

#: Thumbnails per request: a page of the selection panel.
MAX_THUMBNAILS = 48


def _session(request, session_id) -> Session:
    return get_object_or_404(Session, pk=session_id, owner=request.user)


def _dataset(session: Session):
    space = user_space(settings.DATA_DIR, session.owner_id)
    try:
        return open_dataset(dataset_dir(space.datasets, session.dataset))
    except (DatasetError, OSError):
        raise Http404(f"the dataset {session.dataset} of this session is gone") from None


def _ranks(request, n: int, limit: int) -> list[int]:
    try:
        ranks = [int(r) for r in request.GET.get("ranks", request.GET.get("rank", "")).split(",")]
    except ValueError:
        raise Http404("give the points' ranks") from None
    if not ranks or len(ranks) > limit or any(not 0 <= r < n for r in ranks):
        raise Http404("no such point")
    return ranks


def _point(sample: dict, rank: int) -> dict:
    """What the page says about one point of the sample."""
    point = {
        "rank": rank,
        "row": int(sample["row"][rank]),
        "path": str(sample["path"][rank]),
        "object": str(sample["object"][rank]),
        "prediction": str(prediction_text(sample)[rank]),
        "score": float(sample["score"][rank]),
    }
    if "confidence" in sample:
        point["confidence"] = float(sample["confidence"][rank])
    if "sigma" in sample:
        point["sigma"] = float(sample["sigma"][rank])
    probabilities = class_probabilities(sample)
    if probabilities:
        point["probabilities"] = {c: round(float(p[rank]), 4) for c, p in probabilities.items()}
    return point


@session_or_token
@require_GET
def spectrum(request, session_id, number):
    """One point of the sample with its whole spectrum (the review's large plot)."""
    session = _session(request, session_id)
    sample = round_sample(get_object_or_404(Round, session=session, number=number))
    (rank,) = _ranks(request, len(sample["row"]), 1)
    dataset = _dataset(session)
    point = _point(sample, rank)
    flux = np.asarray(dataset.flux[point["row"]], dtype=np.float64)
    good = ~np.asarray(dataset.mask[point["row"]], dtype=bool) & np.isfinite(flux)
    wave = np.asarray(dataset.wave, dtype=np.float64)
    return JsonResponse(
        point | {"wave": wave[good].round(3).tolist(), "flux": flux[good].round(6).tolist()}
    )


@session_or_token
@require_GET
def thumbnails(request, session_id, number):
    """Small plots' data for a page of the selection panel (``?ranks=3,9,14``)."""
    session = _session(request, session_id)
    sample = round_sample(get_object_or_404(Round, session=session, number=number))
    ranks = _ranks(request, len(sample["row"]), MAX_THUMBNAILS)
    dataset = _dataset(session)
    points = []
    for rank in ranks:
        point = _point(sample, rank)
        point["wave"], point["flux"] = review.thumbnail(
            dataset.wave, dataset.flux[point["row"]], np.asarray(dataset.mask[point["row"]])
        )
        points.append(point)
    return JsonResponse({"points": points})


@session_or_token
@require_GET
def references(request, session_id):
    """Each class's labelled examples as one median spectrum, on the dataset's grid."""
    session = _session(request, session_id)
    if session.is_numeric:
        return JsonResponse({"wave": [], "classes": {}})
    dataset = _dataset(session)
    row_of = {str(p): i for i, p in enumerate(dataset.meta["path"])}
    rows: dict[str, list[int]] = {c: [] for c in session.classes}
    labelled = Label.objects.filter(session=session, mark="").exclude(value="")
    for path, value in labelled.values_list("path", "value"):
        if value in rows and path in row_of:
            rows[value].append(row_of[path])
    classes = review.class_references(
        dataset.flux, dataset.mask, {c: np.array(r, dtype=np.int64) for c, r in rows.items()}
    )
    wave = np.asarray(dataset.wave, dtype=np.float64).round(3).tolist()
    return JsonResponse({"wave": wave, "classes": classes})
