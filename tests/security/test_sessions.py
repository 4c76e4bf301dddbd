"""Session fixation: logging in replaces the session key a visitor arrived with."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore

from tests.support.platform import PASSWORDS

pytestmark = pytest.mark.django_db


def test_login_gives_a_new_session_key_and_the_planted_one_is_dead(client, alice):
    planted = SessionStore()
    planted["seen"] = True  # an attacker's session, planted in the victim's browser
    planted.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORDS["alice"]}
    )
    assert response.status_code == 302
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != planted.session_key
    assert not SessionStore().exists(planted.session_key)
    attacker = client.__class__()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert attacker.get("/labelling/").status_code == 302  # still anonymous: to the login


def test_session_cookies_are_http_only(client, alice):
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORDS["alice"]})
    assert client.cookies[settings.SESSION_COOKIE_NAME]["httponly"]
