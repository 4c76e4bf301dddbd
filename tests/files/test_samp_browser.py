"""Send to TOPCAT / SPLAT from the file manager in real Chromium, to a real SAMP hub."""

from __future__ import annotations

import io
import uuid

import pytest
import requests
from astropy.io import fits
from astropy.io.votable import parse

from tests.files.conftest import ONDREJOV, write_fits_table, write_sdm_votable, write_votable
from tests.support.browser import screenshot_dir
from tests.support.platform import PASSWORDS

pytestmark = pytest.mark.platform

NO_HUB = "No SAMP hub is running: start TOPCAT or SPLAT (they include a hub) and try again."


@pytest.fixture(scope="module")
def folder(platform, tmp_path_factory) -> str:
    """A fresh folder of alice's holding cands.vot, cands.fits (a FITS table), sdm.vot (an
    SDM VOTable spectrum) and oe270005.fits, uploaded as a user would."""
    name = f"samp-{uuid.uuid4().hex[:8]}"
    made = tmp_path_factory.mktemp("samp-files")
    write_votable(made / "cands.vot")
    write_fits_table(made / "cands.fits")
    write_sdm_votable(made / "sdm.vot")
    session = platform.portal_session("alice")
    form = {"csrfmiddlewaretoken": session.cookies["csrftoken"]}
    headers = {"Referer": f"{platform.url}/files/"}
    session.post(
        f"{platform.url}/files/mkdir/", {**form, "folder": "", "name": name}, headers=headers
    )
    uploads = [made / "cands.vot", made / "cands.fits", made / "sdm.vot", ONDREJOV]
    uploaded = session.post(
        f"{platform.url}/files/upload/",
        data={**form, "folder": name},
        files=[("files", (path.name, path.read_bytes())) for path in uploads],
        headers=headers,
    )
    assert "Uploaded 4 file(s)." in uploaded.text
    return name


def log_in(page, platform, user: str = "alice") -> None:
    page.goto(f"{platform.url}/accounts/login/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("button[type=submit]")
    page.wait_for_selector("text=Log out")


def pick(page, *paths: str) -> None:
    for path in paths:
        page.check(f"input[name=paths][value='{path}']")


def without_a_session(url: str) -> bytes:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return response.content


def test_chosen_files_go_to_topcat_and_splat(platform, page, folder, samp_receiver, tmp_path):
    log_in(page, platform)
    page.goto(f"{platform.url}/files/browse/{folder}")
    page.wait_for_selector("#samp-hub[data-samp-hub=running]")
    pick(page, f"{folder}/cands.fits", f"{folder}/cands.vot", f"{folder}/oe270005.fits")

    page.click("button:has-text('Send to TOPCAT')")
    page.wait_for_selector("#samp-message li.success")
    assert page.text_content("#samp-message") == (
        f"receiver loaded 2 tables; skipped {folder}/oe270005.fits (not a VOTable or FITS table)."
    )
    [fits_table] = samp_receiver.wait_for("table.load.fits")
    [table] = samp_receiver.wait_for("table.load.votable")
    assert (fits_table.params["name"], table.params["name"]) == ("CANDS", "candidates")
    assert table.params["table-id"].startswith(f"vocloud:files/{folder}/cands.vot:")
    assert table.params["url"].startswith(f"{platform.url}/files/signed/")
    votable = parse(io.BytesIO(without_a_session(table.params["url"]))).get_first_table()
    assert votable.name == "candidates" and len(votable.array) == 2
    # the receiver read them as TOPCAT would: the FITS table's 3 rows, the VOTable's 2
    assert sorted((t.mtype, t.n_rows) for t in samp_receiver.loaded) == [
        ("table.load.fits", 3),
        ("table.load.votable", 2),
    ]

    # Again: new table-ids, so TOPCAT loads them again instead of refusing them.
    page.click("button:has-text('Send to TOPCAT')")
    samp_receiver.wait_for("table.load.votable", count=2)
    page.wait_for_function("() => document.querySelector('#samp-message li.success')")
    assert len({t.table_id for t in samp_receiver.loaded}) == 4
    # A load the tool refuses is shown with its own words.
    samp_receiver.fail_loads("Can't read table: disk full")
    page.click("button:has-text('Send to TOPCAT')")
    page.wait_for_selector("#samp-message li.error")
    assert page.text_content("#samp-message") == (
        f"Nothing was loaded; skipped {folder}/oe270005.fits (not a VOTable or FITS table). "
        "receiver could not load cands.fits: Can't read table: disk full. "
        "receiver could not load cands.vot: Can't read table: disk full."
    )
    samp_receiver.fail_loads(None)

    page.uncheck(f"input[name=paths][value='{folder}/cands.fits']")
    pick(page, f"{folder}/sdm.vot")
    page.click("button:has-text('Send to SPLAT')")
    page.wait_for_selector("#samp-message li.success >> text=spectra")
    assert page.text_content("#samp-message") == (
        f"receiver loaded 2 spectra; skipped {folder}/cands.vot (not a FITS or VOTable spectrum)."
    )
    spectra = samp_receiver.wait_for("spectrum.load.ssa-generic", count=2)
    by_name = {message.params["name"]: message for message in spectra}
    ondrejov, sdm = by_name["oe270005.fits"], by_name["sdm.vot"]
    url = ondrejov.params["url"]
    assert ondrejov.params["meta"] == {
        "Access.Reference": url,
        "Access.Format": "application/fits",
        "Target.Name": "HD 208905",
    }
    assert sdm.params["meta"]["Access.Format"] == "application/x-votable+xml"
    assert sdm.params["meta"]["Target.Name"] == "HD 1234"
    data = without_a_session(url)
    assert data == ONDREJOV.read_bytes()
    with fits.open(io.BytesIO(data)) as hdus:
        assert hdus[0].header["OBJECT"] == "HD 208905"
    assert page.text_content("#samp-hub") == "SAMP hub: connected"
    page.screenshot(path=f"{screenshot_dir(tmp_path)}/files-samp-sent.png", full_page=True)


def test_the_file_page_sends_its_own_file(platform, page, folder, samp_receiver):
    log_in(page, platform)
    page.goto(f"{platform.url}/files/view/{folder}/oe270005.fits")
    assert page.locator("button:has-text('Send to TOPCAT')").count() == 0
    page.click("button:has-text('Send to SPLAT')")
    page.wait_for_selector("#samp-message li.success")
    [spectrum] = samp_receiver.wait_for("spectrum.load.ssa-generic")
    assert spectrum.params["meta"]["Target.Name"] == "HD 208905"
    assert without_a_session(spectrum.params["url"]) == ONDREJOV.read_bytes()

    page.goto(f"{platform.url}/files/view/{folder}/cands.vot")
    page.click("button:has-text('Send to TOPCAT')")
    [table] = samp_receiver.wait_for("table.load.votable")
    assert table.params["name"] == "candidates"


def test_without_a_hub_the_page_says_how_to_get_one(platform, page, folder, no_samp_hub, tmp_path):
    log_in(page, platform)
    page.goto(f"{platform.url}/files/browse/{folder}")
    page.wait_for_selector("#samp-hub[data-samp-hub=absent]")
    assert page.text_content("#samp-hub") == "SAMP hub: not running"
    pick(page, f"{folder}/oe270005.fits")
    page.click("button:has-text('Send to SPLAT')")
    page.wait_for_selector("#samp-message li.error")
    assert page.text_content("#samp-message") == NO_HUB
    page.screenshot(path=f"{screenshot_dir(tmp_path)}/files-samp-no-hub.png", full_page=True)
