"""vocloud as an OAuth2/OpenID Connect provider, attacked.

Rows: attack -> expected refusal.
"""

from __future__ import annotations

import re
import stat
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from oauth2_provider.models import get_application_model

from tests.accounts.test_oidc import (
    REDIRECT_URI,
    UWS_JOBS,
    authorize,
    bearer,
    hub_client,
    pkce,
    tokens_for,
)
from tests.support.platform import ROOT
from vocloud.accounts.oidc_key import KEY_FILE_NAME, key_file_pem

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub(tmp_path):
    return hub_client(tmp_path)


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/hub/oauth_callback",
        REDIRECT_URI + "/../../steal",
        REDIRECT_URI + "?next=https://evil.example/",
        "http://hub.test.evil.example/hub/oauth_callback",
    ],
)
def test_an_unregistered_redirect_uri_is_refused_not_followed(client, alice, hub, redirect_uri):
    client.force_login(alice)
    answer = authorize(client, hub, redirect_uri=redirect_uri)
    assert answer.status_code == 400
    assert "evil" not in answer.get("Location", "") and "steal" not in answer.get("Location", "")


def test_authorization_without_a_session_goes_to_the_portal_login(client, hub):
    answer = authorize(client, hub)
    assert answer.status_code == 302
    location = urlsplit(answer["Location"])
    assert location.path == "/accounts/login/"
    assert parse_qs(location.query)["next"][0].startswith("/o/authorize/?")


@pytest.mark.parametrize(
    ("attack", "overrides"),
    [
        ("no code challenge", {"code_challenge": None, "code_challenge_method": None}),
        ("the plain method", {"code_challenge": "x" * 43, "code_challenge_method": "plain"}),
    ],
)
def test_pkce_is_required(client, alice, hub, attack, overrides):
    client.force_login(alice)
    answer = authorize(client, hub, **overrides)
    assert answer.status_code == 302, attack
    query = parse_qs(urlsplit(answer["Location"]).query)
    assert "code" not in query and query["error"] == ["invalid_request"], attack


def test_a_code_without_its_verifier_gets_no_token(client, alice, hub):
    client.force_login(alice)
    answer = authorize(client, hub)
    code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
    wrong_verifier, _ = pkce()
    refused = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": hub["id"],
            "client_secret": hub["secret"],
            "code_verifier": wrong_verifier,
        },
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_alices_token_does_not_reach_bobs_jobs(client, alice, bob, hub):
    bobs_job = client.post(
        UWS_JOBS, {"DURATION": "0"}, **bearer(tokens_for(client, bob, hub)["access_token"])
    )["Location"]
    alices = tokens_for(client, alice, hub)["access_token"]
    for path in ("", "/phase", "/parameters", "/results", "/owner"):
        assert client.get(bobs_job + path, **bearer(alices)).status_code == 404, path
    assert client.post(bobs_job + "/phase", {"PHASE": "ABORT"}, **bearer(alices)).status_code == 404
    assert client.delete(bobs_job, **bearer(alices)).status_code == 404


def test_alices_token_does_not_reach_bobs_files(client, alice, bob, hub, settings):
    from services.storage.layout import user_space

    bobs = user_space(settings.DATA_DIR, bob.pk).ensure().files
    (bobs / "bob-only.txt").write_text("bob's")
    alices = tokens_for(client, alice, hub)["access_token"]
    assert client.get("/api/v1/me", **bearer(alices)).json()["username"] == "alice"
    listing = client.get("/api/v1/files/", **bearer(alices))
    assert listing.status_code == 200 and b"bob-only.txt" not in listing.content
    for path in ("bob-only.txt", f"../../{bob.pk}/files/bob-only.txt", f"..%2F..%2F{bob.pk}"):
        answer = client.get(f"/api/v1/files/content/{path}", **bearer(alices))
        assert answer.status_code in (400, 404) and b"bob's" not in answer.content, path


def test_a_token_does_not_open_the_portal_or_anyones_files(client, alice, bob, hub):
    alices = tokens_for(client, alice, hub)["access_token"]
    for path in ("/files/", "/files/download/anything.txt", "/accounts/tokens/"):
        answer = client.get(path, **bearer(alices))
        assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")


def test_a_token_for_another_client_redirect_cannot_be_swapped_in(client, alice, hub, tmp_path):
    """A code issued to the hub cannot be redeemed by another registered client."""
    other = tmp_path / "other.env"
    call_command(
        "jupyterhub_client",
        redirect_uri=["http://other.test/cb"],
        name="Other",
        output=other,
    )
    values = dict(line.split("=", 1) for line in other.read_text().splitlines())
    verifier, challenge = pkce()
    client.force_login(alice)
    code = parse_qs(urlsplit(authorize(client, hub, code_challenge=challenge)["Location"]).query)[
        "code"
    ][0]
    refused = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": values["JUPYTERHUB_CLIENT_ID"],
            "client_secret": values["JUPYTERHUB_CLIENT_SECRET"],
            "code_verifier": verifier,
        },
    )
    assert refused.status_code in (400, 401)
    assert "access_token" not in refused.json()


def test_the_client_secret_is_kept_as_a_hash_and_is_not_in_the_source(hub):
    stored = get_application_model().objects.get(client_id=hub["id"]).client_secret
    assert hub["secret"] not in stored and check_password(hub["secret"], stored)
    sources = [
        path
        for folder in ("vocloud", "deploy")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    written_secret = re.compile(
        r"""(client_secret|CLIENT_SECRET)\s*[=:]\s*["']?[A-Za-z0-9]{20,}""", re.I
    )
    for path in sources:
        if path.suffix in {".py", ".md", ".sh", ".env", ".conf", ".service", ".example", ".yaml"}:
            text = path.read_text(errors="replace")
            assert hub["secret"] not in text, path
            assert not written_secret.search(text), path


def test_the_signing_key_is_made_private_and_once(tmp_path, settings, client):
    settings.DATA_DIR = tmp_path
    client.get("/o/.well-known/jwks.json")  # the first use makes it
    path = tmp_path / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    assert "PRIVATE KEY" in first
    key_file_pem.cache_clear()
    client.get("/o/.well-known/jwks.json")
    assert path.read_text() == first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(f".{KEY_FILE_NAME}")]


def test_a_key_from_the_environment_makes_no_file(tmp_path, settings, client, monkeypatch):
    from vocloud.accounts.oidc_key import new_key_pem

    pem = new_key_pem()
    key_path = tmp_path / "mounted.pem"
    key_path.write_text(pem)
    monkeypatch.setenv("VOCLOUD_OIDC_RSA_KEY_FILE", str(key_path))
    settings.DATA_DIR = tmp_path / "data"
    keys = client.get("/o/.well-known/jwks.json").json()["keys"]
    assert len(keys) == 1
    assert not (tmp_path / "data" / KEY_FILE_NAME).exists()


def test_a_client_that_a_user_registered_gets_no_authorization(client, alice, bob):
    """bob registers a look-alike client (as /o/applications/register/ lets any user do) and
    sends alice its authorize link: she gets no consent page and bob no code."""
    model = get_application_model()
    lookalike = model.objects.create(
        name="JupyterHub",
        user=bob,
        client_type=model.CLIENT_CONFIDENTIAL,
        authorization_grant_type=model.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://bob.example/cb",
    )
    client.force_login(alice)
    _verifier, challenge = pkce()
    answer = client.get(
        "/o/authorize/",
        {
            "response_type": "code",
            "client_id": lookalike.client_id,
            "redirect_uri": "https://bob.example/cb",
            "scope": "openid vocloud",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert answer.status_code == 400
    assert "bob.example" not in answer.get("Location", "")


def test_behind_https_a_plain_http_callback_cannot_be_registered(settings):
    from django.core.management.base import CommandError

    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    }
    with pytest.raises(CommandError, match="is not an https address"):
        call_command(
            "jupyterhub_client", redirect_uri=["http://hub.example.org/hub/oauth_callback"]
        )
