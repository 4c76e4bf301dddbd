"""Labelling pages and their JSON endpoints (the owner's sessions only)."""

import json
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from services.datasets import list_datasets
from services.demo.labels import LabelsError, read_labels
from services.plots import BOKEH_JS, embed
from services.storage import user_space
from services.storage.paths import PathEscape
from vocloud.labelling import exports, history, loop, operations
from vocloud.labelling.forms import RoundForm, SessionForm
from vocloud.labelling.models import Round, Session
from vocloud.labelling.sample_cache import round_sample
from vocloud.plots import plot_page
from vocloud.signed_links import LinkInvalid


def _space(user):
    return user_space(settings.DATA_DIR, user.pk)


def _session(request, session_id) -> Session:
    return get_object_or_404(Session, pk=session_id, owner=request.user)


def _round(session, number) -> Round:
    return get_object_or_404(Round, session=session, number=number)


@login_required
def session_list(request):
    datasets = [d["name"] for d in list_datasets(_space(request.user).datasets)]
    form = SessionForm(request.POST or None, datasets=datasets)
    if request.method == "POST" and form.is_valid():
        session = _create(request, form.cleaned_data)
        if session is not None:
            return redirect("labelling:session", session.pk)
    sessions = Session.objects.filter(owner=request.user)
    return render(
        request,
        "labelling/list.html",
        {"sessions": sessions, "form": form, "has_datasets": bool(datasets)},
    )


def _create(request, data) -> Session | None:
    rows = []
    if data["import_file"]:
        try:
            _columns, rows = read_labels(_space(request.user).resolve(data["import_file"]))
        except (LabelsError, PathEscape) as exc:
            messages.error(request, f"Cannot import {data['import_file']}: {exc}")
            return None
        except OSError:  # its message names the place on the server
            messages.error(request, f"Cannot import {data['import_file']}: no such readable file.")
            return None
    try:
        session = Session.objects.create(
            owner=request.user,
            name=data["name"],
            dataset=data["dataset"],
            schema=data["schema"],
            target=data["target"],
            classes=data["classes"],
            unit=data["unit"],
        )
    except IntegrityError:
        messages.error(request, f"You have a session named {data['name']!r} already.")
        return None
    try:
        n, skipped = (
            operations.import_labels(session, rows, data["per_class"], seed=0) if rows else (0, [])
        )
    except operations.LabelError as exc:
        session.delete()
        messages.error(request, f"Cannot import the labels: {exc}")
        return None
    if not session.is_numeric and len(session.classes) < 2:
        session.delete()
        messages.error(request, "Give at least two class names (or import labels that have them).")
        return None
    messages.success(request, f"Session {session.name} created with {n} imported labels.")
    if skipped:
        messages.warning(
            request,
            f"{len(skipped):,} rows of {data['import_file']} were skipped: their spectra are "
            f"not in the dataset {session.dataset} (the first: {skipped[0]!r}).",
        )
    return session


@login_required
@plot_page
def session_detail(request, session_id):
    session = _session(request, session_id)
    rounds = [loop.status(r) for r in session.rounds.select_related("train_job", "round_job")]
    measured = any(r["validation"] for r in rounds)
    script, div = embed(history.rounds_plot(rounds)) if measured else ("", "")
    return render(
        request,
        "labelling/session.html",
        {
            "session": session,
            "rounds": rounds,
            "counts": operations.counts(session),
            "dataset_size": loop.dataset_size(session),
            "performance": operations.performance(session),
            "form": RoundForm(),
            "plot_script": script,
            "plot_div": div,
            "bokeh_js": BOKEH_JS,
        },
    )


@login_required
@require_POST
def round_start(request, session_id):
    session = _session(request, session_id)
    form = RoundForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Round options: {form.errors.as_text()}")
        return redirect("labelling:session", session.pk)
    try:
        round_ = loop.start_round(session, form.cleaned_data)
    except (loop.LoopError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Round {round_.number}: training on {round_.n_labels} labels.")
    return redirect("labelling:session", session.pk)


@login_required
@require_POST
def round_retry(request, session_id, number):
    session = _session(request, session_id)
    try:
        round_ = loop.retry_round(_round(session, number))
    except loop.LoopError as exc:
        messages.error(request, str(exc))
    else:
        what = "training" if round_.round_job_id is None else "scoring and projection"
        messages.success(request, f"Round {number} started again: {what}.")
    return redirect("labelling:session", session.pk)


@login_required
@require_GET
def round_status(request, session_id, number):
    return JsonResponse(loop.status(_round(_session(request, session_id), number)))


@login_required
@plot_page
def label_view(request, session_id, number):
    session = _session(request, session_id)
    round_ = _round(session, number)
    status = loop.status(round_)  # advances the round (and refreshes round_) first
    if status["failed"]:
        messages.error(request, f"Round {number} cannot be labelled: {status['failed']}")
        return redirect("labelling:session", session.pk)
    if not status["ready"]:
        messages.info(request, f"Round {number} is not ready yet: its jobs are still running.")
        return redirect("labelling:session", session.pk)
    sample = round_sample(round_)
    from services.learning.label_view import labelling_figures, point_columns  # bokeh

    columns = point_columns(
        sample, operations.states(session, list(sample["path"])), session.is_numeric
    )
    scatter, spectrum = labelling_figures(columns, session.classes, session.is_numeric)
    script, (scatter_div, spectrum_div) = embed((scatter, spectrum))
    base = reverse("labelling:session", args=[session.pk])
    counts = operations.counts(session)
    config = {
        "numeric": session.is_numeric,
        "classes": session.classes,
        "unit": session.unit,
        "target": session.target,
        "labelsUrl": f"{base}labels/",
        "undoUrl": f"{base}undo/",
        "referencesUrl": reverse("labelling:references", args=[session.pk]),
        "spectrumUrl": reverse("labelling:spectrum", args=[session.pk, number]),
        "thumbnailsUrl": reverse("labelling:thumbnails", args=[session.pk, number]),
        "sampUrl": reverse("labelling:samp", args=[session.pk, number]),
        "fileLinksUrl": reverse("files:samp_links"),
        "round": number,
        "acquisition": _acquisition_name(round_),
        "datasetSize": loop.dataset_size(session),
    }
    return render(
        request,
        "labelling/label.html",
        {
            "session": session,
            "round": round_,
            "plot_script": script,
            "scatter_div": scatter_div,
            "spectrum_div": spectrum_div,
            "bokeh_js": BOKEH_JS,
            "config": config,
            "counts": counts,
            "performance": operations.performance(session),
        },
    )


#: The name of each round's one uncertainty number on the page: the acquisition score
#: (methods that choose a batch jointly rank by BALD per spectrum).
ACQUISITION_NAMES = {
    "bald": "BALD",
    "entropy": "entropy",
    "variation_ratios": "variation ratio",
    "mean_std": "mean STD",
    "random": "random score",
    "epistemic_variance": "epistemic variance",
    "predictive_variance": "predictive variance",
}


def _acquisition_name(round_: Round) -> str:
    job = round_.round_job
    chosen = (job.parameters or {}).get("ACQUISITION", "") if job is not None else ""
    chosen = (chosen or round_.options.get("acquisition", "bald")).lower()
    return ACQUISITION_NAMES.get(chosen, "BALD")


def _json_body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise operations.LabelError("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise operations.LabelError("the request body must be a JSON object")
    return body


def _label_response(session, paths) -> JsonResponse:
    return JsonResponse(
        {
            "states": operations.states(session, paths),
            "paths": paths,
            "counts": operations.counts(session),
            "performance": operations.performance(session),
        }
    )


@login_required
@require_POST
def labels_api(request, session_id):
    session = _session(request, session_id)
    try:
        body = _json_body(request)
        paths = body.get("paths") or []
        number = body.get("round")
        if number is not None and (type(number) is not int or number < 0):
            raise operations.LabelError("the round is a round number")
        round_ = session.rounds.filter(number=number).first()
        operations.apply(
            session,
            paths,
            value=body.get("value"),
            mark=body.get("mark"),
            verdict=body.get("verdict"),
            predicted=body.get("predicted"),
            round_=round_,
            shown=body.get("shown"),
        )
    except operations.LabelError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return _label_response(session, paths)


@login_required
@require_POST
def undo_api(request, session_id):
    session = _session(request, session_id)
    return _label_response(session, operations.undo(session))


@login_required
@require_GET
def candidates(request, session_id, number):
    session = _session(request, session_id)
    sample = round_sample(_round(session, number))
    wanted = request.GET.get("class", "")
    table = exports.candidates(sample, wanted, operations.states(session))
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "votable"):
        # The class comes from the query string: no control characters in the VOTable's XML,
        # only word characters in the file name (content_disposition_header quotes the rest).
        shown = "".join(c for c in wanted if c.isprintable())[:200]
        body, mime, suffix = exports.render(table, fmt, f"candidates {shown}".strip())
        response = HttpResponse(body, content_type=mime)
        safe = re.sub(r"[^\w.-]+", "_", wanted)[:60].strip("._") or "all"
        name = f"candidates-{session.pk}-{number}-{safe}.{suffix}"
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
    return render(
        request,
        "labelling/candidates.html",
        {
            "session": session,
            "number": number,
            "wanted": wanted,
            "classes": session.classes,
            "rows": exports.rows(table)[:500],
            "numeric": session.is_numeric,
            "n_rows": len(table["path"]),
        },
    )


@login_required
@require_GET
def samp_links(request, session_id, number):
    """Signed URLs of the sample as a VOTable (for TOPCAT), with the rows of the sample."""
    session = _session(request, session_id)
    round_ = _round(session, number)
    token = exports.sign_sample(round_)
    return JsonResponse(
        {
            "table_url": request.build_absolute_uri(
                reverse("labelling:signed_sample", args=[token])
            ),
            "table_id": exports.new_table_id(round_),
            "name": f"{session.name} round {number}",
        }
    )


@require_GET
def signed_sample(request, token):
    """The sample VOTable for a tool without a session (TOPCAT), while the link is valid."""
    try:
        round_ = exports.round_from_token(token)
    except LinkInvalid as exc:
        return HttpResponseNotFound(f"{exc}\n", content_type="text/plain; charset=utf-8")
    table = exports.sample_table(round_sample(round_), operations.states(round_.session))
    body, mime, _ = exports.render(table, "votable", f"{round_} sample")
    return HttpResponse(body, content_type=mime)
