"""Errors of the VO clients, each with a message a user can read."""


class VOError(Exception):
    """A VO service or document could not be used; the message says why in one sentence."""


class QueryError(VOError):
    """The service answered the query with an error (``QUERY_STATUS=ERROR``)."""


class ServiceError(VOError):
    """The service could not be reached or sent something that is not a VOTable."""
