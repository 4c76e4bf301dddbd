"""What the portal shows a user about their VO services (on the API tokens page)."""

from django.conf import settings

from vocloud.vo.capability import capability_for, service_urls


def service_links(request) -> dict:
    """The user's SSAP URL with a fresh capability, the one for token clients, and more."""
    with_capability = service_urls(request, capability_for(request.user))
    plain = service_urls(request, None)
    return {
        "ssa": with_capability.ssa,
        "ssa_token": plain.ssa,
        "candidates": with_capability.candidates("JOB_ID"),
        "capabilities": with_capability.capabilities,
        "days": settings.VOCLOUD_VO_URL_LIFETIME // 86400,
    }
