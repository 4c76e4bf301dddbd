"""Who may do what, as data: anonymous, alice (owner), bob (another user), a staff member
without superuser rights, and an administrator x the labelling pages and API, signed links
(sample, files) and the Django admin. The UWS and job pages have their own matrix
(tests/uws/test_isolation_matrix.py)."""

from __future__ import annotations

import json

import pytest
from django.http import HttpRequest

from tests.support.platform import PASSWORDS
from vocloud.files.links import signed_file_path
from vocloud.labelling import exports

pytestmark = pytest.mark.django_db
LOGIN = "login"  # a redirect to a login page
PERSONAS = ["anonymous", "alice", "bob", "staffer", "admin"]
PASSWORD = {**PASSWORDS, "staffer": "staffer-secret-4", "admin": "admin-secret-5"}
BODY = json.dumps({"paths": ["demo/s001.fits"], "value": "flat"})

#          request (method, where)            anonymous alice bob staffer admin
MATRIX = [
    (("GET", "labelling/"), (LOGIN, 200, 200, 200, 200)),
    *[
        (("GET", f"session{suffix}"), (LOGIN, 200, 404, 404, 404))
        for suffix in (
            "/",
            "/rounds/1/",
            "/rounds/1/status/",
            "/rounds/1/spectrum/?rank=0",
            "/rounds/1/thumbnails/?ranks=0,1,2",
            "/references/",
            "/rounds/1/candidates/",
            "/rounds/1/candidates/?format=votable",
            "/rounds/1/samp/",
        )
    ],
    (("POST", "session/labels/"), (LOGIN, 200, 404, 404, 404)),
    (("POST", "session/undo/"), (LOGIN, 200, 404, 404, 404)),
    (("POST", "session/rounds/"), (LOGIN, 302, 404, 404, 404)),
    # retrying a round: the owner's (round 1 has not failed: a message, no job), POST only
    (("POST", "session/rounds/1/retry/"), (LOGIN, 302, 404, 404, 404)),
    (("POST", "session/rounds/9/retry/"), (LOGIN, 404, 404, 404, 404)),
    (("GET", "session/rounds/1/retry/"), (LOGIN, 405, 405, 405, 405)),
    (("GET", "signed-sample"), (200, 200, 200, 200, 200)),  # the link is the credential
    (("GET", "signed-sample-tampered"), (404, 404, 404, 404, 404)),
    (("GET", "signed-file"), (200, 200, 200, 200, 200)),
    (("GET", "signed-file-tampered"), (404, 404, 404, 404, 404)),
    (("GET", "files/"), (LOGIN, 200, 200, 200, 200)),
    (("GET", "admin/"), (LOGIN, LOGIN, LOGIN, 200, 200)),
    (("GET", "admin/uws/job/"), (LOGIN, LOGIN, LOGIN, 403, 200)),
    (("GET", "admin/labelling/label/"), (LOGIN, LOGIN, LOGIN, 403, 200)),
    (("GET", "admin/auth/user/"), (LOGIN, LOGIN, LOGIN, 403, 200)),
]
CASES = [
    (persona, spec, want)
    for spec, wants in MATRIX
    for persona, want in zip(PERSONAS, wants, strict=True)
]


@pytest.fixture
def people(alice, bob, django_user_model):
    django_user_model.objects.create_user("staffer", password=PASSWORD["staffer"], is_staff=True)
    django_user_model.objects.create_superuser("admin", password=PASSWORD["admin"])


def url_of(where: str, session, alice) -> str:
    base = f"/labelling/{session.pk}"
    if where.startswith("session"):
        return base + where[len("session") :]
    if where.startswith("signed-sample"):
        token = exports.sign_sample(session.rounds.get(number=1))
        return f"/labelling/signed/{token}{'x' if 'tampered' in where else ''}/"
    if where.startswith("signed-file"):
        (session_files := _files(alice)).mkdir(parents=True, exist_ok=True)
        (session_files / "note.vot").write_text("<VOTABLE/>")
        path = signed_file_path(alice, "note.vot")
        return path + ("x" if "tampered" in where else "")
    return f"/{where}"


def _files(user):
    from vocloud.files import operations

    return operations.space_for(user).files


@pytest.mark.parametrize(("persona", "spec", "want"), CASES)
def test_permission(client, people, labelling, alice, persona, spec, want):
    method, where = spec
    if persona != "anonymous":
        # axes needs a request to count the log-in by; Client.login passes on this one
        assert client.login(request=HttpRequest(), username=persona, password=PASSWORD[persona])
    url = url_of(where, labelling, alice)
    if method == "GET":
        response = client.get(url)
    elif where.endswith("labels/"):
        response = client.post(url, BODY, content_type="application/json")
    else:
        response = client.post(
            url, {"epochs": 5, "acquisition": "bald", "k": 10, "method": "pca", "mc_samples": 5}
        )
    response.close()  # a FileResponse holds the file open until closed
    if want == LOGIN:
        assert response.status_code == 302 and "login" in response["Location"], url
    else:
        assert response.status_code == want, (persona, url, response.status_code)
