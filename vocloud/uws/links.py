"""Result files: served to their owner, or to anyone holding a signed, expiring link.

Signed links are for tools that carry no session (TOPCAT, SPLAT via SAMP).
"""

from django.http import FileResponse
from django.urls import reverse

from vocloud import signed_links
from vocloud.uws import storage
from vocloud.uws.errors import NotFound
from vocloud.uws.models import Result

_SALT = "vocloud.uws.result"


def result_file_response(result: Result) -> FileResponse:
    try:
        path = storage.result_path(result.job.job_id, result.path)
    except ValueError:
        raise NotFound("the result file is not where it should be") from None
    if not path.is_file():
        raise NotFound(f"the file of result {result.result_id!r} is gone")
    response = FileResponse(path.open("rb"), content_type=result.mime_type)
    response["Content-Disposition"] = f'inline; filename="{path.name}"'
    return response


def signed_result_path(result: Result) -> str:
    token = signed_links.sign({"r": result.pk}, salt=_SALT)
    return reverse("uws:signed_result", args=[token])


def result_from_token(token: str) -> Result:
    try:
        data = signed_links.unsign(token, salt=_SALT)
    except signed_links.LinkInvalid as exc:
        raise NotFound(str(exc)) from None
    result = Result.objects.select_related("job").filter(pk=data.get("r")).first()
    if result is None:
        raise NotFound("the result no longer exists")
    return result
