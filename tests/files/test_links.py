"""Signed links to a user's files: the token is the only credential, and a narrow one."""

from __future__ import annotations

import io
import os

import pytest
from astropy.io import fits
from astropy.io.votable import parse

from tests.files.conftest import ONDREJOV, space_of
from vocloud import signed_links
from vocloud.files import links
from vocloud.uws import links as result_links


def body(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()  # a WSGI server closes the file; the test client does not


def test_a_fits_link_downloads_the_exact_bytes_without_a_session(client, alice, alice_files):
    response = client.get(links.signed_file_path(alice, "night1/raw/oe270005.fits"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fits"
    assert 'filename="oe270005.fits"' in response["Content-Disposition"]
    data = body(response)
    assert data == ONDREJOV.read_bytes()
    with fits.open(io.BytesIO(data)) as hdus:
        assert hdus[0].header["OBJECT"] == "HD 208905"


def test_a_votable_link_serves_a_valid_votable(client, alice, alice_samp_files):
    response = client.get(links.signed_file_path(alice, "tables/cands.vot"))
    assert response["Content-Type"] == "application/x-votable+xml"
    data = body(response)
    assert data == (alice_samp_files.files / "tables" / "cands.vot").read_bytes()
    table = parse(io.BytesIO(data)).get_first_table()
    assert table.name == "candidates" and list(table.array["name"]) == ["a", "b"]


def test_the_link_answers_head_for_tools_that_look_first(client, alice, alice_files):
    response = client.head(links.signed_file_path(alice, "notes.txt"))
    response.close()
    assert response.status_code == 200


def test_a_tampered_token_is_not_found(client, alice, alice_files):
    url = links.signed_file_path(alice, "notes.txt")
    token = url.rsplit("/", 1)[1]
    middle = len(token) // 2
    forged = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    for bad in (forged, token + "x", token[:-1], "notes.txt", ""):
        response = client.get(f"/files/signed/{bad}")
        assert response.status_code == 404, bad
    assert "not valid" in client.get(f"/files/signed/{forged}").content.decode()


def test_an_expired_link_is_not_found_and_says_so(client, settings, alice, alice_files):
    url = links.signed_file_path(alice, "notes.txt")
    settings.VOCLOUD_SIGNED_URL_LIFETIME = -1  # every token is older than that
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")
    assert "expired" in response.content.decode()


def test_a_job_result_token_does_not_open_files(client, alice_files, completed_job):
    result_url = result_links.signed_result_path(completed_job.results.get())
    token = result_url.rsplit("/", 1)[1]
    assert client.get(f"/files/signed/{token}").status_code == 404


def test_paths_leaving_the_owners_space_are_refused_when_signing(alice, bob, alice_files):
    from services.storage import PathEscape

    space_of(bob)
    for path in (
        f"../../{alice.pk}/files/notes.txt",
        "/etc/passwd",
        "night1/../../index.sqlite3",
    ):
        with pytest.raises(PathEscape):
            links.signed_file_path(bob, path)


def test_a_token_for_another_users_path_is_refused_when_serving(client, alice, bob, alice_files):
    # Even a token the server itself signed cannot leave its owner's space.
    space_of(bob)
    for path in (f"../../{alice.pk}/files/notes.txt", "../index.sqlite3", "/etc/passwd"):
        token = signed_links.sign(bob, {"p": path}, salt=links.SALT)
        assert client.get(f"/files/signed/{token}").status_code == 404, path


def test_a_link_dies_with_its_file(client, alice, alice_files):
    url = links.signed_file_path(alice, "notes.txt")
    (alice_files.files / "notes.txt").unlink()
    response = client.get(url)
    assert response.status_code == 404 and "gone" in response.content.decode()


def test_a_file_swapped_for_a_symlink_outside_is_refused(client, alice, alice_files, tmp_path):
    url = links.signed_file_path(alice, "notes.txt")
    (tmp_path / "secret.txt").write_text("outside")
    (alice_files.files / "notes.txt").unlink()
    os.symlink(tmp_path / "secret.txt", alice_files.files / "notes.txt")
    response = client.get(url)
    assert response.status_code == 404 and b"outside" not in response.content


def test_a_link_dies_with_its_owners_account(client, alice, alice_files):
    url = links.signed_file_path(alice, "notes.txt")
    alice.is_active = False
    alice.save()
    assert client.get(url).status_code == 404


def test_folders_get_no_link(alice, alice_files):
    from services.storage.manager import NoSuchPath

    with pytest.raises(NoSuchPath):
        links.signed_file_path(alice, "night1")
