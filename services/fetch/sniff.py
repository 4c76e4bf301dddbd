"""Recognise what a server actually sent: an HTML page where data was expected."""

from __future__ import annotations

import logging
import re
from pathlib import Path

logger = logging.getLogger(__name__)

_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


def looks_like_html(head: bytes) -> bool:
    """True if ``head`` (the first bytes of a file) starts an HTML document."""
    return bool(_HTML_START.match(head[:4096]))


def html_title(head: bytes) -> str:
    """The page's ``<title>``, shortened, or ``""``."""
    found = _TITLE.search(head[:65536])
    if not found:
        return ""
    title = " ".join(found.group(1).decode("utf-8", "replace").split())
    return title[:80]


def html_instead_of_data(path: Path) -> str:
    """A message if the file at ``path`` is an HTML page, else ``""``.

    The page's title goes to the log only: what a server says is not shown to users.
    """
    with path.open("rb") as handle:
        head = handle.read(65536)
    if not looks_like_html(head):
        return ""
    logger.info("an HTML page instead of data (title %r)", html_title(head))
    return "the server sent an HTML page instead of data"
