"""Authentication for scripts: HTTP Basic (cached) and API tokens, through DRF."""

import hashlib
import hmac
from functools import cache

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache as shared_cache
from django.db import connection
from django.utils import timezone
from rest_framework import authentication, exceptions

from vocloud.accounts.models import ApiToken, hash_key
from vocloud.accounts.oidc import access_token_user
from vocloud.accounts.throttling import (
    attempt_request,
    lockout_sentence,
    retry_after,
    surely_allowed,
)

BASIC_CACHE_SECONDS = 300


class LockedOut(exceptions.APIException):
    """Too many failed log-ins from this client: HTTP 429, with the wait in Retry-After."""

    status_code = 429
    default_code = "locked_out"

    def __init__(self, seconds: int):
        super().__init__(lockout_sentence(seconds))
        self.wait = seconds  # DRF's own exception handler turns this into Retry-After


class CachedBasicAuthentication(authentication.BasicAuthentication):
    """HTTP Basic that checks a password hash once, then trusts a keyed digest of it.

    A password check costs ~0.3 s of CPU by design; pyvo polls a job several times a
    second. The cache holds an HMAC of (user, password), never the password, and is
    invalidated by any change of the stored password hash.

    Failures count towards the same lockout as the log-in form (django-axes, see
    vocloud/accounts/throttling.py); a locked-out client gets ``LockedOut`` (HTTP 429), even
    with the right password, and even when that password is in the cache.
    """

    www_authenticate_realm = "vocloud"

    def authenticate_credentials(self, userid, password, request=None):
        if not _possible_username(userid):
            # Such a name has no account; refused here, before it reaches a database column.
            raise exceptions.AuthenticationFailed("Invalid username/password.")
        attempt = attempt_request(request)
        credentials = get_credentials(userid)
        digest = hmac.new(
            settings.SECRET_KEY.encode(), f"{userid}\0{password}".encode(), hashlib.sha256
        ).hexdigest()
        cached = shared_cache.get(f"basic:{digest}")
        if cached is not None:
            # A cache hit proves the password right: a locked-out guesser must not learn that.
            if (
                settings.AXES_ENABLED
                and not surely_allowed(attempt)
                and not AxesProxyHandler.is_allowed(attempt, credentials)
            ):
                raise LockedOut(retry_after(attempt, credentials))
            user = _active_user(cached[0])
            if user is not None and user.password == cached[1]:
                return (user, None)
        try:
            user, auth = super().authenticate_credentials(userid, password, attempt)
        except exceptions.AuthenticationFailed:
            # Axes marks the request it saw when this failure locked the client out, or when
            # the client was locked out already (then no password was checked at all).
            if getattr(attempt, "axes_locked_out", False):
                raise LockedOut(retry_after(attempt, credentials)) from None
            raise
        if settings.AXES_ENABLED and settings.AXES_RESET_ON_SUCCESS:
            # As a log-in through the form does: the right password clears this name's
            # failures from this address (DRF sends no user_logged_in for axes to act on).
            AxesProxyHandler.get_implementation().reset_user_attempts(attempt, credentials)
        shared_cache.set(f"basic:{digest}", (user.pk, user.password), BASIC_CACHE_SECONDS)
        return (user, auth)


@cache
def _active_user_lookup() -> str:
    model, qn = get_user_model(), connection.ops.quote_name
    pk = model._meta.pk.column
    return f"SELECT * FROM {qn(model._meta.db_table)} WHERE {qn(pk)} = %s AND is_active"


def _active_user(pk: int):
    """The active user ``pk``, in one plain query (the ORM's query building costs more than
    the look-up; every cached Basic request makes it)."""
    return next(iter(get_user_model().objects.raw(_active_user_lookup(), [pk])), None)


def _possible_username(userid: str) -> bool:
    field = get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD)
    return "\0" not in userid and len(userid) <= (field.max_length or 255)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>`` or ``Authorization: Bearer <key>``.

    The key is an API token (Settings → Tokens) or an OAuth2 access token with the
    ``vocloud`` scope that this platform issued (JupyterHub puts one in a notebook's
    ``VOCLOUD_TOKEN``: vocloud/accounts/oidc.py); either acts as its user, nobody else.
    """

    keywords = ("token", "bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        key = header[1].decode(errors="replace")
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None:
            user = access_token_user(key)
            if user is None:
                raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
            return (user, None)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        now = timezone.now()
        if token.last_used is None or (now - token.last_used).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        return (token.user, token)

    def authenticate_header(self, request):
        return 'Token realm="vocloud"'
