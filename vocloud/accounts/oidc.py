"""vocloud as an OpenID Connect provider (django-oauth-toolkit): its claims and its tokens.

JupyterHub (deploy/jupyterhub) logs its users in here. The userinfo of a token with the
scopes ``openid profile vocloud`` says who the user is and where their storage lies:

``sub``
    the user's id (stable; a user name may change).
``preferred_username``, ``name``
    what JupyterHub calls the user and shows.
``vocloud_storage``
    the user's files, relative to the platform's data directory (``users/<id>/files``):
    the hub on the same host opens its file browser there.

An access token with the ``vocloud`` scope is also an API token of its user's
(:func:`access_token_user`): ``Authorization: Bearer <token>`` (or ``Token <token>``, as
vocloud.client sends it) on UWS and the JSON API, with that user's rights and no more.
Only clients an administrator registered are served (:class:`VocloudValidator`), and the
log-in page lets its form end at such a client's callback (:func:`allow_client_redirects`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from pathlib import PurePosixPath
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from oauth2_provider.models import get_access_token_model, get_application_model
from oauth2_provider.oauth2_validators import OAuth2Validator

from services.storage.layout import user_space

#: The scope a token needs to act on the platform as its user (not only to say who they are).
API_SCOPE = "vocloud"


def storage_claim(user_id: int) -> str:
    """``users/<id>/files``: the user's files, relative to the data directory."""
    return str(PurePosixPath(*user_space(PurePosixPath(), user_id).files.parts))


class VocloudValidator(OAuth2Validator):
    """django-oauth-toolkit's validator with vocloud's claims."""

    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "vocloud_storage": API_SCOPE,
    }

    def validate_client_id(self, client_id: str, request, *args, **kwargs) -> bool:
        # Only clients an administrator registered (manage.py jupyterhub_client, or the admin)
        # are served: one that any user registered at /o/applications/ could ask a colleague
        # to hand it a token for their whole account.
        if not super().validate_client_id(client_id, request, *args, **kwargs):
            return False
        owner = request.client.user
        return owner is None or owner.is_staff

    # A deactivated account keeps no access through tokens issued before: no userinfo (the
    # hub then asks for a log-in, which the portal refuses) and no refresh.
    def validate_bearer_token(self, token: str, scopes, request) -> bool:
        valid = super().validate_bearer_token(token, scopes, request)
        return valid and _active(request.user)

    def validate_refresh_token(self, refresh_token: str, client, request, *args, **kwargs) -> bool:
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        return valid and _active(request.user)

    def get_additional_claims(self, request) -> dict[str, str]:
        user = request.user
        return {
            "preferred_username": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
            "vocloud_storage": storage_claim(user.pk),
        }


def _active(user) -> bool:
    return user is not None and user.is_active


def access_token_user(key: str):
    """The active user whose unexpired ``vocloud``-scoped access token ``key`` is, else None.

    Tokens are found by their SHA-256, as django-oauth-toolkit stores them (the token
    itself is not kept: COMPLIANT_BCP_RFC9700_TOKEN_STORAGE); a revoked token is deleted.
    """
    checksum = hashlib.sha256(key.encode()).hexdigest()
    token = (
        get_access_token_model()
        .objects.select_related("user")
        .filter(token_checksum=checksum)
        .first()
    )
    if token is None or token.user is None or not token.is_valid([API_SCOPE]):
        return None
    return token.user if token.user.is_active else None


def client_login_origins(request: HttpRequest) -> list[str]:
    """The origins a log-in on this request may end at: the callbacks of the trusted client
    that sent the user here (``next`` is its ``/o/authorize/`` request), else none."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path != reverse("oauth2_provider:authorize"):
        return []
    client_id = parse_qs(parts.query).get("client_id", [""])[0]
    application = (
        get_application_model()
        .objects.filter(Q(user=None) | Q(user__is_staff=True))
        .filter(client_id=client_id, skip_authorization=True)
        .first()
    )
    if application is None:
        return []
    origins = set()
    for uri in application.redirect_uris.split():
        callback = urlsplit(uri)
        if callback.scheme in ("http", "https") and callback.netloc:
            origins.add(f"{callback.scheme}://{callback.netloc}")
    return sorted(origins)


def allow_client_redirects(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let the log-in form's redirects end at the trusted client that asked for the log-in.

    Browsers hold a form submission to the page's CSP ``form-action`` across all its
    redirects (log-in → /o/authorize/ → the hub's callback); with ``'self'`` alone Chromium
    stops at the hub. The log-in page of such a request also allows that client's origins.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        origins = client_login_origins(request)
        if origins:
            policy = getattr(response, "_csp_config", None) or settings.SECURE_CSP
            allowed = [*policy.get("form-action", []), *origins]
            response._csp_config = {**policy, "form-action": allowed}
        return response

    return wrapped
