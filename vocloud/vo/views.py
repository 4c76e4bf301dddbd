"""The VO endpoints: thin views over vocloud.vo.answers.

Each endpoint exists twice: under ``/vo/`` for clients that authenticate (API token,
password, portal session) and under ``/vo/c/<capability>/`` for those that cannot.
Failures answer what the protocol expects, in one sentence: a DALI error VOTable (SSAP,
DataLink, VOSI) or ``text/plain`` (SODA, files, previews); never a traceback or a path.
"""

import logging

from django.http import HttpResponse
from rest_framework import exceptions
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from services.vo_serve.documents import VOTABLE_MIME, error_votable
from services.vo_serve.errors import VOServeError
from vocloud.accounts.auth import LockedOut
from vocloud.content import content_response
from vocloud.vo import answers
from vocloud.vo.capability import CapabilityAuthentication, service_urls

logger = logging.getLogger(__name__)
DATALINK_MIME = f"{VOTABLE_MIME};content=datalink"


class VOView(APIView):
    parser_classes = [FormParser]  # DALI: GET or POST with form-encoded parameters
    text_errors = False  # SODA and files answer errors as text/plain

    def get_authenticators(self):
        capability = self.kwargs.get("cap")
        if capability is not None:
            return [CapabilityAuthentication(capability)]
        return super().get_authenticators()

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    @property
    def urls(self):
        return service_urls(self.request, self.kwargs.get("cap"))

    def params(self) -> dict[str, list[str]]:
        merged: dict[str, list[str]] = {}
        for source in (self.request.query_params, self.request.data):
            # a bodiless request's data is a plain {}; a form body's a QueryDict
            for name, values in source.lists() if hasattr(source, "lists") else ():
                merged.setdefault(name, []).extend(values)
        return merged

    def error(self, code: str, message: str, status: int) -> HttpResponse:
        if self.text_errors:
            body, mime = f"{code}: {message}".encode(), "text/plain; charset=utf-8"
        else:
            body, mime = error_votable(f"{code}: {message}"), VOTABLE_MIME
        return HttpResponse(body, content_type=mime, status=status)

    def handle_exception(self, exc):
        if isinstance(exc, VOServeError):
            return self.error(exc.code, str(exc), exc.status)
        if isinstance(exc, LockedOut):
            response = self.error("AuthenticationError", str(exc.detail), exc.status_code)
            response["Retry-After"] = str(exc.wait)
            return response
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response = self.error("AuthenticationError", str(exc.detail), 401)
            if "cap" not in self.kwargs:
                response["WWW-Authenticate"] = 'Basic realm="vocloud"'
            return response
        if isinstance(exc, exceptions.MethodNotAllowed):
            return self.error("UsageError", str(exc.detail), 405)
        if isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
            return self.error("UsageError", "the request body is not form-encoded", 400)
        return super().handle_exception(exc)  # anything else: the one-sentence 500 page


def votable(body: bytes, mime: str = VOTABLE_MIME) -> HttpResponse:
    return HttpResponse(body, content_type=mime)


class SsaView(VOView):
    def get(self, request, **kwargs):
        return votable(answers.ssa_answer(request.user, self.params(), self.urls))

    post = get


class CandidatesView(VOView):
    def get(self, request, job_id, **kwargs):
        params = self.params()
        return votable(answers.candidates_answer(request.user, job_id, params, self.urls))

    post = get


class DatalinkView(VOView):
    def get(self, request, **kwargs):
        return votable(answers.links_answer(request.user, self.params(), self.urls), DATALINK_MIME)

    post = get


class SodaView(VOView):
    text_errors = True

    def get(self, request, **kwargs):
        body = answers.cutout_answer(request.user, self.params())
        if body is None:  # the band holds no pixel of the spectrum: no data, no error
            return HttpResponse(status=204)
        return votable(body)

    post = get


class ThisView(VOView):
    text_errors = True

    def get(self, request, **kwargs):
        path, mime = answers.original_file(request.user, self.params())
        return content_response(path, mime)


class PreviewView(VOView):
    text_errors = True

    def get(self, request, **kwargs):
        response = HttpResponse(answers.preview_answer(request.user, self.params()))
        response["Content-Type"] = "image/png"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class VOSIView(VOView):
    # Capabilities and availability name no one's data: anybody may read them under /vo/;
    # under a capability the capability must still be valid.
    permission_classes = [AllowAny]
