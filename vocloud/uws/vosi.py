"""VOSI capabilities and availability beside each kind's job list."""

from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import escape
from rest_framework.permissions import AllowAny

from vocloud.uws.errors import NotFound
from vocloud.uws.http import error
from vocloud.uws.kinds import get_kind
from vocloud.uws.views import UWSView

_CAPABILITIES = """<?xml version="1.0" encoding="UTF-8"?>
<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1">
  <capability standardID="ivo://ivoa.net/std/VOSI#capabilities">
    <interface xsi:type="vs:ParamHTTP"><accessURL use="full">{capabilities}</accessURL></interface>
  </capability>
  <capability standardID="ivo://ivoa.net/std/VOSI#availability">
    <interface xsi:type="vs:ParamHTTP"><accessURL use="full">{availability}</accessURL></interface>
  </capability>
  <capability standardID="ivo://ivoa.net/std/UWS#rest-1.1">
    <interface xsi:type="vs:ParamHTTP"><accessURL use="base">{jobs}</accessURL></interface>
  </capability>
</vosi:capabilities>
"""

_AVAILABILITY = """<?xml version="1.0" encoding="UTF-8"?>
<vosi:availability xmlns:vosi="http://www.ivoa.net/xml/VOSIAvailability/v1.0">
  <vosi:available>true</vosi:available>
  <vosi:note>service is accepting jobs</vosi:note>
</vosi:availability>
"""


class VOSIView(UWSView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def handle_exception(self, exc):
        if isinstance(exc, NotFound):
            return error("NotFound", str(exc), 404)
        return super().handle_exception(exc)

    def absolute(self, name: str) -> str:
        return escape(self.request.build_absolute_uri(reverse(name, args=[self.kwargs["kind"]])))


class CapabilitiesView(VOSIView):
    def get(self, request, kind):
        if get_kind(kind) is None:
            raise NotFound(f"no job kind {kind!r}")
        body = _CAPABILITIES.format(
            capabilities=self.absolute("uws:capabilities"),
            availability=self.absolute("uws:availability"),
            jobs=self.absolute("uws:jobs"),
        )
        return HttpResponse(body, content_type="application/xml; charset=utf-8")


class AvailabilityView(VOSIView):
    def get(self, request, kind):
        if get_kind(kind) is None:
            raise NotFound(f"no job kind {kind!r}")
        return HttpResponse(_AVAILABILITY, content_type="application/xml; charset=utf-8")
