"""Signed, expiring tokens: the only credential of a link handed to a tool without a session.

TOPCAT and SPLAT (via SAMP) fetch a URL with no cookie, so the URL itself must say who may
have what, and for how long. Job results (``vocloud.uws.links``) and stored files
(``vocloud.files.links``) both sign with this, each under its own salt, and both expire
after ``VOCLOUD_SIGNED_URL_LIFETIME`` seconds.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing


class LinkInvalid(Exception):
    """A token that is expired, tampered with or not ours; the message is for the user."""


def sign(payload: dict[str, Any], *, salt: str) -> str:
    """A URL-safe token carrying ``payload`` (readable by anyone, forgeable by no one)."""
    return signing.dumps(payload, salt=salt, compress=True)


def unsign(token: str, *, salt: str) -> dict[str, Any]:
    """The payload of a token signed with ``salt`` less than a lifetime ago.

    Raises
    ------
    LinkInvalid
        If the token expired, was altered, or was signed for another purpose.
    """
    try:
        payload = signing.loads(token, salt=salt, max_age=settings.VOCLOUD_SIGNED_URL_LIFETIME)
    except signing.SignatureExpired:
        raise LinkInvalid("This link has expired; ask the portal for a new one.") from None
    except signing.BadSignature:
        raise LinkInvalid("This link is not valid.") from None
    if not isinstance(payload, dict):
        raise LinkInvalid("This link is not valid.")
    return payload
