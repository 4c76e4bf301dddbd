"""The spectra viewer in a real headless Chromium: two real spectra ticked in a folder are
overlaid in one Bokeh plot (one line each), and the viewer steps to the next file."""

import shutil
import uuid

import pytest

from tests.support.platform import PASSWORDS, ROOT

pytestmark = pytest.mark.platform

SPECTRA = ROOT / "tests" / "data" / "spectra"
LINES_JS = """() => {
  const doc = window.Bokeh && Bokeh.documents[0];
  if (!doc) return -1;
  return [...doc.all_models].filter((m) => m.type === "GlyphRenderer"
    && m.glyph && m.glyph.type === "Line").length;
}"""


def test_two_ticked_spectra_are_overlaid_and_the_viewer_steps_on(platform, page):
    name = f"night-{uuid.uuid4().hex[:6]}"
    folder = platform.data_dir / "users" / "1" / "files" / name  # alice is user 1
    folder.mkdir(parents=True)
    shutil.copy(SPECTRA / "ondrejov" / "oe270005.fits", folder / "a-ondrejov.fits")
    shutil.copy(SPECTRA / "lamost-dr2" / "spec-55919-B5591903_sp01-001.fits", folder / "b.fits")
    page.goto(f"{platform.url}/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORDS["alice"])
    page.click("button[type=submit]")
    page.goto(f"{platform.url}/files/browse/{name}")
    for file in ("a-ondrejov.fits", "b.fits"):
        page.check(f"input[name=paths][value='{name}/{file}']")
    page.click(".selection [data-overlay]")
    page.wait_for_url("**/files/overlay/**")
    assert page.locator("h1").text_content() == "2 spectra overlaid"
    page.wait_for_function(f"() => ({LINES_JS})() >= 2", timeout=20_000)
    assert page.evaluate(LINES_JS) == 2  # one line per spectrum (line marks are spans)
    listed = page.locator(".overlay-list li a").all_text_contents()
    assert listed == [f"{name}/a-ondrejov.fits", f"{name}/b.fits"]
    page.locator(".overlay-list li a").first.click()
    page.locator("a[rel=next]").click()
    page.wait_for_url(f"**/files/view/{name}/b.fits")
    assert page.locator("a[rel=prev]").get_attribute("title") == f"{name}/a-ondrejov.fits"
