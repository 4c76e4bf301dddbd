"""VOSI capabilities and availability beside each kind's job list."""

from django.http import HttpResponse
from django.urls import reverse
from rest_framework.permissions import AllowAny
from vo_models.vodataservice.models import ParamHTTP
from vo_models.voresource.models import AccessURL, Capability
from vo_models.vosi.availability.models import Availability
from vo_models.vosi.capabilities.models import VOSICapabilities

from vocloud.uws.errors import NotFound
from vocloud.uws.http import error
from vocloud.uws.kinds import get_kind
from vocloud.uws.views import UWSView

CAPABILITIES = {  # standardID -> (URL name, accessURL use)
    "ivo://ivoa.net/std/VOSI#capabilities": ("uws:capabilities", "full"),
    "ivo://ivoa.net/std/VOSI#availability": ("uws:availability", "full"),
    "ivo://ivoa.net/std/UWS#rest-1.1": ("uws:jobs", "base"),
}


def _xml(document) -> HttpResponse:
    body = document.to_xml(skip_empty=True, xml_declaration=True, encoding="UTF-8")
    return HttpResponse(body, content_type="application/xml; charset=utf-8")


class VOSIView(UWSView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def handle_exception(self, exc):
        if isinstance(exc, NotFound):
            return error("NotFound", str(exc), 404)
        return super().handle_exception(exc)

    def absolute(self, name: str) -> str:
        return self.request.build_absolute_uri(reverse(name, args=[self.kwargs["kind"]]))


class CapabilitiesView(VOSIView):
    def get(self, request, kind):
        if get_kind(kind) is None:
            raise NotFound(f"no job kind {kind!r}")
        document = VOSICapabilities(
            capability=[
                Capability(
                    standard_id=standard,
                    interface=[
                        ParamHTTP(access_url=[AccessURL(value=self.absolute(name), use=use)])
                    ],
                )
                for standard, (name, use) in CAPABILITIES.items()
            ]
        )
        return _xml(document)


class AvailabilityView(VOSIView):
    def get(self, request, kind):
        if get_kind(kind) is None:
            raise NotFound(f"no job kind {kind!r}")
        return _xml(Availability(available=True, note=["service is accepting jobs"]))
