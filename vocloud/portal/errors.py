"""What a failed request answers: one readable sentence, never a traceback or a path.

Every error page (403, 404, 500, 503) is ``templates/errors/page.html``: the site's look and
navigation around the sentence. 403 and 404 are rendered with the request's context (the
top bar knows who is logged in); 500 without it (no database query: the database may be what
failed), with a navigation that needs none.

A full disk (of the data directory or of the database) is not a bug: it answers 503 with a
sentence saying that nothing was saved, from wherever it struck (a view, or the session
middleware saving a login); anything else answers the generic 500 sentence and is logged.
"""

import errno
import sys

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

DISK_FULL = "The server's disk is full: nothing was saved. Please try again later."
FAILED = "The server could not answer this request; the error is logged for the administrators."
NOT_FOUND = "There is no such page here, or it is not yours to see."
FORBIDDEN = "You may not do this here. If you think you should, log in again and retry."
CSRF = "This form had expired or did not come from this site. Reload the page and try again."
TITLES = {403: "Not allowed", 404: "Not found", 500: "Something went wrong", 503: "Not saved"}


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
    if _wants_json(request):  # the pages' own API calls (labels, links) read an "error" field
        return JsonResponse({"error": sentence}, status=status)
    context = {
        "sentence": sentence,
        "status": status,
        "title": TITLES[status],
        "site_name": settings.SITE_NAME,
        "bare": True,
    }
    return HttpResponse(render_to_string("errors/page.html", context), status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's handler404: the same sentence whether the thing is missing or someone else's.

    The exception's own text is not shown: it may name what the asker must not learn exists.
    """
    return _page(request, 404, NOT_FOUND)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's handler403."""
    return _page(request, 403, FORBIDDEN)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """For ``CSRF_FAILURE_VIEW``: a refused form answers the site's 403 page, not Django's.

    ``reason`` (Django's technical wording) goes to no one.
    """
    return _page(request, 403, CSRF)


def _wants_json(request: HttpRequest) -> bool:
    return "json" in request.headers.get("Accept", "") or "json" in request.headers.get(
        "Content-Type", ""
    )


def _page(request: HttpRequest, status: int, sentence: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": sentence}, status=status)
    context = {"sentence": sentence, "status": status, "title": TITLES[status]}
    body = render_to_string("errors/page.html", context, request=request)
    return HttpResponse(body, status=status)
