"""Signed, expiring tokens: the only credential of a link handed to a tool without a session.

TOPCAT and SPLAT (via SAMP) fetch a URL with no cookie, so the URL itself must say who may
have what, and for how long. Job results (``vocloud.uws.links``), stored files
(``vocloud.files.links``) and labelling samples (``vocloud.labelling.exports``) all sign
with this, each under its own salt, and all expire after ``VOCLOUD_SIGNED_URL_LIFETIME``
seconds.

Every token names its owner and carries the owner's link stamp
(:class:`vocloud.accounts.models.LinkGeneration`): :func:`revoke_all` replaces the stamp,
and every link the owner handed out before stops working at once. What a token points to
is the caller's business: each caller binds its object's identity (a file's inode, a
job's random id), not only a name or a primary key that may come back for something else.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing

from vocloud.accounts.models import LinkGeneration, new_link_stamp

NOT_VALID = "This link is not valid; ask its owner for a new one."


class LinkInvalid(Exception):
    """A token that is expired, tampered with, revoked or not ours; the message is for the user."""


def _stamp(owner) -> str:
    generation, _created = LinkGeneration.objects.get_or_create(user=owner)
    return generation.stamp


def sign(owner, payload: dict[str, Any], *, salt: str) -> str:
    """A URL-safe token carrying ``payload`` for ``owner``'s link (readable, not forgeable).

    The keys ``"u"`` (the owner) and ``"g"`` (the owner's link stamp) are added.
    """
    return signing.dumps({**payload, "u": owner.pk, "g": _stamp(owner)}, salt=salt, compress=True)


def unsign(token: str, *, salt: str, max_age: int | None = None) -> tuple[Any, dict[str, Any]]:
    """The owner and payload of a token signed with ``salt`` less than a lifetime ago
    (``max_age`` seconds, by default ``VOCLOUD_SIGNED_URL_LIFETIME``).

    Raises
    ------
    LinkInvalid
        If the token expired, was altered, was signed for another purpose, its owner's
        account is gone or inactive, or the owner revoked their links since.
    """
    try:
        lifetime = settings.VOCLOUD_SIGNED_URL_LIFETIME if max_age is None else max_age
        payload = signing.loads(token, salt=salt, max_age=lifetime)
    except signing.SignatureExpired:
        raise LinkInvalid("This link has expired; ask the portal for a new one.") from None
    except signing.BadSignature:
        raise LinkInvalid(NOT_VALID) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise LinkInvalid(NOT_VALID)
    owner = get_user_model().objects.filter(pk=payload["u"], is_active=True).first()
    if owner is None:
        raise LinkInvalid("The owner of this link no longer has an account here.")
    stamp = LinkGeneration.objects.filter(user=owner).values_list("stamp", flat=True).first()
    if stamp is None or payload.get("g") != stamp:
        raise LinkInvalid(NOT_VALID)  # revoked by its owner
    return owner, payload


def revoke_all(owner) -> None:
    """Make every link ``owner`` handed out so far invalid; links signed later work."""
    LinkGeneration.objects.update_or_create(user=owner, defaults={"stamp": new_link_stamp()})
