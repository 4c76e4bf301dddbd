"""Signed, expiring links to a user's own files, for tools that carry no session.

TOPCAT and SPLAT, handed a file over SAMP, fetch its URL without a cookie: the token in
the URL names the owner and the path, and ``vocloud.signed_links`` makes it unforgeable
and expiring. The path is resolved inside the owner's space again on every use, so a
link never reaches outside it, and dies when the file is moved, renamed or deleted.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.contrib.auth import get_user_model
from django.urls import reverse

from services.storage import PathEscape
from services.storage import manager as storage
from services.storage.preview import preview_kind
from vocloud.files import operations
from vocloud.signed_links import LinkInvalid, sign, unsign

SALT = "vocloud.files.file"  # what these tokens are signed for (uws results use another)
MEDIA_TYPES = {"fits": "application/fits", "votable": "application/x-votable+xml"}


def signed_file_path(user, relative: str) -> str:
    """The URL path (no host) of a signed link to ``user``'s file ``relative``.

    Raises NoSuchPath or PathEscape, as the file manager does, for a path that is not one
    of the user's files.
    """
    space = operations.space_for(user)
    path = storage.existing(space, relative, folder=False)
    token = sign({"u": user.pk, "p": storage.relative_path(space, path)}, salt=SALT)
    return reverse("files:signed", args=[token])


def file_from_token(token: str) -> Path:
    """The file a token was signed for.

    Raises
    ------
    LinkInvalid
        If the token expired or was altered, or its file (or owner) is gone.
    """
    payload = unsign(token, salt=SALT)
    owner = get_user_model().objects.filter(pk=payload.get("u"), is_active=True).first()
    if owner is None:
        raise LinkInvalid("The owner of this file no longer has an account here.")
    try:
        return operations.file_path(owner, str(payload.get("p", "")))
    except (storage.NoSuchPath, PathEscape):
        raise LinkInvalid("The file of this link is gone (moved, renamed or deleted).") from None


def media_type(path: Path) -> str:
    """The media type a file is served (and described to SAMP tools) with."""
    kind = preview_kind(path)
    if kind in MEDIA_TYPES:
        return MEDIA_TYPES[kind]
    guessed, _encoding = mimetypes.guess_type(path.name)
    return guessed or ("text/plain" if kind == "text" else "application/octet-stream")
