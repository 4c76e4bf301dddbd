"""The UWS 1.1 REST binding: thin views over vocloud.uws.service."""

import logging
import time

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from rest_framework import exceptions
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.views import APIView

from vocloud.accounts.auth import LockedOut
from vocloud.content import OCTET_STREAM, content_response
from vocloud.files.operations import quota_for
from vocloud.files.uploads import LimitedUploadHandler, max_upload_bytes
from vocloud.portal.errors import DISK_FULL, is_disk_full
from vocloud.uws import events, links, service, storage, xml
from vocloud.uws.errors import NotFound, TooLarge, UsageError, UWSError
from vocloud.uws.http import (
    HttpResponseSeeOther,
    all_values,
    error,
    files_by_name,
    single_values,
    text,
    xml_response,
)
from vocloud.uws.models import Job, Phase
from vocloud.uws.phases import ACTIVE
from vocloud.uws.waiting import wait_slot

logger = logging.getLogger(__name__)


class UWSView(APIView):
    parser_classes = [FormParser, MultiPartParser]

    def initialize_request(self, request, *args, **kwargs):
        drf_request = super().initialize_request(request, *args, **kwargs)
        if request.method == "POST":
            # Job uploads stop while they stream in once a file is over the upload limit or
            # the request over the uploader's free quota (known by then: bodies are parsed
            # after authentication).
            self.upload_limit = LimitedUploadHandler(
                request, lambda: _uploader_quota(drf_request), max_upload_bytes()
            )
            request.upload_handlers.insert(0, self.upload_limit)
        return drf_request

    def uploaded_files(self) -> dict:
        """The request's files by UWS name; TooLarge if the upload was stopped."""
        files = files_by_name(self.request.FILES)
        limit = getattr(self, "upload_limit", None)
        if limit is not None and limit.refusal:
            raise TooLarge(limit.refusal)
        return files

    def perform_content_negotiation(self, request, force=False):
        # Views answer with their own media types (XML, text/plain, files), whatever Accept says.
        return super().perform_content_negotiation(request, force=True)

    def handle_exception(self, exc):
        if isinstance(exc, UWSError):
            return error(exc.code, str(exc), exc.status)
        if isinstance(exc, Http404):
            return error("NotFound", "no such resource", 404)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response = error("AuthenticationError", str(exc.detail), 401)
            header = self.get_authenticate_header(self.request)
            if header:
                response["WWW-Authenticate"] = header
            return response
        if isinstance(exc, LockedOut):
            # Too many failed log-ins: 429 says "wait", where a 401 would invite a retry now.
            response = error("AuthenticationError", str(exc.detail), exc.status_code)
            response["Retry-After"] = str(exc.wait)
            return response
        if isinstance(exc, exceptions.APIException):
            code = "PermissionDenied" if exc.status_code == 403 else "UsageError"
            return error(code, str(exc.detail), exc.status_code)
        if is_disk_full(exc):  # not a bug: say so, nothing was kept
            logger.warning(
                "UWS request on a full disk: %s %s", self.request.method, self.request.path
            )
            return error("ServiceUnavailable", DISK_FULL, 503)
        logger.exception("UWS request failed: %s %s", self.request.method, self.request.path)
        return error("ServiceError", "the service failed to answer; the error is logged", 500)

    # --- helpers used by the subclasses
    def kind(self):
        return service.kind_or_404(self.kwargs["kind"])

    def job(self) -> Job:
        return service.get_job(self.request.user, self.kind(), self.kwargs["job_id"])

    def jobs_url(self) -> str:
        return self.request.build_absolute_uri(reverse("uws:jobs", args=[self.kwargs["kind"]]))

    def job_url(self, job: Job) -> str:
        return f"{self.jobs_url()}/{job.job_id}"

    def to_job(self, job: Job) -> HttpResponseSeeOther:
        return HttpResponseSeeOther(self.job_url(job))


def _uploader_quota(request):
    """The quota of whoever sends the upload (None before they are known)."""
    user = getattr(request, "_user", None) or getattr(request._request, "user", None)
    return quota_for(user) if user is not None and user.is_authenticated else None


class JobListView(UWSView):
    def get(self, request, kind):
        kind_ = self.kind()
        query = request.query_params
        phases = [p.upper() for p in all_values(query, "PHASE")]
        unknown = [p for p in phases if p not in Phase.values]
        if unknown:
            raise UsageError(f"PHASE {unknown[0]!r} is not a UWS phase")
        values = single_values(query)
        after = service.parse_utc(values["AFTER"], "AFTER") if "AFTER" in values else None
        last = None
        if "LAST" in values:
            try:
                last = int(values["LAST"])
            except ValueError:
                raise UsageError("LAST must be a whole number greater than 0") from None
            if last <= 0:
                raise UsageError("LAST must be a whole number greater than 0")
            last = min(last, service.MAX_LAST)  # more than anyone has: no database overflow
        jobs = service.list_jobs(request.user, kind_, phases, after, last)
        owner = request.user.get_username()  # list_jobs lists only the user's own jobs
        return xml_response(xml.jobs_document(jobs, self.jobs_url(), owner))

    def post(self, request, kind):
        files = self.uploaded_files()
        job = service.create_job(request.user, self.kind(), single_values(request.POST), files)
        return self.to_job(job)


class JobView(UWSView):
    def get(self, request, kind, job_id):
        job = self.job()
        values = single_values(request.query_params)
        if "WAIT" in values:
            self._wait(job, values["WAIT"], values.get("PHASE"))
            job = self.job()  # as it is now
        job.owner = request.user  # get_job found it by its owner: no query for the name
        return xml_response(xml.job_document(job, self.job_url(job)))

    def _wait(self, job: Job, wait_text: str, phase: str | None) -> None:
        """Block until the phase changes or the wait (capped) runs out (UWS 1.1 §2.2.1.2)."""
        try:
            wait = int(wait_text)
        except ValueError:
            raise UsageError("WAIT must be a whole number of seconds") from None
        cap = settings.VOCLOUD_UWS_MAX_WAIT
        wait = cap if wait < 0 or wait > cap else wait
        if job.phase not in ACTIVE or (phase and phase.upper() != job.phase):
            return
        with wait_slot(self.request.user.pk) as allowed:
            if not allowed:
                return  # this user already holds their share of the web threads
            deadline = time.monotonic() + wait
            # Woken when the job's phase changes (vocloud.uws.events), not at a poll tick.
            with events.listening(job.pk) as pause:
                while True:
                    current = Job.objects.filter(pk=job.pk).values_list("phase", flat=True)
                    current = current.first()
                    if current is None:
                        raise NotFound("the job was destroyed while waiting")
                    if current != job.phase or (remaining := deadline - time.monotonic()) <= 0:
                        break
                    pause(remaining)

    def post(self, request, kind, job_id):
        job = self.job()
        action = single_values(request.POST).get("ACTION", "")
        if action.upper() != "DELETE":
            raise UsageError("POST to a job takes ACTION=DELETE")
        service.delete_job(job)
        return HttpResponseSeeOther(self.jobs_url())

    def delete(self, request, kind, job_id):
        service.delete_job(self.job())
        return HttpResponseSeeOther(self.jobs_url())


class PhaseView(UWSView):
    def get(self, request, kind, job_id):
        return text(self.job().phase)

    def post(self, request, kind, job_id):
        job = self.job()
        wanted = single_values(request.POST).get("PHASE", "").upper()
        if wanted == "RUN":
            service.run_job(job)
        elif wanted == "ABORT":
            service.abort_job(job, "Aborted at the owner's request.")
        else:
            raise UsageError("PHASE must be RUN or ABORT")
        return self.to_job(job)


class ExecutionDurationView(UWSView):
    def get(self, request, kind, job_id):
        return text(str(self.job().execution_duration))

    def post(self, request, kind, job_id):
        job = self.job()
        value = single_values(request.POST).get("EXECUTIONDURATION")
        if value is None:
            raise UsageError("EXECUTIONDURATION is missing")
        service.set_execution_duration(job, value)
        return self.to_job(job)


class DestructionView(UWSView):
    def get(self, request, kind, job_id):
        return text(xml.utc_text(self.job().destruction))

    def post(self, request, kind, job_id):
        job = self.job()
        value = single_values(request.POST).get("DESTRUCTION")
        if value is None:
            raise UsageError("DESTRUCTION is missing")
        service.set_destruction(job, value)
        return self.to_job(job)


class ErrorView(UWSView):
    def get(self, request, kind, job_id):
        job = self.job()
        if job.phase not in (Phase.ERROR, Phase.ABORTED) or not job.error_message:
            raise NotFound("the job has no error")
        # The sentence only: the traceback (error_detail) is for the log and the admin.
        return text(job.error_message)


class QuoteView(UWSView):
    def get(self, request, kind, job_id):
        self.job()
        return text("")  # no estimate is made


class OwnerView(UWSView):
    def get(self, request, kind, job_id):
        return text(self.job().owner.get_username())


class ParametersView(UWSView):
    def get(self, request, kind, job_id):
        job = self.job()
        return xml_response(xml.parameters_document(job, self.job_url(job)))

    def post(self, request, kind, job_id):
        job = self.job()
        service.update_parameters(job, single_values(request.POST), self.uploaded_files())
        return self.to_job(job)


class ParameterView(UWSView):
    def get(self, request, kind, job_id, name):
        job = self.job()
        upper = name.upper()
        if upper in job.uploads:
            path = storage.upload_path(job.job_id, upper, job.uploads[upper])
            if not path.is_file():
                raise NotFound(f"the file of {upper} is gone")
            return content_response(path, OCTET_STREAM, filename=job.uploads[upper])
        if upper in job.parameters:
            return text(str(job.parameters[upper]))
        raise NotFound(f"the job has no parameter {upper}")


class ResultsView(UWSView):
    def get(self, request, kind, job_id):
        job = self.job()
        return xml_response(xml.results_document(job, self.job_url(job)))


class ResultView(UWSView):
    def get(self, request, kind, job_id, result_id):
        job = self.job()
        result = job.results.filter(result_id=result_id).first()
        if result is None:
            raise NotFound(f"the job has no result {result_id!r}")
        return links.result_file_response(result)
