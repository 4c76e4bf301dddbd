"""The JSON API keeps each user in their own things: rows of attack -> refusal.

Other users' files, datasets and sessions answer 404 (as if absent); every path goes
through the one containment function (``services.storage.paths.safe_join``); uploads over
the size limit or the quota are refused with a sentence and nothing is kept; no credentials
is 401; a browser session's writes need their CSRF token; no error names a server path.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from tests.api.conftest import API, space_of, token_client, write_dataset
from tests.labelling.conftest import write_paths_dataset
from vocloud.files.models import Quota
from vocloud.labelling.models import Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_alice(alice):
    return token_client(alice)


@pytest.fixture
def as_bob(bob):
    return token_client(bob)


@pytest.fixture
def alices_things(alice):
    files = space_of(alice).files
    (files / "secret").mkdir()
    (files / "secret" / "notes.csv").write_text("path,class\n")
    write_dataset(alice, "stars")
    write_paths_dataset(alice, "d", ["a.fits"])
    return Session.objects.create(owner=alice, name="s", dataset="d", classes=["A", "B"])


def other_users_urls(session_id: int) -> list[str]:
    return [
        f"{API}/files/content/secret/notes.csv",
        f"{API}/files/?path=secret",
        f"{API}/datasets/stars/",
        f"{API}/datasets/stars/arrays/flux",
        f"{API}/datasets/stars/meta",
        f"{API}/labelling/sessions/{session_id}/",
        f"{API}/labelling/sessions/{session_id}/labels",
        f"{API}/labelling/sessions/{session_id}/rounds/1/sample",
    ]


def test_another_users_things_are_404(alices_things, as_bob, as_alice):
    for url in other_users_urls(alices_things.pk):
        own = as_alice.get(url)
        own.close()  # a file response holds the file open until closed
        assert own.status_code == 200 or "sample" in url, url
        response = as_bob.get(url)
        assert response.status_code == 404, url
        assert set(response.json()) == {"error"}
    assert as_bob.get(f"{API}/labelling/sessions/").json() == {"sessions": []}
    assert as_bob.get(f"{API}/datasets/").json() == {"datasets": []}
    write = as_bob.post(
        f"{API}/labelling/sessions/{alices_things.pk}/labels",
        {"paths": ["a.fits"], "value": "A"},
        content_type="application/json",
    )
    assert write.status_code == 404 and not alices_things.labels.exists()
    assert as_bob.delete(f"{API}/files/content/secret/notes.csv").status_code == 404
    assert (space_of(alices_things.owner).files / "secret" / "notes.csv").exists()


ESCAPES = [
    "../outside.txt",
    "a/../../outside.txt",
    "%2e%2e/outside.txt",
    "/etc/passwd",
    "//etc/passwd",
    "a%00b.txt",
    "link/outside.txt",
]


@pytest.fixture
def link_out(alice, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "outside.txt").write_text("not yours")
    (space_of(alice).files / "link").symlink_to(outside, target_is_directory=True)
    return outside


@pytest.mark.parametrize("path", ESCAPES)
def test_paths_that_leave_the_storage_are_refused(as_alice, link_out, path):
    url = f"{API}/files/content/{path}"
    for response in (
        as_alice.get(url),
        as_alice.put(url, b"x", content_type="application/octet-stream"),
        as_alice.delete(url),
    ):
        assert response.status_code in (400, 404), (path, response.status_code)
        assert "not yours" not in response.content.decode()
    assert sorted(p.name for p in link_out.iterdir()) == ["outside.txt"]
    assert (link_out / "outside.txt").read_text() == "not yours"


@pytest.mark.parametrize("path", ["../x", "/abs", "a\x00b", "link/new", "link"])
def test_mkdir_and_listing_refuse_paths_that_leave(as_alice, link_out, path):
    made = as_alice.post(f"{API}/files/mkdir", {"path": path}, content_type="application/json")
    assert made.status_code in (400, 404, 409), path
    assert sorted(p.name for p in link_out.iterdir()) == ["outside.txt"]
    listed = as_alice.get(f"{API}/files/", {"path": path})
    assert listed.status_code in (400, 404) and "outside.txt" not in listed.content.decode()


def test_containment_is_the_one_function(as_alice, link_out):
    response = as_alice.get(f"{API}/files/content/link/outside.txt")
    assert response.status_code == 400 and "leaves the storage" in response.json()["error"]
    dots = as_alice.get(f"{API}/files/content/a/../../x")
    assert dots.status_code == 400 and "'..' is not allowed" in dots.json()["error"]


def test_an_oversized_upload_is_refused_and_nothing_is_kept(alice, as_alice, settings):
    settings.VOCLOUD_MAX_UPLOAD_BYTES = 100
    response = as_alice.put(
        f"{API}/files/content/big.bin", b"x" * 101, content_type="application/octet-stream"
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": "Upload refused: big.bin is bigger than the 100 bytes allowed for one file."
    }
    space = space_of(alice)
    assert list(space.files.iterdir()) == []
    assert not space.scratch.exists() or list(space.scratch.iterdir()) == []


def test_an_upload_over_the_quota_is_refused_and_nothing_is_kept(alice, as_alice):
    Quota.objects.create(user=alice, bytes=50)
    response = as_alice.put(
        f"{API}/files/content/big.bin", b"x" * 60, content_type="application/octet-stream"
    )
    assert response.status_code == 413 and "quota" in response.json()["error"]
    assert list(space_of(alice).files.iterdir()) == []


def test_a_body_that_lies_about_its_length_is_cut_off(alice, as_alice, settings):
    settings.VOCLOUD_MAX_UPLOAD_BYTES = 100
    response = as_alice.generic(
        "PUT",
        f"{API}/files/content/lie.bin",
        b"x" * 500,
        CONTENT_TYPE="application/octet-stream",
        CONTENT_LENGTH="50",
    )
    assert response.status_code in (201, 400)  # at most the 50 declared bytes are read
    stored = space_of(alice).files / "lie.bin"
    assert not stored.exists() or stored.stat().st_size == 50


ENDPOINTS = [
    ("get", f"{API}/me"),
    ("get", f"{API}/files/"),
    ("get", f"{API}/files/content/a.txt"),
    ("put", f"{API}/files/content/a.txt"),
    ("delete", f"{API}/files/content/a.txt"),
    ("post", f"{API}/files/mkdir"),
    ("get", f"{API}/datasets/"),
    ("get", f"{API}/datasets/stars/"),
    ("get", f"{API}/datasets/stars/arrays/flux"),
    ("get", f"{API}/datasets/stars/meta"),
    ("get", f"{API}/kinds/"),
    ("get", f"{API}/kinds/selftest/"),
    ("get", f"{API}/labelling/sessions/"),
    ("get", f"{API}/labelling/sessions/1/"),
    ("get", f"{API}/labelling/sessions/1/labels"),
    ("post", f"{API}/labelling/sessions/1/labels"),
    ("get", f"{API}/labelling/sessions/1/rounds/1/sample"),
]


@pytest.mark.parametrize("method, url", ENDPOINTS)
def test_no_credentials_is_401(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 401, url
    assert response.json()["error"] and "WWW-Authenticate" in response


@pytest.mark.parametrize("method, url", ENDPOINTS)
def test_a_wrong_token_is_401(method, url):
    response = getattr(Client(HTTP_AUTHORIZATION="Token nope"), method)(url)
    assert response.status_code == 401, url


def test_session_writes_need_the_csrf_token(alice, alices_things):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.get(f"{API}/me").status_code == 200  # reads need none
    writes = [
        browser.put(f"{API}/files/content/x.txt", b"x", content_type="text/plain"),
        browser.delete(f"{API}/files/content/secret/notes.csv"),
        browser.post(f"{API}/files/mkdir", {"path": "x"}, content_type="application/json"),
        browser.post(
            f"{API}/labelling/sessions/{alices_things.pk}/labels",
            {"paths": ["a.fits"], "value": "A"},
            content_type="application/json",
        ),
    ]
    for response in writes:
        assert response.status_code == 403 and "CSRF" in response.json()["error"]
    files = space_of(alice).files
    assert not (files / "x.txt").exists() and not (files / "x").exists()
    assert (files / "secret" / "notes.csv").exists() and not alices_things.labels.exists()


def test_a_token_needs_no_csrf_token(alice):
    scripted = token_client(alice)
    scripted.handler.enforce_csrf_checks = True
    made = scripted.post(f"{API}/files/mkdir", {"path": "x"}, content_type="application/json")
    assert made.status_code == 201


def test_errors_never_name_a_server_path(alice, as_alice, link_out):
    write_dataset(alice, "broken")
    space = space_of(alice)
    (space.datasets / "broken" / "v1" / "flux.npy").write_bytes(b"not an array")
    (space.datasets / "corrupt").mkdir()
    (space.datasets / "corrupt" / "current").write_text("../../..")
    responses = [
        as_alice.get(f"{API}/datasets/broken/"),
        as_alice.get(f"{API}/datasets/broken/arrays/flux"),
        as_alice.get(f"{API}/datasets/corrupt/meta"),
        as_alice.get(f"{API}/files/content/link/outside.txt"),
        as_alice.get(f"{API}/files/content/nope"),
        as_alice.put(f"{API}/files/content/link", b"x", content_type="text/plain"),
        as_alice.get(f"{API}/labelling/sessions/999/"),
    ]
    for response in responses:
        assert response.status_code >= 400
        body = response.content.decode()
        assert set(json.loads(body)) == {"error"}
        assert str(settings.DATA_DIR) not in body and str(link_out) not in body
        assert "Traceback" not in body and "/tmp" not in body


def test_a_json_body_over_the_memory_limit_is_413_not_500(alices_things, as_alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    session_id = alices_things.pk
    body = json.dumps({"paths": ["x" * 2000], "value": "A"})
    response = as_alice.post(
        f"{API}/labelling/sessions/{session_id}/labels", body, content_type="application/json"
    )
    assert response.status_code == 413, response.content
    assert "too large" in response.json()["error"]
