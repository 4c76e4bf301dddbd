"""Signed, expiring links to a user's own files, for tools that carry no session.

TOPCAT and SPLAT, handed a file over SAMP, fetch its URL without a cookie: the token in
the URL names the owner and the path, and ``vocloud.signed_links`` makes it unforgeable
and expiring. The path is resolved inside the owner's space again on every use, so a
link never reaches outside it, and dies when the file is moved, renamed or deleted.

A link is also bound to the file's identity (:func:`_identity`), so it dies when another
file takes the name: deleted and uploaded again, overwritten, or a file moved into its place.
"""

from __future__ import annotations

import fcntl
import hashlib
import mimetypes
import os
import struct
from pathlib import Path

from django.urls import reverse

from services.storage import PathEscape
from services.storage import manager as storage
from services.storage.preview import preview_kind
from vocloud.files import operations
from vocloud.signed_links import LinkInvalid, sign, unsign

SALT = "vocloud.files.file"  # what these tokens are signed for (uws results use another)
MEDIA_TYPES = {"fits": "application/fits", "votable": "application/x-votable+xml"}


# ioctl(FS_IOC_GETVERSION): the inode's generation, which ext4 and btrfs draw anew each
# time they hand out an inode number again (what NFS file handles use against inode reuse).
_FS_IOC_GETVERSION = 0x80087601
GONE = "The file of this link is gone (moved, renamed, replaced or deleted)."


def _identity(path: Path) -> str:
    """A short fingerprint of the file now at ``path``: device, inode, its generation, size,
    mtime and ctime (ns).

    The inode alone is not enough: ext4 hands a freed inode number to the next file created,
    so delete + upload under the same name usually gets the very same number. The generation
    tells such files apart where the filesystem keeps one; elsewhere the ctime does (the
    kernel sets it on every change, and no one can set it back, unlike the mtime that an
    archive's member may restore). Raises OSError for something that cannot be opened.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        try:
            generation = struct.unpack("l", fcntl.ioctl(fd, _FS_IOC_GETVERSION, bytes(8)))[0]
        except OSError:  # tmpfs, XFS...: the ctime has to do
            generation = 0
    finally:
        os.close(fd)
    facts = (st.st_dev, st.st_ino, generation, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    # 48 bits keep the token short; the token is signed, so this needs no secrecy, only to
    # differ between two files, which a 1-in-2**48 chance does.
    return hashlib.blake2b(repr(facts).encode(), digest_size=6).hexdigest()


def signed_file_path(user, relative: str) -> str:
    """The URL path (no host) of a signed link to ``user``'s file ``relative``.

    Raises NoSuchPath or PathEscape, as the file manager does, for a path that is not one
    of the user's files.
    """
    space = operations.space_for(user)
    path = storage.existing(space, relative, folder=False)
    try:
        identity = _identity(path)
    except OSError:
        raise storage.NoSuchPath(f"{relative!r}: not readable") from None
    payload = {"p": storage.relative_path(space, path), "i": identity}
    return reverse("files:signed", args=[sign(user, payload, salt=SALT)])


def file_from_token(token: str) -> Path:
    """The file a token was signed for.

    Raises
    ------
    LinkInvalid
        If the token expired, was altered or revoked, its owner is gone, or its file is
        gone or is another file now.
    """
    owner, payload = unsign(token, salt=SALT)
    try:
        path = operations.file_path(owner, str(payload.get("p", "")))
        if _identity(path) != payload.get("i"):
            raise LinkInvalid(GONE)
    except (storage.NoSuchPath, PathEscape, OSError):
        raise LinkInvalid(GONE) from None
    return path


def media_type(path: Path) -> str:
    """What a file is (as SAMP tools are told); vocloud.content decides how it is served."""
    kind = preview_kind(path)
    if kind in MEDIA_TYPES:
        return MEDIA_TYPES[kind]
    guessed, _encoding = mimetypes.guess_type(path.name)
    return guessed or ("text/plain" if kind == "text" else "application/octet-stream")
