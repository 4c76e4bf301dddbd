"""API tokens: created and revoked in the portal, accepted by the UWS API."""

from tests.conftest import basic
from vocloud.accounts.models import ApiToken


def create_token(client, user, name="laptop") -> str:
    client.force_login(user)
    response = client.post("/accounts/tokens/", {"name": name})
    assert response.status_code == 200
    return response.context["new_key"]


def test_token_authenticates_scripts_until_revoked(client, alice):
    key = create_token(client, alice)
    token = ApiToken.objects.get(user=alice)
    assert token.key_hash != key and key.startswith(token.prefix)  # only a hash is kept
    client.logout()
    for scheme in ("Token", "Bearer"):
        response = client.get("/uws/selftest/async", HTTP_AUTHORIZATION=f"{scheme} {key}")
        assert response.status_code == 200
    client.force_login(alice)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    client.logout()
    response = client.get("/uws/selftest/async", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401


def test_users_cannot_revoke_each_others_tokens(client, alice, bob):
    create_token(client, alice)
    token = ApiToken.objects.get(user=alice)
    client.force_login(bob)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert b"laptop" not in client.get("/accounts/tokens/").content


def test_wrong_password_and_garbage_headers_are_401(client, alice):
    bad = basic("alice")["HTTP_AUTHORIZATION"][:-4] + "AAAA"
    for header in (bad, "Token nope", "Basic !!!", "Token"):
        response = client.get("/uws/selftest/async", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header


def test_cached_basic_auth_follows_password_changes(client, alice):
    assert client.get("/uws/selftest/async", **basic("alice")).status_code == 200
    alice.set_password("a-new-password")
    alice.save()
    assert client.get("/uws/selftest/async", **basic("alice")).status_code == 401
