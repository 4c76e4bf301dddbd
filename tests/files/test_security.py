"""Nobody sees anything outside their own space: other users' files, escapes, CSRF."""

from __future__ import annotations

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.files.conftest import said, space_of, tree

GETS = [
    "/files/browse/night1",
    "/files/browse/night1/raw",
    "/files/view/notes.txt",
    "/files/view/night1/raw/oe270005.fits",
    "/files/download/notes.txt",
]
POSTS = [
    ("/files/rename/", {"path": "notes.txt", "name": "mine.txt"}),
    ("/files/move/", {"paths": ["notes.txt"], "dest": ""}),
    ("/files/copy/", {"paths": ["notes.txt"], "dest": ""}),
    ("/files/delete/", {"paths": ["notes.txt"]}),
    ("/files/delete/", {"paths": ["notes.txt"], "confirm": "yes"}),
    ("/files/zip/", {"paths": ["night1"]}),
]


def test_anonymous_users_are_sent_to_log_in(client, db):
    for url in ("/files/", "/files/view/notes.txt"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", GETS)
def test_bob_cannot_list_read_or_download_alices_files(client, alice_files, bob, url):
    client.force_login(bob)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(("url", "data"), POSTS, ids=[u + str(len(d)) for u, d in POSTS])
def test_bob_cannot_rename_move_copy_delete_or_zip_alices_files(
    client, alice_files, bob, url, data
):
    before = tree(alice_files.files)
    client.force_login(bob)
    assert client.post(url, data).status_code == 404
    assert tree(alice_files.files) == before
    assert tree(space_of(bob).files) == []


def test_bobs_page_lists_only_his_own_files(client, alice_files, bob):
    client.force_login(bob)
    page = client.get("/files/").content.decode()
    assert "notes.txt" not in page and "night1" not in page and "This folder is empty" in page


@pytest.mark.parametrize(
    "url",
    [
        "/files/browse/../2/files",
        "/files/browse/%2e%2e/%2e%2e/%2e%2e",
        "/files/view/..%2F..%2Findex.sqlite3",
        "/files/download/%2e%2e/index.sqlite3",
        "/files/download//etc/passwd",
        "/files/view/night1/../../index.sqlite3",
    ],
)
def test_paths_that_leave_the_space_are_not_found(client, alice, alice_files, url):
    client.force_login(alice)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/files/rename/", {"path": "../../etc", "name": "x"}),
        ("/files/delete/", {"paths": ["/etc/passwd"], "confirm": "yes"}),
        ("/files/move/", {"paths": ["notes.txt"], "dest": "../.."}),
        ("/files/zip/", {"paths": ["%2e%2e/../index.sqlite3"]}),
        ("/files/mkdir/", {"folder": "../..", "name": "x"}),
    ],
)
def test_posted_paths_that_leave_the_space_are_not_found(client, alice, alice_files, url, data):
    client.force_login(alice)
    assert client.post(url, data).status_code == 404


def test_a_symlink_pointing_outside_is_refused(client, alice, alice_files, tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key.txt").write_text("outside")
    os.symlink(secret, alice_files.files / "door")
    os.symlink(secret / "key.txt", alice_files.files / "key.txt")
    client.force_login(alice)
    for url in ("/files/browse/door", "/files/download/door/key.txt", "/files/view/key.txt"):
        assert client.get(url).status_code == 404, url
    assert "door" not in client.get("/files/").content.decode()  # links are not listed
    response = client.post("/files/upload/", {"folder": "door", "files": [b_file("x.txt")]})
    assert response.status_code == 404
    assert tree(secret) == ["key.txt"]


def b_file(name: str, data: bytes = b"x") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/files/mkdir/", {"name": "new"}),
        ("/files/upload/", {"files": "ignored"}),
        ("/files/delete/", {"paths": ["notes.txt"], "confirm": "yes"}),
        ("/files/rename/", {"path": "notes.txt", "name": "x.txt"}),
        ("/files/zip/", {"paths": ["notes.txt"]}),
    ],
)
def test_posts_without_a_csrf_token_are_forbidden(alice, alice_files, url, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    data = {**data, "files": [b_file("x.txt")]} if "upload" in url else data
    before = tree(alice_files.files)
    assert client.post(url, data).status_code == 403
    assert tree(alice_files.files) == before


def test_a_post_with_the_token_works(alice, alice_files):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/files/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/files/mkdir/", {"csrfmiddlewaretoken": token, "name": "new"}, follow=True
    )
    assert said(response) == ["Folder new created."]
    assert (alice_files.files / "new").is_dir()
