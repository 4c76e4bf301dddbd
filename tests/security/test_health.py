"""The health probes are open to anyone: they answer one word and take nothing in.

Rows: request -> expected answer (no session, no cookie, nothing about the server).
"""

from __future__ import annotations

import pytest

PROBES = ["/health", "/health/live"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PROBES)
@pytest.mark.parametrize(
    ("attack", "query"),
    [
        ("plain", ""),
        ("query parameters it does not take", "?debug=1&WAIT=60&path=../../etc/passwd"),
    ],
)
def test_a_probe_says_ok_and_nothing_else(client, path, attack, query):
    response = client.get(f"{path}{query}", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")
    assert not response.cookies  # no session is made for anonymous probes


@pytest.mark.django_db
@pytest.mark.parametrize("path", PROBES)
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_a_probe_takes_no_body(client, path, method):
    response = getattr(client, method)(
        path, data="x" * 1000, content_type="text/plain", HTTP_HOST="127.0.0.1"
    )
    assert response.status_code == 405
    assert b"Traceback" not in response.content
