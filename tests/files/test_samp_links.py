"""The JSON endpoint behind Send to TOPCAT / SPLAT: signed links and SAMP metadata."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.files.conftest import ONDREJOV
from tests.files.test_links import body

URL = "/files/samp/links/"
EVERYTHING = [
    "tables/cands.vot",
    "tables/cands.fits",
    "spectra/sdm.vot",
    "night1/raw/oe270005.fits",
    "blank.fits",
    "packed.fits",
    "notes.txt",
    "night1",
]
TABLE_ID = re.compile(r"vocloud:files/(?P<path>.+):[0-9a-f]{8}")


def post(client, purpose: str, paths: list[str]):
    return client.post(URL, {"purpose": purpose, "paths": paths})


def test_votables_and_fits_tables_get_a_signed_url_their_name_and_a_new_table_id(
    client, alice, alice_samp_files
):
    client.force_login(alice)
    answer = post(client, "table", EVERYTHING).json()
    votable, fits_table, sdm = answer["files"]
    assert votable["path"] == "tables/cands.vot" and votable["name"] == "cands.vot"
    assert votable["url"].startswith("http://testserver/files/signed/")
    assert (votable["table"]["name"], votable["table"]["format"]) == ("candidates", "votable")
    assert TABLE_ID.fullmatch(votable["table"]["table_id"])["path"] == "tables/cands.vot"
    # TOPCAT loads the first table extension, under its EXTNAME, with table.load.fits
    assert (fits_table["table"]["name"], fits_table["table"]["format"]) == ("CANDS", "fits")
    assert (sdm["path"], sdm["table"]["format"]) == ("spectra/sdm.vot", "votable")
    assert [(s["path"], s["reason"]) for s in answer["skipped"]] == [
        ("night1/raw/oe270005.fits", "not a VOTable or FITS table"),  # a 1-D image
        ("blank.fits", "not a VOTable or FITS table"),
        ("packed.fits", "not a VOTable or FITS table"),  # a compressed image's BINTABLE
        ("notes.txt", "not a VOTable or FITS table"),
        ("night1", "a folder"),
    ]
    assert answer["expires_in"] == 24 * 3600
    for sent in (votable, fits_table):
        served = Client().get(sent["url"].removeprefix("http://testserver"))
        assert body(served) == (alice_samp_files.files / sent["path"]).read_bytes()
    # TOPCAT refuses a table-id it has loaded: a second send of the file gets a new one
    again = post(client, "table", ["tables/cands.vot"]).json()["files"][0]["table"]["table_id"]
    assert again != votable["table"]["table_id"]


def test_spectra_get_the_mtype_ready_meta_map(client, alice, alice_samp_files):
    client.force_login(alice)
    answer = post(client, "spectrum", EVERYTHING).json()
    by_path = {sent["path"]: sent for sent in answer["files"]}
    assert list(by_path) == [
        "tables/cands.fits",
        "spectra/sdm.vot",
        "night1/raw/oe270005.fits",
        "blank.fits",
        "packed.fits",
    ]
    ondrejov = by_path["night1/raw/oe270005.fits"]
    assert ondrejov["spectrum"] == {
        "name": "oe270005.fits",
        "meta": {
            "Access.Reference": ondrejov["url"],
            "Access.Format": "application/fits",
            "Target.Name": "HD 208905",  # the object name the spectrum reader found
        },
    }
    # An SDM VOTable goes to SPLAT as a VOTable (SPLAT opens it as a spectrum table).
    sdm = by_path["spectra/sdm.vot"]
    assert sdm["spectrum"]["meta"] == {
        "Access.Reference": sdm["url"],
        "Access.Format": "application/x-votable+xml",
        "Target.Name": "HD 1234",
    }
    # A FITS file the reader cannot read as a spectrum is named by its file name.
    assert by_path["blank.fits"]["spectrum"]["meta"]["Target.Name"] == "blank.fits"
    assert [(s["path"], s["reason"]) for s in answer["skipped"]] == [
        ("tables/cands.vot", "not a FITS or VOTable spectrum"),  # a catalogue
        ("notes.txt", "not a FITS or VOTable spectrum"),
        ("night1", "a folder"),
    ]
    served = Client().get(ondrejov["url"].removeprefix("http://testserver"))
    assert body(served) == ONDREJOV.read_bytes()


@pytest.mark.parametrize(
    ("path", "buttons"),
    [
        ("tables/cands.vot", ["Send to TOPCAT"]),
        ("tables/cands.fits", ["Send to TOPCAT", "Send to SPLAT"]),
        ("spectra/sdm.vot", ["Send to TOPCAT", "Send to SPLAT"]),
        ("night1/raw/oe270005.fits", ["Send to SPLAT"]),
        ("packed.fits", ["Send to SPLAT"]),
        ("notes.txt", []),
    ],
)
def test_the_file_page_offers_the_tools_that_load_the_file(
    client, alice, alice_samp_files, path, buttons
):
    client.force_login(alice)
    page = client.get(f"/files/view/{path}").content.decode()
    assert re.findall(r">(Send to \w+)</button>", page) == buttons
    assert ("samp-bridge.js" in page) == bool(buttons)


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


def sdm_head(tmp_path, fields: str) -> bool:
    from vocloud.files.handoff import _votable_head

    path = tmp_path / "x.vot"
    path.write_text(f"<VOTABLE><RESOURCE><TABLE>{fields}<DATA/></TABLE></RESOURCE></VOTABLE>")
    return _votable_head(path)[1]


@pytest.mark.parametrize(
    ("fields", "spectrum"),
    [
        ('<FIELD name="w" utype="spec2:Data.SpectralAxis.Value"/>', True),  # SDM 2
        ('<FIELD name="w" ucd="em.wl"/><FIELD name="f" ucd="phot.flux.density;em.wl"/>', True),
        ('<FIELD name="w" ucd="em.freq;meta.main"/><FIELD name="f" ucd="phot.count"/>', True),
        # an SSA query response: a table *of* spectra, with their bounds and fluxes
        (
            '<FIELD name="lo" ucd="em.wl;stat.min" '
            'utype="ssa:Char.SpectralAxis.Coverage.Bounds.Start"/>'
            '<FIELD name="f" ucd="phot.flux;stat.max"/>',
            False,
        ),
        ('<FIELD name="ra" ucd="pos.eq.ra"/><FIELD name="f" ucd="phot.flux"/>', False),
    ],
)
def test_an_sdm_spectrum_is_told_from_other_votables(tmp_path, fields, spectrum):
    assert sdm_head(tmp_path, fields) is spectrum
