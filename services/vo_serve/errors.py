"""What can go wrong in a request to a user's VO services, in one sentence each.

Every failure a client can cause is one of these exceptions; the web layer turns them into
the document the protocol asks for (a VOTable with ``QUERY_STATUS=ERROR`` for SSAP and
DataLink, ``text/plain`` for SODA). The message is written for the person at the client: it
names the parameter and what it should look like, never a server path.
"""

from __future__ import annotations


class VOServeError(ValueError):
    """A request the services cannot answer; ``code`` is the DALI/SODA error label."""

    code = "Error"
    status = 400


class UsageError(VOServeError):
    """A parameter that is missing, malformed or out of range (HTTP 400)."""

    code = "UsageError"
    status = 400


class NotFoundFault(VOServeError):
    """An identifier that names nothing of the caller's (HTTP 404)."""

    code = "NotFoundFault"
    status = 404
