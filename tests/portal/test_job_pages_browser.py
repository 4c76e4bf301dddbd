"""Job forms and pages in a real headless Chromium: every error at once beside its field,
the finished page drawn by the server once the job completes, and "run again"."""

import pytest

from tests.support.browser import screenshot_dir
from tests.support.platform import PASSWORDS

pytestmark = pytest.mark.platform


def test_errors_at_once_then_run_watch_and_run_again(platform, page, tmp_path):
    shots = screenshot_dir(tmp_path)
    page.goto(f"{platform.url}/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORDS["alice"])
    page.click("button[type=submit]")

    page.goto(f"{platform.url}/jobs/new/dataset/")
    assert page.locator("label[for=id_folders]").text_content().startswith("Folders")
    page.fill("input[name=name]", "bad name!")
    page.fill("input[name=folders]", "nowhere/at/all")
    page.eval_on_selector("form.jobform", "f => f.setAttribute('novalidate', '')")
    page.click("button[name=create]")
    assert "invalid dataset name" in page.locator("#id_name-errors").text_content()
    assert "nowhere/at/all" in page.locator("#id_folders-errors").text_content()
    page.screenshot(path=f"{shots}/form-errors.png", full_page=True)

    page.goto(f"{platform.url}/jobs/new/selftest/")
    page.fill("input[name=duration]", "0")
    page.fill("textarea[name=note]", "<b>again</b> ✓")
    page.click("button[name=run]")
    page.wait_for_url("**/jobs/selftest/*/")
    page.wait_for_function(
        "() => document.querySelectorAll('#results a').length === 2", timeout=30_000
    )  # job.js fills the file list when the job completes
    files = page.locator("#results li").first.text_content()
    assert "bytes" in files or "KB" in files
    assert page.locator("#results a", has_text="link for TOPCAT/SPLAT").count() == 1
    page.click("#run-again")
    page.wait_for_url("**/jobs/new/selftest/?from=*")
    assert page.input_value("textarea[name=note]") == "<b>again</b> ✓"
    assert float(page.input_value("input[name=duration]")) == 0

    page.goto(f"{platform.url}/jobs/")
    assert page.locator("table.jobs th", has_text="Progress").is_visible()
