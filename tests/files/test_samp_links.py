"""The JSON endpoint behind Send to TOPCAT / SPLAT: signed links and SAMP metadata."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.files.conftest import ONDREJOV
from tests.files.test_links import body

URL = "/files/samp/links/"
EVERYTHING = ["tables/cands.vot", "night1/raw/oe270005.fits", "blank.fits", "notes.txt", "night1"]


def post(client, purpose: str, paths: list[str]):
    return client.post(URL, {"purpose": purpose, "paths": paths})


def test_votables_get_a_signed_url_and_their_table_name(client, alice, alice_samp_files):
    client.force_login(alice)
    answer = post(client, "table", EVERYTHING).json()
    [table] = answer["files"]
    assert table["path"] == "tables/cands.vot" and table["name"] == "cands.vot"
    assert table["url"].startswith("http://testserver/files/signed/")
    assert table["table"] == {"name": "candidates", "table_id": "vocloud:files/tables/cands.vot"}
    assert [(s["path"], s["reason"]) for s in answer["skipped"]] == [
        ("night1/raw/oe270005.fits", "not a VOTable"),
        ("blank.fits", "not a VOTable"),
        ("notes.txt", "not a VOTable"),
        ("night1", "a folder"),
    ]
    assert answer["expires_in"] == 24 * 3600
    served = Client().get(table["url"].removeprefix("http://testserver"))
    assert body(served) == (alice_samp_files.files / "tables/cands.vot").read_bytes()


def test_spectra_get_the_mtype_ready_meta_map(client, alice, alice_samp_files):
    client.force_login(alice)
    answer = post(client, "spectrum", EVERYTHING).json()
    ondrejov, blank = answer["files"]
    assert ondrejov["spectrum"] == {
        "name": "oe270005.fits",
        "meta": {
            "Access.Reference": ondrejov["url"],
            "Access.Format": "application/fits",
            "Target.Name": "HD 208905",  # the object name the spectrum reader found
        },
    }
    # A FITS file the reader cannot read as a spectrum is named by its file name.
    assert blank["spectrum"]["meta"]["Target.Name"] == "blank.fits"
    assert [s["path"] for s in answer["skipped"]] == ["tables/cands.vot", "notes.txt", "night1"]
    served = Client().get(ondrejov["url"].removeprefix("http://testserver"))
    assert body(served) == ONDREJOV.read_bytes()


@pytest.mark.parametrize("purpose", ["table", "spectrum"])
def test_bob_gets_no_links_to_alices_files(client, alice_samp_files, bob, purpose):
    client.force_login(bob)
    for path in ("tables/cands.vot", "night1/raw/oe270005.fits"):
        response = post(client, purpose, [path])
        assert response.status_code == 404
        assert "signed" not in response.content.decode()


@pytest.mark.parametrize(
    "path", ["../index.sqlite3", "/etc/passwd", "night1/../../index.sqlite3", "%2e%2e/x"]
)
def test_paths_leaving_the_space_are_not_found(client, alice, alice_samp_files, path):
    client.force_login(alice)
    assert post(client, "table", [path]).status_code == 404


def test_anonymous_users_are_told_to_log_in(client, alice_samp_files):
    response = post(client, "table", ["tables/cands.vot"])
    assert response.status_code == 401 and "log in" in response.json()["error"]


@pytest.mark.parametrize(
    ("purpose", "paths", "error"),
    [
        ("table", [], "Choose files"),
        ("image", ["tables/cands.vot"], "Unknown purpose"),
        ("table", ["notes.txt"] * 201, "at most 200"),
    ],
)
def test_requests_to_change_are_bad_requests(
    client, alice, alice_samp_files, purpose, paths, error
):
    client.force_login(alice)
    response = post(client, purpose, paths)
    assert response.status_code == 400 and error in response.json()["error"]


def test_it_takes_only_posts(client, alice, alice_samp_files):
    client.force_login(alice)
    assert client.get(URL, {"purpose": "table", "paths": ["tables/cands.vot"]}).status_code == 405


def test_csrf_is_enforced(alice, alice_samp_files):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert post(strict, "table", ["tables/cands.vot"]).status_code == 403
    strict.get("/files/")  # the page sets the CSRF cookie, as in the browser
    token = strict.cookies["csrftoken"].value
    response = strict.post(
        URL, {"purpose": "table", "paths": ["tables/cands.vot"]}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200 and len(response.json()["files"]) == 1


@pytest.mark.parametrize(
    ("xml", "name"),
    [
        (b'<VOTABLE><RESOURCE name="r"><TABLE name="t"/></RESOURCE></VOTABLE>', "t"),
        (b'<VOTABLE><RESOURCE name="r"><TABLE/></RESOURCE></VOTABLE>', "r"),
        (b"<VOTABLE><RESOURCE><TABLE/></RESOURCE></VOTABLE>", "x.vot"),
        (b"<VOTABLE><RESOURCE><TABLE name=", "x.vot"),  # not XML: the file name
    ],
)
def test_a_votable_is_named_by_its_table_or_resource_or_file(tmp_path, xml, name):
    from vocloud.files.handoff import votable_name

    path = tmp_path / "x.vot"
    path.write_bytes(xml)
    assert votable_name(path) == name
