from django.views.decorators.http import require_GET

from vocloud.uws import links
from vocloud.uws.errors import NotFound
from vocloud.uws.http import error


@require_GET
def signed_result(request, token: str):
    """A result for a tool without a session; the signed token is the credential."""
    try:
        return links.result_file_response(links.result_from_token(token))
    except NotFound as exc:
        return error("NotFound", str(exc), 404)
