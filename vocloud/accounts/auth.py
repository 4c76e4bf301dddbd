"""Authentication for scripts: HTTP Basic (cached) and API tokens, through DRF."""

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from rest_framework import authentication, exceptions

from vocloud.accounts.models import ApiToken, hash_key

BASIC_CACHE_SECONDS = 300


class CachedBasicAuthentication(authentication.BasicAuthentication):
    """HTTP Basic that checks a password hash once, then trusts a keyed digest of it.

    A password check costs ~0.3 s of CPU by design; pyvo polls a job several times a
    second. The cache holds an HMAC of (user, password), never the password, and is
    invalidated by any change of the stored password hash.
    """

    www_authenticate_realm = "vocloud"

    def authenticate_credentials(self, userid, password, request=None):
        digest = hmac.new(
            settings.SECRET_KEY.encode(), f"{userid}\0{password}".encode(), hashlib.sha256
        ).hexdigest()
        cached = cache.get(f"basic:{digest}")
        if cached is not None:
            user = get_user_model().objects.filter(pk=cached[0], is_active=True).first()
            if user is not None and user.password == cached[1]:
                return (user, None)
        user, auth = super().authenticate_credentials(userid, password, request)
        cache.set(f"basic:{digest}", (user.pk, user.password), BASIC_CACHE_SECONDS)
        return (user, auth)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>`` or ``Authorization: Bearer <key>``."""

    keywords = ("token", "bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        key = header[1].decode(errors="replace")
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        now = timezone.now()
        if token.last_used is None or (now - token.last_used).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        return (token.user, token)

    def authenticate_header(self, request):
        return 'Token realm="vocloud"'
