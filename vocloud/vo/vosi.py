"""VOSI capabilities and availability of a user's VO services, written with vo-models."""

from django.http import HttpResponse
from vo_models.vodataservice.models import ParamHTTP
from vo_models.voresource.models import AccessURL, Capability
from vo_models.vosi.availability.models import Availability
from vo_models.vosi.capabilities.models import VOSICapabilities

from services.vo_serve.datalink import SODA_STANDARD
from services.vo_serve.ssa import DATALINK_STANDARD
from vocloud.vo.views import VOSIView

SSA_STANDARD = "ivo://ivoa.net/std/SSA"


def _xml(document) -> HttpResponse:
    body = document.to_xml(skip_empty=True, xml_declaration=True, encoding="UTF-8")
    return HttpResponse(body, content_type="application/xml; charset=utf-8")


def _capability(standard_id: str, url: str, use: str) -> Capability:
    interface = ParamHTTP(access_url=[AccessURL(value=url, use=use)])
    return Capability(standard_id=standard_id, interface=[interface])


class CapabilitiesView(VOSIView):
    def get(self, request, **kwargs):
        urls = self.urls
        document = VOSICapabilities(
            capability=[
                _capability(SSA_STANDARD, urls.ssa, "base"),
                _capability(DATALINK_STANDARD, urls.datalink, "full"),
                _capability(SODA_STANDARD, urls.soda, "full"),
                _capability("ivo://ivoa.net/std/VOSI#capabilities", urls.capabilities, "full"),
                _capability("ivo://ivoa.net/std/VOSI#availability", urls.availability, "full"),
            ]
        )
        return _xml(document)


class AvailabilityView(VOSIView):
    def get(self, request, **kwargs):
        return _xml(Availability(available=True, note=["your spectra are being served"]))
