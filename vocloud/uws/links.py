"""Result files: served to their owner, or to anyone holding a signed, expiring link.

Signed links are for tools that carry no session (TOPCAT, SPLAT via SAMP).
"""

from django.http import FileResponse
from django.urls import reverse

from vocloud import signed_links
from vocloud.content import content_response
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
    # HTML results are the Bokeh plots that jobs write: shown, in a sandbox of their own.
    return content_response(path, result.mime_type, sandboxed_html=True)


def signed_result_path(result: Result) -> str:
    # The job's random id and the result's name, not the row's primary key: a key may come
    # back for another job (a database restored or its sequence reset), a job id does not.
    job = result.job
    payload = {"j": job.job_id, "r": result.result_id}
    token = signed_links.sign(job.owner, payload, salt=_SALT)
    return reverse("uws:signed_result", args=[token])


def result_from_token(token: str) -> Result:
    try:
        owner, data = signed_links.unsign(token, salt=_SALT)
    except signed_links.LinkInvalid as exc:
        raise NotFound(str(exc)) from None
    result = (
        Result.objects.select_related("job")
        .filter(job__job_id=str(data.get("j")), result_id=str(data.get("r")), job__owner=owner)
        .first()
    )
    if result is None:
        raise NotFound("the result no longer exists")
    return result
