"""Safe local file names for downloaded URLs."""

from __future__ import annotations

import re
from email.message import Message
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")
_SUFFIX_BY_TYPE = {
    "application/fits": ".fits",
    "image/fits": ".fits",
    "application/x-fits": ".fits",
    "application/x-votable+xml": ".vot",
    "text/xml": ".xml",
    "text/plain": ".txt",
    "text/csv": ".csv",
}


def clean_name(name: str, default: str = "download") -> str:
    """A base name without directories or odd characters (at most 150 characters)."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip("._") or default
    return base[-150:]


def disposition_name(header: str) -> str:
    """The ``filename`` of a ``Content-Disposition`` header, or ``""``."""
    if not header:
        return ""
    message = Message()
    message["content-disposition"] = header
    return message.get_filename() or ""


def name_for(url: str, content_type: str = "", disposition: str = "") -> str:
    """Local name for a download: the server's file name, else the URL's last segment.

    A name without a suffix gets one from the media type (``.fits``, ``.vot``...).
    """
    name = disposition_name(disposition) or unquote(urlsplit(url).path.rstrip("/"))
    base = clean_name(name)
    if "." not in base:
        media = content_type.split(";")[0].strip().lower()
        base += _SUFFIX_BY_TYPE.get(media, "")
    return base
