"""The API tokens page shows the user's SSAP URL with its capability, and that URL works."""

from __future__ import annotations

import re

import pytest
from django.http import HttpRequest

from tests.support.platform import PASSWORDS
from tests.vo.conftest import put_spectra, space_of
from vocloud.signed_links import revoke_all

pytestmark = pytest.mark.django_db


def test_the_tokens_page_shows_a_working_ssap_url_until_links_are_revoked(client, alice):
    put_spectra(space_of(alice))
    assert client.login(request=HttpRequest(), username="alice", password=PASSWORDS["alice"])
    page = client.get("/accounts/tokens/").content.decode()
    url = re.search(r'id="vo-ssa-url"><code>(http[^<]+/ssa)</code>', page).group(1)
    client.logout()  # the URL alone is the credential
    answer = client.get(url.split("testserver", 1)[1])
    assert answer.status_code == 200 and answer.content.count(b"<TR>") == 4
    revoke_all(alice)
    assert client.get(url.split("testserver", 1)[1]).status_code == 401
