from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from vocloud.files.operations import quota_for
from vocloud.files.uploads import LimitedUploadHandler, max_upload_bytes
from vocloud.portal.forms import job_form_class, uws_values
from vocloud.uws import links, service
from vocloud.uws.errors import IllegalState, NotFound, UWSError
from vocloud.uws.kinds import KINDS
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
    jobs = Job.objects.filter(owner=request.user).order_by("-creation_time")[:10]
    return render(request, "portal/home.html", {"jobs": jobs, "kinds": KINDS.values()})


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


@csrf_protect
def _new_job(request, kind):
    kind_ = _kind(kind)
    form_class = job_form_class(kind_, request.user)
    form = form_class(request.POST or None, request.FILES or None)
    refusal = request.upload_handlers[0].refusal if request.method == "POST" else ""
    if refusal:
        form.add_error(None, refusal)
    elif request.method == "POST" and form.is_valid():
        values, files = uws_values(kind_, form.cleaned_data)
        if "run" in request.POST:
            values["PHASE"] = "RUN"
        try:
            job = service.create_job(request.user, kind_, values, files)
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
            "status_url": reverse("portal:job_status", args=[kind, job_id]),
            "uws_url": request.build_absolute_uri(reverse("uws:job", args=[kind, job_id])),
        },
    )


@login_required
@require_GET
def job_status(request, kind, job_id):
    job = _job(request, kind, job_id)
    results = [
        {
            "id": r.result_id,
            "size": r.size,
            "mime_type": r.mime_type,
            "url": reverse("uws:result", args=[kind, job_id, r.result_id]),
            "signed_url": request.build_absolute_uri(links.signed_result_path(r)),
        }
        for r in job.results.all()
    ]
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
            "jobs_url": request.build_absolute_uri(reverse("uws:jobs", args=[kind_.name])),
            "service_url": request.build_absolute_uri(
                reverse("uws:jobs", args=[kind_.name])
            ).removesuffix("/async"),
        },
    )
