"""What every JSON API view shares: JSON in and out, and one readable sentence on refusal.

Authentication is DRF's (``Authorization: Token <key>``, HTTP Basic, or the portal's
session, whose writes keep their CSRF check). Every refusal is ``{"error": "<sentence>"}``
with its status; a failure is logged and answers a sentence, never a traceback or a path
on the server.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.views import APIView

from vocloud.accounts.auth import LockedOut
from vocloud.portal.errors import DISK_FULL, is_disk_full

logger = logging.getLogger(__name__)

FAILED = "The server failed to answer this request; the error is logged."


class Refused(Exception):
    """A request the API answers with ``status`` and the sentence ``str(exc)``."""

    def __init__(self, sentence: str, status: int = 400):
        super().__init__(sentence)
        self.status = status


def error(sentence: str, status: int) -> JsonResponse:
    return JsonResponse({"error": sentence}, status=status)


class ApiView(APIView):
    parser_classes = [JSONParser]

    def perform_content_negotiation(self, request, force=False):
        # The views answer JSON or bytes of their own types, whatever Accept says.
        return super().perform_content_negotiation(request, force=True)

    def handle_exception(self, exc):
        if isinstance(exc, Refused):
            return error(str(exc), exc.status)
        if isinstance(exc, Http404):
            return error(str(exc) or "Not found.", 404)
        if isinstance(exc, RequestDataTooBig):  # DATA_UPLOAD_MAX_MEMORY_SIZE
            return error("The request body is too large for this endpoint.", 413)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response = error(_sentence(exc.detail), 401)
            header = self.get_authenticate_header(self.request)
            if header:
                response["WWW-Authenticate"] = header
            return response
        if isinstance(exc, LockedOut):
            response = error(_sentence(exc.detail), exc.status_code)
            response["Retry-After"] = str(exc.wait)
            return response
        if isinstance(exc, exceptions.APIException):
            return error(_sentence(exc.detail), exc.status_code)
        if is_disk_full(exc):
            logger.warning(
                "API request on a full disk: %s %s", self.request.method, self.request.path
            )
            return error(DISK_FULL, 503)
        logger.exception("API request failed: %s %s", self.request.method, self.request.path)
        return error(FAILED, 500)


def _sentence(detail) -> str:
    if isinstance(detail, dict):
        detail = next(iter(detail.values()), "")
    if isinstance(detail, list):
        detail = detail[0] if detail else ""
    text = str(detail).strip() or "The request was refused."
    return text if text.endswith((".", "?", "!")) else text + "."


def whole_number(text: str | None, name: str) -> int | None:
    """A non-negative integer from the query string (None when absent)."""
    if text in (None, ""):
        return None
    text = str(text).strip()
    if not (text.isascii() and text.isdigit() and len(text) < 19):
        raise Refused(f"{name} must be a whole number of 0 or more.")
    return int(text)
