"""Attack rows, as data, for the labelling panel's second way in: the notebook widget.

The panel's JSON endpoints take the API token (``Authorization: Token …``) as well as the
portal session. The owner checks are the same both ways (another user's session is a 404),
a wrong or revoked token is a 401 with a sentence, a token request needs no CSRF token but
a session request still does, and the panel's HTML that the widget inserts carries every
user text escaped. Every row runs against the real views in process.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from vocloud.accounts.models import ApiToken

pytestmark = pytest.mark.django_db
HOSTILE = '<script>alert("x")</script>'
#: The SAMP links endpoint takes a form, as the portal's file endpoint does.
FORM = {"paths": ["demo/s000.fits"], "purpose": "spectrum"}


def token_client(user) -> Client:
    _token, key = ApiToken.issue(user, "widget")
    return Client(headers={"Authorization": f"Token {key}"}, enforce_csrf_checks=True)


def endpoints(session) -> list[tuple[str, str, dict | None]]:
    """Every endpoint the widget calls: (method, url, JSON body or FORM)."""
    base = f"/labelling/{session.pk}"
    return [
        ("GET", f"{base}/rounds/1/widget/", None),
        ("GET", f"{base}/widget/", None),
        ("POST", f"{base}/labels/", {"paths": ["demo/s000.fits"], "value": "flat", "round": 1}),
        ("POST", f"{base}/undo/", {}),
        ("GET", f"{base}/references/", None),
        ("GET", f"{base}/rounds/1/spectrum/?rank=0", None),
        ("GET", f"{base}/rounds/1/thumbnails/?ranks=0,1", None),
        ("GET", f"{base}/rounds/1/samp/", None),
        ("POST", f"{base}/spectrum-links/", FORM),
    ]


def call(client: Client, method: str, url: str, body: dict | None):
    if method == "GET":
        return client.get(url)
    if body is FORM:
        return client.post(url, FORM)
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_owners_token_opens_every_endpoint_without_csrf(labelling):
    client = token_client(labelling.owner)
    for method, url, body in endpoints(labelling):
        response = call(client, method, url, body)
        if body is FORM:  # past the owner check: the toy dataset's spectra are not files
            assert response.json() == {"error": "No such file or folder."}
            continue
        assert response.status_code == 200, (url, response.content[:200])


def test_another_users_token_finds_no_such_session(labelling, bob):
    client = token_client(bob)
    for method, url, body in endpoints(labelling):
        assert call(client, method, url, body).status_code == 404, url


@pytest.mark.parametrize(
    "header",
    ["Token not-a-token", "Token", "Token a b", "Bearer wrong", "Token \x00"],
    ids=["wrong", "empty", "two parts", "bearer", "nul"],
)
def test_a_bad_token_is_refused_with_a_sentence(labelling, header):
    client = Client(headers={"Authorization": header})
    for method, url, body in endpoints(labelling):
        response = call(client, method, url, body)
        assert response.status_code == 401, url
        assert response.json()["error"].endswith(".")
        assert response["WWW-Authenticate"].startswith("Token")


def test_a_revoked_token_is_refused(labelling):
    token, key = ApiToken.issue(labelling.owner, "gone")
    token.delete()
    client = Client(headers={"Authorization": f"Token {key}"})
    method, url, body = endpoints(labelling)[2]
    assert call(client, method, url, body).status_code == 401


def test_a_session_post_without_csrf_is_still_refused(labelling):
    client = Client(enforce_csrf_checks=True)
    client.force_login(labelling.owner)
    before = labelling.changes.count()
    for method, url, body in endpoints(labelling):
        response = call(client, method, url, body)
        assert response.status_code == (403 if method == "POST" else 200), url
    assert labelling.changes.count() == before


def test_another_users_portal_session_finds_no_such_session(labelling, bob):
    client = Client()
    client.force_login(bob)
    for method, url, body in endpoints(labelling):
        assert call(client, method, url, body).status_code == 404, url


def test_no_session_and_no_token_is_sent_to_log_in(labelling):
    for method, url, body in endpoints(labelling):
        assert call(Client(), method, url, body).status_code == 302, url


def test_the_panel_html_carries_user_text_escaped(labelling):
    labelling.name = HOSTILE
    labelling.classes = [HOSTILE, "b<img src=x onerror=alert(1)>", *labelling.classes[2:]]
    labelling.target = HOSTILE
    labelling.save()
    panel = token_client(labelling.owner).get(f"/labelling/{labelling.pk}/widget/").json()
    html = panel["html"]
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    # The Bokeh document's JSON runs as a script's text: no tag can end it early.
    assert "</script" not in panel["script"].lower()
    assert panel["config"]["classes"][0] == HOSTILE  # data for textContent, not markup


def test_a_round_that_is_not_ready_is_a_sentence(labelling):
    labelling.rounds.update(round_job=None)
    client = token_client(labelling.owner)
    base = f"/labelling/{labelling.pk}"
    for url in (f"{base}/rounds/1/widget/", f"{base}/widget/"):
        response = client.get(url)
        assert response.status_code == 409, url
        assert response.json()["error"].endswith("."), url
