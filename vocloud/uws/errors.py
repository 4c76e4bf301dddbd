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


class TooLarge(UWSError):
    """An upload over the size limit or the owner's free quota; nothing was kept (413)."""

    status = 413
    code = "UsageError"


class TooManyJobs(UWSError):
    """The owner has as many jobs (or active jobs) as one user may have (429)."""

    status = 429
    code = "UsageError"
