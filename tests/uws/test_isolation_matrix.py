"""Who may do what: anonymous, alice (owner), bob (another user), staff x every URL.

The expectations are data: one row per request, one column per persona. Bob and staff get
404 for alice's job (its existence is not revealed), anonymous gets 401 from the API and a
redirect to the login page from the portal.
"""

import pytest
from django.http import HttpRequest

from tests.conftest import basic
from tests.support.platform import PASSWORDS
from vocloud.uws import links
from vocloud.uws.models import Job

LOGIN = "login"  # a redirect to the login page

UWS_GETS = [
    "",
    "/phase",
    "/executionduration",
    "/destruction",
    "/quote",
    "/owner",
    "/parameters",
    "/parameters/ATTACHMENT",
    "/parameters/NOTE",
    "/results",
    "/results/result",
    "/error",
]
UWS_POSTS = [
    ("/phase", {"PHASE": "RUN"}),
    ("/phase", {"PHASE": "ABORT"}),
    ("/executionduration", {"EXECUTIONDURATION": "5"}),
    ("/destruction", {"DESTRUCTION": "2030-01-01T00:00:00Z"}),
    ("/parameters", {"NOTE": "changed"}),
    ("", {"ACTION": "DELETE"}),
]

#            request                          anonymous alice bob  staff
MATRIX = [
    *[(("GET", f"uws{r}", None), (401, 404 if r == "/error" else 200, 404, 404)) for r in UWS_GETS],
    *[(("POST", f"uws{r}", data), (401, None, 404, 404)) for r, data in UWS_POSTS],
    (("DELETE", "uws", None), (401, None, 404, 404)),
    (("GET", "portal/", None), (LOGIN, 200, 404, 404)),
    (("GET", "portal/status.json", None), (LOGIN, 200, 404, 404)),
    *[
        (("POST", f"portal/{action}/", {}), (LOGIN, None, 404, 404))
        for action in ("run", "abort", "delete")
    ],
]


def job_url(job: Job, where: str) -> str:
    if where.startswith("uws"):
        return f"/uws/{job.kind}/async/{job.job_id}{where[3:]}"
    return f"/jobs/{job.kind}/{job.job_id}/{where[7:]}"


def send(client, method, url, data, persona):
    headers = basic(persona) if persona != "anonymous" and "/uws/" in url else {}
    if persona != "anonymous" and "/uws/" not in url:
        # axes needs a request to count the log-in by; Client.login passes on this one
        client.login(request=HttpRequest(), username=persona, password=PASSWORDS[persona])
    if method == "GET":
        return client.get(url, **headers)
    if method == "DELETE":
        return client.delete(url, **headers)
    return client.post(url, data or {}, **headers)


PERSONAS = ["anonymous", "alice", "bob", "staff"]
# The owner's own changes (None above) are tested with their effects in test_service.py.
CASES = [
    (persona, spec, want)
    for spec, wants in MATRIX
    for persona, want in zip(PERSONAS, wants, strict=True)
    if want is not None
]


@pytest.mark.parametrize(
    "persona, request_spec, want",
    CASES,
    ids=[f"{p}: {m} {w} {d or ''}" for p, (m, w, d), _ in CASES],
)
def test_owner_isolation(client, completed_job, bob, staff, persona, request_spec, want):
    method, where, data = request_spec
    before = Job.objects.get(pk=completed_job.pk)
    response = send(client, method, job_url(completed_job, where), data, persona)
    response.close()  # file responses hold their file open until closed
    if want == LOGIN:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == want, response.content[:300]
    if want == 401:
        assert "WWW-Authenticate" in response
    if persona != "alice":
        after = Job.objects.get(pk=completed_job.pk)
        assert (after.phase, after.execution_duration, after.destruction, after.parameters) == (
            before.phase,
            before.execution_duration,
            before.destruction,
            before.parameters,
        )


@pytest.mark.parametrize("persona, listed", [("alice", True), ("bob", False), ("staff", False)])
def test_job_lists_show_only_own_jobs(client, completed_job, bob, staff, persona, listed):
    response = client.get("/uws/selftest/async", **basic(persona))
    assert response.status_code == 200
    assert (completed_job.job_id.encode() in response.content) is listed
    client.login(request=HttpRequest(), username=persona, password=PASSWORDS[persona])
    page = client.get("/jobs/")
    assert (completed_job.job_id.encode() in page.content) is listed


def test_anonymous_cannot_list_or_create(client, db):
    for response in (
        client.get("/uws/selftest/async"),
        client.post("/uws/selftest/async", {"DURATION": "1"}),
    ):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Basic")
        assert response["Content-Type"].startswith("text/plain")
    assert not Job.objects.exists()


@pytest.mark.parametrize("persona, status", [("anonymous", 302), ("alice", 302), ("staff", 200)])
@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/uws/job/",
        "/admin/auth/user/",
        "/admin/uws/result/",
        "/admin/accounts/apitoken/",
    ],
)
def test_admin_is_staff_only(client, alice, staff, persona, status, url):
    if persona != "anonymous":
        client.force_login(alice if persona == "alice" else staff)
    response = client.get(url)
    assert response.status_code == status
    if status == 302:
        assert "/admin/login/" in response["Location"]


def test_signed_link_is_the_only_credential_needed(client, completed_job):
    result = completed_job.results.get()
    response = client.get(links.signed_result_path(result))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"<VOTABLE/>"
    assert client.get(links.signed_result_path(result) + "x").status_code == 404


def test_portal_forms_require_csrf(completed_job):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(completed_job.owner)
    url = f"/jobs/selftest/{completed_job.job_id}/delete/"
    assert strict.post(url).status_code == 403
    assert Job.objects.filter(pk=completed_job.pk).exists()
