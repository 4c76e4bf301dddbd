"""HTTP plumbing of the UWS API: case-insensitive parameters, 303s, text/plain errors."""

from django.http import HttpResponse, HttpResponseRedirect

XML_TYPE = "application/xml; charset=utf-8"


class HttpResponseSeeOther(HttpResponseRedirect):
    status_code = 303


def text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def xml_response(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type=XML_TYPE)


def error(code: str, message: str, status: int) -> HttpResponse:
    """A DALI-style error: text/plain ``Code: message``."""
    return text(f"{code}: {message}\n", status=status)


def single_values(query) -> dict[str, str]:
    """Parameter name (upper-cased) -> its last value, from a QueryDict."""
    return {name.upper(): values[-1] for name, values in query.lists() if values}


def all_values(query, name: str) -> list[str]:
    """Every value of ``name``, whatever the case of the name in the request."""
    wanted = name.upper()
    return [v for key, values in query.lists() if key.upper() == wanted for v in values]


def files_by_name(files) -> dict:
    return {name.upper(): files[name] for name in files}
