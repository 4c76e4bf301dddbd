"""What a failed request answers: one readable sentence, never a traceback or a path.

A full disk (of the data directory or of the database) is not a bug: it answers 503 with a
sentence saying that nothing was saved, from wherever it struck (a view, or the session
middleware saving a login); anything else answers the generic 500 sentence and is logged.
"""

import errno
import sys

from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

DISK_FULL = "The server's disk is full: nothing was saved. Please try again later."
FAILED = "The server could not answer this request; the error is logged for the administrators."


def is_disk_full(exc: BaseException | None) -> bool:
    """A full disk or quota, as the file system or the database reports it."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(exc, DatabaseError) and any(
            text in str(exc).lower()
            for text in ("disk is full", "no space left", "could not extend file")
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request) -> HttpResponse:
    """Django's handler500: called while the request's exception is being handled.

    Rendered without the request's context (no database query: the database may be what
    failed).
    """
    full = is_disk_full(sys.exc_info()[1])
    status, sentence = (503, DISK_FULL) if full else (500, FAILED)
    wants_json = "json" in request.headers.get("Accept", "") or "json" in request.headers.get(
        "Content-Type", ""
    )
    if wants_json:  # the pages' own API calls (labels, links) read an "error" field
        return JsonResponse({"error": sentence}, status=status)
    body = render_to_string("errors/failed.html", {"sentence": sentence, "status": status})
    return HttpResponse(body, status=status)
