"""Who may call the labelling panel's JSON endpoints: the portal session, or an API token.

The portal page calls them with its session cookie (and the CSRF token on a POST); the
notebook widget (vocloud/client/widget.py) calls them from the kernel with the user's API
token. A request with an ``Authorization`` header is authenticated by DRF's token
authenticator and needs no CSRF token (a browser never adds that header on its own, so
another site cannot forge it); every other request goes the session's way, CSRF included.
The views' owner checks are the same for both.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from rest_framework import exceptions
from rest_framework.request import Request

from vocloud.accounts.auth import ApiTokenAuthentication


def session_or_token(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``login_required`` and CSRF for the portal's session; the API token for scripts."""
    by_session = login_required(csrf_protect(view))

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if "HTTP_AUTHORIZATION" not in request.META:
            return by_session(request, *args, **kwargs)
        try:
            found = ApiTokenAuthentication().authenticate(Request(request))
        except exceptions.AuthenticationFailed as exc:
            found, reason = None, str(exc.detail)
        else:
            reason = "Give an API token: Authorization: Token <key>."
        if found is None:
            response = JsonResponse({"error": reason}, status=401)
            response["WWW-Authenticate"] = ApiTokenAuthentication().authenticate_header(request)
            return response
        request.user = found[0]
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapped)
