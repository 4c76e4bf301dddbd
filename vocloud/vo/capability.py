"""Who is asking: an API token, a password or a portal session, or a capability URL.

VO desktop clients (TOPCAT's SSA window, Aladin, SPLAT) cannot log in or send a token, so a
user's services are also reachable under ``/vo/c/<capability>/``: the capability is a
signed token naming its owner (:mod:`vocloud.signed_links`), valid for
``VOCLOUD_VO_URL_LIFETIME`` and revoked with every other signed link of the owner. Every URL
a document hands out stays under the prefix it was asked through, so a client that followed
the capability URL keeps it, and one that sent a token keeps sending it.
"""

from django.conf import settings
from django.urls import reverse
from rest_framework import authentication, exceptions

from services.vo_serve.urls import ServiceUrls
from vocloud.signed_links import LinkInvalid, sign, unsign

SALT = "vocloud.vo.capability"


def capability_for(owner) -> str:
    return sign(owner, {"vo": 1}, salt=SALT)


def owner_of(capability: str):
    """The owner a capability names; LinkInvalid (one sentence) when it is not valid."""
    owner, payload = unsign(capability, salt=SALT, max_age=settings.VOCLOUD_VO_URL_LIFETIME)
    if payload.get("vo") != 1:
        raise LinkInvalid("This link is not a VO service link.")
    return owner


class CapabilityAuthentication(authentication.BaseAuthentication):
    """The capability in the URL is the credential; no header is read."""

    def __init__(self, capability: str) -> None:
        self.capability = capability

    def authenticate(self, request):
        try:
            return (owner_of(self.capability), None)
        except LinkInvalid as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None


def service_urls(request, capability: str | None) -> ServiceUrls:
    """The absolute service base this request came through (plain, or with its capability)."""
    if capability is None:
        where = reverse("vo:capabilities")
    else:
        where = reverse("vo:capabilities-cap", args=[capability])
    base = request.build_absolute_uri(where[: -len("/capabilities")])
    return ServiceUrls(base)
