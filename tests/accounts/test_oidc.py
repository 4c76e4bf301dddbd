"""vocloud as an OpenID Connect provider: discovery, claims, and its access tokens on the API.

The authorization-code flow with PKCE runs in-process with Django's test client, as
JupyterHub runs it over HTTP (tests/live/test_jupyterhub.py).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

pytestmark = pytest.mark.django_db
REDIRECT_URI = "http://hub.test/hub/oauth_callback"
UWS_JOBS = "/uws/selftest/async"


def hub_client(tmp_path) -> dict[str, str]:
    """Register the hub with the management command; its id and secret from the file."""
    output = tmp_path / "client.env"
    call_command("jupyterhub_client", redirect_uri=[REDIRECT_URI], output=output)
    values = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return {"id": values["JUPYTERHUB_CLIENT_ID"], "secret": values["JUPYTERHUB_CLIENT_SECRET"]}


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(client, hub: dict[str, str], **overrides: str):
    """GET /o/authorize/ as the hub sends a browser there (code, PKCE S256)."""
    _verifier, challenge = pkce()
    params = {
        "response_type": "code",
        "client_id": hub["id"],
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile vocloud",
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    return client.get("/o/authorize/", {k: v for k, v in params.items() if v is not None})


def tokens_for(client, user, hub: dict[str, str], scope: str = "openid profile vocloud") -> dict:
    """The token response the hub gets after ``user`` logs in: access, refresh, ID token."""
    verifier, challenge = pkce()
    client.force_login(user)
    answer = authorize(client, hub, scope=scope, code_challenge=challenge)
    assert answer.status_code == 302, answer.content[:300]
    location = urlsplit(answer["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    code = parse_qs(location.query)["code"][0]
    client.logout()  # the hub's request to the token endpoint carries no session
    response = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": hub["id"],
            "client_secret": hub["secret"],
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200, response.content
    return response.json()


def bearer(token: str, keyword: str = "Bearer") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"{keyword} {token}"}


@pytest.fixture
def hub(tmp_path):
    return hub_client(tmp_path)


def test_discovery_names_the_endpoints_the_hub_uses(client):
    document = client.get("/o/.well-known/openid-configuration").json()
    assert document["authorization_endpoint"] == "http://testserver/o/authorize/"
    assert document["token_endpoint"] == "http://testserver/o/token/"
    assert document["userinfo_endpoint"] == "http://testserver/o/userinfo/"
    assert document["response_types_supported"] == ["code"]
    assert "RS256" in document["id_token_signing_alg_values_supported"]
    keys = client.get("/o/.well-known/jwks.json").json()["keys"]
    assert [key["kty"] for key in keys] == ["RSA"] and "d" not in keys[0]


def test_userinfo_says_who_the_user_is_and_where_their_storage_is(client, alice, hub):
    alice.first_name, alice.last_name = "Alice", "Liddell"
    alice.save()
    tokens = tokens_for(client, alice, hub)
    assert {"access_token", "refresh_token", "id_token"} <= tokens.keys()
    claims = client.get("/o/userinfo/", **bearer(tokens["access_token"])).json()
    assert claims == {
        "sub": str(alice.pk),
        "preferred_username": "alice",
        "name": "Alice Liddell",
        "vocloud_storage": f"users/{alice.pk}/files",
    }


def test_the_storage_claim_needs_the_vocloud_scope(client, alice, hub):
    tokens = tokens_for(client, alice, hub, scope="openid profile")
    claims = client.get("/o/userinfo/", **bearer(tokens["access_token"])).json()
    assert "vocloud_storage" not in claims and claims["preferred_username"] == "alice"


def test_the_trusted_hub_skips_the_consent_page(client, alice, hub):
    client.force_login(alice)
    answer = authorize(client, hub)
    assert answer.status_code == 302 and answer["Location"].startswith(REDIRECT_URI + "?code=")


@pytest.mark.parametrize("keyword", ["Bearer", "Token"])
def test_an_access_token_acts_on_uws_as_its_user_only(
    client, alice, bob, hub, completed_job, keyword
):
    alices = tokens_for(client, alice, hub)["access_token"]
    bobs = tokens_for(client, bob, hub)["access_token"]
    job_url = f"{UWS_JOBS}/{completed_job.job_id}"
    mine = client.get(job_url, **bearer(alices, keyword))
    assert mine.status_code == 200 and b"<uws:ownerId>alice</uws:ownerId>" in mine.content
    assert completed_job.job_id.encode() in client.get(UWS_JOBS, **bearer(alices)).content
    assert client.get(job_url, **bearer(bobs, keyword)).status_code == 404
    assert completed_job.job_id.encode() not in client.get(UWS_JOBS, **bearer(bobs)).content
    created = client.post(UWS_JOBS, {"DURATION": "0"}, **bearer(bobs, keyword))
    assert created.status_code == 303


def test_an_expired_token_is_refused(client, alice, hub):
    token = tokens_for(client, alice, hub)["access_token"]
    get_access_token_model().objects.filter(user=alice).update(
        expires=timezone.now() - timedelta(seconds=1)
    )
    answer = client.get(UWS_JOBS, **bearer(token))
    assert answer.status_code == 401
    assert b"Invalid, expired or revoked token." in answer.content


def test_a_revoked_token_is_refused(client, alice, hub):
    token = tokens_for(client, alice, hub)["access_token"]
    revoked = client.post(
        "/o/revoke_token/",
        {"token": token, "client_id": hub["id"], "client_secret": hub["secret"]},
    )
    assert revoked.status_code == 200
    assert client.get(UWS_JOBS, **bearer(token)).status_code == 401


def test_a_token_without_the_vocloud_scope_is_no_api_token(client, alice, hub):
    token = tokens_for(client, alice, hub, scope="openid profile")["access_token"]
    assert client.get(UWS_JOBS, **bearer(token)).status_code == 401


def test_a_deactivated_users_token_is_refused(client, alice, hub):
    token = tokens_for(client, alice, hub)["access_token"]
    alice.is_active = False
    alice.save()
    assert client.get(UWS_JOBS, **bearer(token)).status_code == 401


def test_api_tokens_and_basic_still_work(client, alice):
    from tests.conftest import basic
    from vocloud.accounts.models import ApiToken

    _token, key = ApiToken.issue(alice, "script")
    assert client.get(UWS_JOBS, **bearer(key, "Token")).status_code == 200
    assert client.get(UWS_JOBS, **bearer(key, "Bearer")).status_code == 200
    assert client.get(UWS_JOBS, **basic("alice")).status_code == 200
    assert client.get(UWS_JOBS, **bearer("no-such-token")).status_code == 401


def test_the_command_refuses_a_redirect_uri_that_is_not_http(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="is not an http or https address"):
        call_command("jupyterhub_client", redirect_uri=["javascript:alert(1)"])


def test_running_the_command_again_keeps_the_id_and_replaces_the_secret(client, alice, tmp_path):
    first = hub_client(tmp_path / "a")
    second = hub_client(tmp_path / "b")
    assert first["id"] == second["id"] and first["secret"] != second["secret"]
    old = {**first}
    with pytest.raises(AssertionError):
        tokens_for(client, alice, old)


def test_the_hub_refreshes_an_expired_token_once(client, alice, hub):
    tokens = tokens_for(client, alice, hub)
    get_access_token_model().objects.filter(user=alice).update(
        expires=timezone.now() - timedelta(seconds=1)
    )
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": hub["id"],
        "client_secret": hub["secret"],
    }
    fresh = client.post("/o/token/", refresh)
    assert fresh.status_code == 200, fresh.content
    assert client.get(UWS_JOBS, **bearer(fresh.json()["access_token"])).status_code == 200
    assert client.get(UWS_JOBS, **bearer(tokens["access_token"])).status_code == 401
    assert client.post("/o/token/", refresh).status_code == 400  # a used refresh token


def login_page_policy(rf, query: dict[str, str]) -> str:
    """The CSP of the log-in page, with the log-in view wrapped as vocloud/urls.py wraps it."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.auth.views import LoginView
    from django.middleware.csp import ContentSecurityPolicyMiddleware

    from vocloud.accounts.oidc import allow_client_redirects

    view = allow_client_redirects(LoginView.as_view())
    request = rf.get("/accounts/login/", query)
    request.user = AnonymousUser()
    request.session = {}
    return ContentSecurityPolicyMiddleware(view)(request)["Content-Security-Policy"]


def form_action(policy: str) -> str:
    return next(part for part in policy.split("; ") if part.startswith("form-action"))


def test_a_login_for_the_hub_may_end_at_the_hubs_callback(rf, hub):
    next_ = f"/o/authorize/?client_id={hub['id']}&redirect_uri={REDIRECT_URI}"
    assert (
        form_action(login_page_policy(rf, {"next": next_})) == "form-action 'self' http://hub.test"
    )


@pytest.mark.parametrize(
    "next_",
    [
        "",
        "/files/",
        "/o/authorize/?client_id=unknown",
        "https://evil.example/o/authorize/?client_id={id}",
        "//evil.example/o/authorize/?client_id={id}",
    ],
)
def test_any_other_login_keeps_its_form_on_the_platform(rf, hub, next_):
    policy = login_page_policy(rf, {"next": next_.format(id=hub["id"])})
    assert form_action(policy) == "form-action 'self'"


def test_a_deactivated_account_gets_no_userinfo_and_no_refresh(client, alice, hub):
    tokens = tokens_for(client, alice, hub)
    alice.is_active = False
    alice.save()
    assert client.get("/o/userinfo/", **bearer(tokens["access_token"])).status_code == 401
    refreshed = client.post(
        "/o/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": hub["id"],
            "client_secret": hub["secret"],
        },
    )
    assert refreshed.status_code == 400 and "access_token" not in refreshed.json()
