"""Settings, the home page and a 404 in a real headless Chromium."""

import pytest

from tests.support.platform import PASSWORDS

pytestmark = pytest.mark.platform


def test_settings_home_and_a_missing_page_in_chromium(platform, page):
    page.goto(f"{platform.url}/accounts/login/")
    assert page.title().startswith("Log in") and "Log in to vocloud" in page.inner_text("h1")
    page.fill("input[name=username]", "bob")
    page.fill("input[name=password]", PASSWORDS["bob"])
    page.click("button[type=submit]")
    page.wait_for_selector("#labelling-loop")
    # The home page leads with the labelling loop and offers to start or continue it.
    first_card = page.locator("main section").first
    assert first_card.get_attribute("id") == "labelling-loop"
    assert page.locator("#start-labelling, #continue-labelling").count() == 1

    page.click(".topbar a:text-is('Settings')")
    page.wait_for_url("**/accounts/settings/")
    page.check("input[name=job_ended]")
    page.fill("input[name=email]", "bob@example.org")
    page.click("#mail button[type=submit]")
    page.wait_for_selector("text=You will get a mail at bob@example.org")
    assert page.is_checked("input[name=job_ended]")
    page.uncheck("input[name=job_ended]")  # leave bob as the other tests expect him
    page.click("#mail button[type=submit]")
    page.wait_for_selector("text=You will get no mail when your jobs end.")
    assert page.locator("#tokens a[href='/accounts/tokens/']").is_visible()

    response = page.goto(f"{platform.url}/no-such-page/")
    assert response.status == 404
    assert page.locator(".topbar nav a:text-is('Jobs')").is_visible()
    assert page.inner_text("h1") == "Not found"
    assert "There is no such page here" in page.inner_text("main")
