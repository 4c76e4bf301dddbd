"""The file manager in a real headless Chromium: upload a FITS, view its header and plot."""

import pytest

from tests.files.conftest import ONDREJOV
from tests.support.browser import screenshot_dir
from tests.support.platform import PASSWORDS

pytestmark = pytest.mark.platform


def test_alice_uploads_a_spectrum_and_views_it(platform, page, tmp_path):
    shots = screenshot_dir(tmp_path)
    page.goto(f"{platform.url}/files/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORDS["alice"])
    page.click("button[type=submit]")
    page.goto(f"{platform.url}/files/")
    page.set_input_files("input[name=files]", str(ONDREJOV))
    page.click("form.upload button[type=submit]")
    page.wait_for_selector(".messages li.success")
    assert "Uploaded 1 file(s)." in page.locator(".messages").text_content()
    # A whole folder: its files keep their paths inside it (files.js sends them along).
    night = tmp_path / "night1"
    (night / "raw").mkdir(parents=True)
    (night / "raw" / "a.txt").write_text("a")
    (night / "log.txt").write_text("log")
    page.set_input_files("input[name=tree]", str(night))
    page.click("form.upload button[type=submit]")
    page.wait_for_selector(".messages li.success")
    assert "Uploaded 2 file(s)." in page.locator(".messages").text_content()
    page.goto(f"{platform.url}/files/browse/night1/raw")
    assert page.locator("table.files", has_text="a.txt").is_visible()
    page.goto(f"{platform.url}/files/")
    row = page.locator("table.files tr", has_text="oe270005.fits")
    assert "FITS" in row.text_content()
    page.screenshot(path=f"{shots}/files-list.png", full_page=True)
    row.get_by_role("link", name="view").click()
    page.wait_for_url("**/files/view/oe270005.fits")
    # BokehJS draws into a canvas inside the plot's shadow DOM; Playwright pierces it.
    page.locator("#spectrum-plot canvas").first.wait_for(timeout=30_000)
    assert "HD 208905" in page.locator("pre.fits-header").text_content()
    page.wait_for_timeout(500)  # let the WebGL line finish drawing before the picture
    page.screenshot(path=f"{shots}/files-view-fits.png", full_page=True)
