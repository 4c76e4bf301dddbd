from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from services.storage.listing import human_size
from vocloud.accounts import overview
from vocloud.accounts.notify import wants_mail
from vocloud.files.operations import quota_for, space_for
from vocloud.files.uploads import LimitedUploadHandler, max_upload_bytes
from vocloud.portal.forms import initial_from, job_form_class, parameter_rows, uws_values
from vocloud.portal.presenters import PRESENTERS, present, render_presentation
from vocloud.uws import links, service
from vocloud.uws.errors import IllegalState, NotFound, UWSError
from vocloud.uws.kinds import KINDS, Kind
from vocloud.uws.models import Job, Phase
from vocloud.uws.phases import ACTIVE


@require_GET
def alive(request):
    """Liveness: the web process answers (no database); a bare Django view."""
    return HttpResponse("ok\n", content_type="text/plain")


@require_GET
def health(request):
    """Readiness: the web process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok\n", content_type="text/plain")


def _kind(name):
    try:
        return service.kind_or_404(name)
    except NotFound as exc:
        raise Http404(str(exc)) from None


def _job(request, kind_name, job_id):
    try:
        return service.get_job(request.user, _kind(kind_name), job_id)
    except NotFound as exc:
        raise Http404(str(exc)) from None


@login_required
def home(request):
    # The labelling loop first: the user's sessions, then their jobs, then the rest.
    return render(
        request,
        "portal/home.html",
        {
            "sessions": overview.recent_sessions(request.user),
            "jobs": overview.recent_jobs(request.user),
            "kinds": overview.kinds_for_home(),
        },
    )


@login_required
def job_list(request):
    kind, phase = request.GET.get("kind", ""), request.GET.get("phase", "")
    jobs = Job.objects.filter(owner=request.user)
    if kind:
        jobs = jobs.filter(kind=kind)
    if phase:
        jobs = jobs.filter(phase=phase)
    return render(
        request,
        "portal/job_list.html",
        {
            "jobs": jobs.order_by("-creation_time")[:200],
            "kinds": KINDS.values(),
            "phases": Phase.values,
            "kind": kind,
            "phase": phase,
        },
    )


@csrf_exempt  # the upload limit must be in place before the CSRF check reads the body
@login_required
def new_job(request, kind):
    if request.method == "POST":
        limit = LimitedUploadHandler(request, quota_for(request.user), max_upload_bytes())
        request.upload_handlers.insert(0, limit)
    return _new_job(request, kind)


def _initial(request, kind: Kind) -> dict:
    """Initial values to "run again with these parameters": ``?from=<one of the user's jobs>``."""
    source = request.GET.get("from", "")
    if not source or request.method != "GET":
        return {}
    job = Job.objects.filter(owner=request.user, kind=kind.name, job_id=source[:64]).first()
    if job is None:
        messages.warning(request, "That job is not one of yours; the form shows the defaults.")
        return {}
    again = "; files must be uploaded again" if job.uploads else ""
    messages.info(request, f"The form holds the parameters of job {job.job_id}{again}.")
    return initial_from(kind, job)


@csrf_protect
def _new_job(request, kind):
    kind_ = _kind(kind)
    form_class = job_form_class(kind_, request.user)
    form = form_class(request.POST or None, request.FILES or None, initial=_initial(request, kind_))
    refusal = request.upload_handlers[0].refusal if request.method == "POST" else ""
    if refusal:
        form.add_error(None, refusal)
    elif request.method == "POST" and form.is_valid():
        values, files = uws_values(kind_, form.cleaned_data)
        if "run" in request.POST:
            values["PHASE"] = "RUN"
        try:
            job = service.create_job(
                request.user, kind_, values, files, notify=wants_mail(request.user)
            )
        except UWSError as exc:  # bad values, too large, too many jobs, a full disk
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Job {job.job_id} created.")
            return redirect("portal:job", kind=kind_.name, job_id=job.job_id)
    return render(request, "portal/job_new.html", {"kind": kind_, "form": form})


@login_required
def job_detail(request, kind, job_id):
    job = _job(request, kind, job_id)
    return render(
        request,
        "portal/job_detail.html",
        {
            "job": job,
            "kind": _kind(kind),
            "active": job.phase in ACTIVE,
            "presentation": render_presentation(present(job, space_for(request.user))),
            "results": _result_rows(request, job),
            "presents": job.kind in PRESENTERS,
            "status_url": reverse("portal:job_status", args=[kind, job_id]),
            "uws_url": request.build_absolute_uri(reverse("uws:job", args=[kind, job_id])),
        },
    )


def _result_rows(request, job) -> list[dict]:
    return [
        {
            "id": r.result_id,
            "size": r.size,
            "size_text": human_size(r.size),
            "mime_type": r.mime_type,
            "url": reverse("uws:result", args=[job.kind, job.job_id, r.result_id]),
            # only tables and spectra go to TOPCAT/SPLAT (a model file or a plot does not)
            "signed_url": request.build_absolute_uri(links.signed_result_path(r))
            if _for_vo_tools(r)
            else None,
        }
        for r in job.results.all()
    ]


@login_required
@require_GET
def job_status(request, kind, job_id):
    job = _job(request, kind, job_id)
    results = _result_rows(request, job)
    return JsonResponse(
        {
            "phase": job.phase,
            "active": job.phase in ACTIVE,
            "progress": job.progress,
            "message": job.progress_message,
            "error": job.error_message,
            "start_time": job.start_time.isoformat() if job.start_time else None,
            "end_time": job.end_time.isoformat() if job.end_time else None,
            "results": results,
        }
    )


VO_TOOL_TYPES = ("votable", "fits")
VO_TOOL_SUFFIXES = (".vot", ".fits", ".fit", ".fits.gz", ".fit.gz")


def _for_vo_tools(result) -> bool:
    return any(
        t in result.mime_type.lower() for t in VO_TOOL_TYPES
    ) or result.path.lower().endswith(VO_TOOL_SUFFIXES)


@login_required
@require_POST
def job_action(request, kind, job_id, action):
    job = _job(request, kind, job_id)
    try:
        if action == "run":
            service.run_job(job)
        elif action == "abort":
            service.abort_job(job, "Aborted from the portal.")
        elif action == "delete":
            service.delete_job(job)
            messages.success(request, f"Job {job_id} deleted.")
            return redirect("portal:jobs")
        else:
            raise Http404("no such action")
    except IllegalState as exc:
        messages.error(request, str(exc))
    return redirect("portal:job", kind=kind, job_id=job_id)


def kind_list(request):
    return render(request, "portal/kind_list.html", {"kinds": KINDS.values()})


def kind_detail(request, kind):
    kind_ = _kind(kind)
    return render(
        request,
        "portal/kind_detail.html",
        {
            "kind": kind_,
            "parameters": parameter_rows(kind_),
            "jobs_url": request.build_absolute_uri(reverse("uws:jobs", args=[kind_.name])),
            "service_url": request.build_absolute_uri(
                reverse("uws:jobs", args=[kind_.name])
            ).removesuffix("/async"),
        },
    )
