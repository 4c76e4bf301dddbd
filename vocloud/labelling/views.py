"""Labelling pages and their JSON endpoints (the owner's sessions only)."""

import json
import re

import bokeh
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from services.datasets import list_datasets
from services.plots import BOKEH_JS, embed
from services.storage import user_space
from services.storage.manager import NoSuchPath, StorageError
from services.storage.paths import PathEscape
from vocloud.files import handoff
from vocloud.labelling import creation, exports, history, loop, operations
from vocloud.labelling.access import session_or_token
from vocloud.labelling.forms import ProposeForm, RoundForm, SessionForm
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
    try:
        made = creation.create_session(request.user, data)
    except creation.SessionRefused as exc:
        messages.error(request, str(exc))
        return None
    session = made.session
    messages.success(
        request, f"Session {session.name} created with {made.imported} imported labels."
    )
    if made.skipped:
        messages.warning(
            request,
            f"{len(made.skipped):,} rows of {data['import_file']} were skipped: their spectra "
            f"are not in the dataset {session.dataset} (the first: {made.skipped[0]!r}).",
        )
    return session


@login_required
@plot_page
def session_detail(request, session_id):
    session = _session(request, session_id)
    rounds = [loop.status(r) for r in session.rounds.select_related("train_job", "round_job")]
    measured = history.measured(rounds)  # a pool check's or a held-out accuracy
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
            "propose_form": ProposeForm(
                encoders=loop.encoder_choices(session), auto_id="propose_%s"
            ),
            "plot_script": script,
            "plot_div": div,
            "bokeh_js": BOKEH_JS,
        },
    )


@login_required
@require_POST
def round_start(request, session_id):
    session = _session(request, session_id)
    form = RoundForm(request.POST, classes=session.classes)
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
def round_propose(request, session_id):
    """A cold-start round: the platform proposes spectra to label (no training)."""
    session = _session(request, session_id)
    form = ProposeForm(request.POST, encoders=loop.encoder_choices(session))
    if not form.is_valid():
        messages.error(request, f"Proposal options: {form.errors.as_text()}")
        return redirect("labelling:session", session.pk)
    try:
        round_ = loop.propose_round(session, form.cleaned_data)
    except loop.LoopError as exc:
        messages.error(request, str(exc))
    else:
        k = round_.options["k"]
        messages.success(request, f"Round {round_.number}: proposing {k} spectra to label.")
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
        what = "proposing spectra" if loop.is_cold_start(round_) else what
        messages.success(request, f"Round {number} started again: {what}.")
    return redirect("labelling:session", session.pk)


@login_required
@require_GET
def round_status(request, session_id, number):
    return JsonResponse(loop.status(_round(_session(request, session_id), number)))


def _not_ready(round_: Round) -> tuple[int, str]:
    """Why the round cannot be labelled now: (message level, sentence), or (0, "")."""
    status = loop.status(round_)  # advances the round (and refreshes round_) first
    if status["failed"]:
        return messages.ERROR, f"Round {round_.number} cannot be labelled: {status['failed']}"
    if not status["ready"]:
        return messages.INFO, f"Round {round_.number} is not ready yet: its jobs are still running."
    return 0, ""


def _panel(session: Session, round_: Round) -> dict:
    """What the labelling panel shows (templates/labelling/_panel.html, label.js's start):
    the page and the notebook widget draw it from this one function."""
    sample = round_sample(round_)
    from services.learning.label_view import labelling_figures, point_columns  # bokeh

    columns = point_columns(
        sample, operations.states(session, list(sample["path"])), session.is_numeric
    )
    scatter, spectrum = labelling_figures(columns, session.classes, session.is_numeric)
    script, (scatter_div, spectrum_div) = embed((scatter, spectrum))
    number = round_.number
    base = reverse("labelling:session", args=[session.pk])
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
        # a cold-start round has no model: no predictions, no "Am I correct?"
        "model": not loop.is_cold_start(round_),
        "datasetSize": loop.dataset_size(session),
    }
    return {
        "session": session,
        "round": round_,
        "plot_script": script,
        "scatter_div": scatter_div,
        "spectrum_div": spectrum_div,
        "config": config,
        "counts": operations.counts(session),
        "performance": operations.performance(session),
    }


@login_required
@plot_page
def label_view(request, session_id, number):
    session = _session(request, session_id)
    round_ = _round(session, number)
    level, problem = _not_ready(round_)
    if problem:
        messages.add_message(request, level, problem)
        return redirect("labelling:session", session.pk)
    return render(request, "labelling/label.html", _panel(session, round_) | {"bokeh_js": BOKEH_JS})


#: The platform's static files the notebook widget runs, in order: BokehJS, sampjs and the
#: SAMP bridge, then the panel's own scripts (the same files as the page's).
WIDGET_SCRIPTS = [
    *BOKEH_JS,
    "vendor/sampjs/module-shim.js",
    "vendor/sampjs/samp.js",
    "js/samp-bridge.js",
    "labelling/lines.js",
    "labelling/label-samp.js",
    "labelling/label.js",
]
WIDGET_STYLES = ["labelling/label.css"]


@session_or_token
@require_GET
def widget(request, session_id, number=None):
    """The labelling panel for the notebook widget (vocloud/client/widget.py), as JSON:
    of round ``number``, or of the newest round that can be labelled."""
    session = _session(request, session_id)
    if number is None:
        rounds = session.rounds.order_by("-number")
        round_ = next((r for r in rounds if not _not_ready(r)[1]), None)
        problem = "" if round_ else "No round of this session is ready yet."
    else:
        round_ = _round(session, number)
        problem = _not_ready(round_)[1]
    if problem:
        return JsonResponse({"error": problem}, status=409)
    panel = _panel(session, round_)
    # Links open the platform in a new tab; the spectra's SAMP links come from this session's
    # own endpoint, which takes the token (the portal's file endpoint takes the session only).
    panel["config"]["fileLinksUrl"] = reverse("labelling:spectrum_links", args=[session.pk])
    site = request.build_absolute_uri("/").rstrip("/")
    html = render_to_string(
        "labelling/_panel.html", panel | {"site": site, "link_target": "_blank"}
    )
    return JsonResponse(
        {
            "html": html,
            "script": panel["plot_script"],
            "config": panel["config"],
            "counts": panel["counts"],
            "performance": panel["performance"],
            "scripts": [static(path) for path in WIDGET_SCRIPTS],
            "styles": [static(path) for path in WIDGET_STYLES],
            "bokeh": bokeh.__version__,
            "icon": request.build_absolute_uri(static("img/vocloud-samp.png")),
        }
    )


@session_or_token
@require_POST
def spectrum_links(request, session_id):
    """Signed links of the session's spectra for SPLAT (the widget's Send to SPLAT)."""
    session = _session(request, session_id)
    try:
        found = handoff.samp_files(
            session.owner, request.POST.getlist("paths"), "spectrum", request.build_absolute_uri
        )
    except (NoSuchPath, PathEscape):
        return JsonResponse({"error": "No such file or folder."}, status=404)
    except StorageError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({**found, "expires_in": settings.VOCLOUD_SIGNED_URL_LIFETIME})


#: The name of each round's one uncertainty number on the page: the acquisition score
#: (methods that choose a batch jointly rank by BALD per spectrum).
ACQUISITION_NAMES = {
    "bald": "BALD",
    "entropy": "entropy",
    "variation_ratios": "variation ratio",
    "mean_std": "mean STD",
    "random": "random score",
    "discovery": "P(target class)",
    "epistemic_variance": "epistemic variance",
    "predictive_variance": "predictive variance",
    "typicality": "typicality",
}


def _acquisition_name(round_: Round) -> str:
    if loop.is_cold_start(round_):
        return ACQUISITION_NAMES["typicality"]
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
    return JsonResponse(operations.answer(session, paths))


@session_or_token
@require_POST
def labels_api(request, session_id):
    session = _session(request, session_id)
    try:
        paths = operations.apply_body(session, _json_body(request))
    except operations.LabelError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return _label_response(session, paths)


@session_or_token
@require_POST
def undo_api(request, session_id):
    session = _session(request, session_id)
    return _label_response(session, operations.undo(session))


@login_required
@require_GET
def candidates(request, session_id, number):
    session = _session(request, session_id)
    round_ = _round(session, number)
    score = exports.score_column(round_)
    wanted = request.GET.get("class", "")
    table = exports.candidates(
        round_sample(round_), wanted, operations.states(session), score=score
    )
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
            "score": score,
            "numeric": session.is_numeric,
            "n_rows": len(table["path"]),
        },
    )


@session_or_token
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
    states = operations.states(round_.session)
    score = exports.score_column(round_)
    table = exports.sample_table(round_sample(round_), states, score=score)
    body, mime, _ = exports.render(table, "votable", f"{round_} sample")
    return HttpResponse(body, content_type=mime)
