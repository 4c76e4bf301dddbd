"""Errors of the UWS domain, each with its HTTP status and DALI-style code."""


class UWSError(Exception):
    status = 400
    code = "UsageError"


class UsageError(UWSError):
    """A malformed or out-of-range value (400)."""


class NotFound(UWSError):
    status = 404
    code = "NotFound"


class IllegalState(UWSError):
    """A request the job's current phase forbids (403)."""

    status = 403
    code = "PermissionDenied"


class StorageFull(UWSError):
    """The platform's disk is full: nothing was stored, the request may be repeated (503)."""

    status = 503
    code = "ServiceUnavailable"
