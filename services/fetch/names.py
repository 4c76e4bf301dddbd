"""Safe local names for remote files: a remote name is sanitised, never joined as a path.

URL path segments (after percent-decoding), FTP names and ``Content-Disposition`` file
names become single file names made of letters, digits and ``._+-`` only, never ``.``,
``..`` or empty, with no separator left in them. Where they are stored is decided by the
user's storage (``services.storage``), which contains every path it is given.
"""

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


def safe_segment(segment: str, default: str = "_") -> str:
    """One remote path segment (already percent-decoded) as a safe folder or file name.

    Separators inside the segment do not survive as separators: ``"a/b"`` -> ``"a_b"``,
    ``".."`` -> ``default``.
    """
    return clean_name(segment.replace("/", "_").replace("\\", "_"), default)


def relative_folder(url: str, root: str) -> str:
    """The folder of ``url`` under the listing ``root``, as safe names joined by ``/``.

    ``http://h/data/n1/raw/a.fits`` under ``http://h/data/`` -> ``"n1/raw"``. Each segment is
    percent-decoded, then sanitised (:func:`safe_segment`); a URL outside ``root`` gives ``""``.
    """
    base = urlsplit(root if root.endswith("/") else root + "/").path
    path = urlsplit(url).path
    if not path.startswith(base):
        return ""
    segments = path[len(base) :].split("/")[:-1]  # the last one is the file
    return "/".join(safe_segment(unquote(s)) for s in segments if s)


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
