"""The portal in a real headless Chromium: log in, start a job from its form, watch it run."""

import pytest

from tests.support.browser import screenshot_dir
from tests.support.platform import PASSWORDS

pytestmark = pytest.mark.platform


def test_a_user_runs_a_job_and_watches_it_complete(platform, page, tmp_path):
    shots = screenshot_dir(tmp_path)
    page.goto(f"{platform.url}/jobs/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORDS["alice"])
    page.click("button[type=submit]")
    page.goto(f"{platform.url}/jobs/new/selftest/")
    assert page.locator("text=Seconds the job stays EXECUTING").is_visible()
    page.fill("input[name=duration]", "3")
    page.fill("textarea[name=note]", "from Chromium ✓")
    page.screenshot(path=f"{shots}/new-job.png", full_page=True)
    page.click("button[name=run]")
    page.wait_for_url("**/jobs/selftest/*/")
    page.wait_for_function(
        "() => document.getElementById('phase').textContent === 'EXECUTING'", timeout=20_000
    )
    page.wait_for_function(
        "() => parseFloat(document.getElementById('progress-bar').style.width) > 0", timeout=10_000
    )
    page.screenshot(path=f"{shots}/job-running.png", full_page=True)
    page.wait_for_function(
        "() => document.getElementById('phase').textContent === 'COMPLETED'", timeout=30_000
    )
    assert page.locator("#results a", has_text="result").is_visible()
    assert page.locator("#abort-form").is_hidden()
    page.screenshot(path=f"{shots}/job-completed.png", full_page=True)
    with page.expect_download() as download:
        page.evaluate("""() => { const a = document.querySelector('#results a');
                                 a.setAttribute('download', ''); a.click(); }""")
    assert "from Chromium ✓" in download.value.path().read_text(encoding="utf-8")


def test_a_bad_value_gets_a_readable_message(platform, page):
    page.goto(f"{platform.url}/accounts/login/")
    page.fill("input[name=username]", "bob")
    page.fill("input[name=password]", PASSWORDS["bob"])
    page.click("button[type=submit]")
    page.goto(f"{platform.url}/jobs/new/selftest/")
    page.fill("input[name=duration]", "99999")
    page.click("button[name=create]")
    # The bounds from the kind's declaration reach the browser, which refuses at once...
    message = page.eval_on_selector("input[name=duration]", "e => e.validationMessage")
    assert "3600" in message
    assert page.url.endswith("/jobs/new/selftest/")
    # ...and the server says the same when the browser's check is bypassed.
    page.eval_on_selector("form.jobform", "f => f.setAttribute('novalidate', '')")
    page.click("button[name=create]")
    assert "less than or equal to 3600" in page.locator(".error").first.text_content()
