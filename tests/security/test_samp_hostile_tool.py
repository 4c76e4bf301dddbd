"""What a SAMP tool says reaches our pages as text: rows of attack -> expected refusal.

Since the pages call tools and show their replies, a tool's ``samp.name`` and its
``samp.errortxt`` are input to vocloud's pages, from any program on the user's machine
that registered with the hub. Here a hostile TOPCAT stand-in (a real pyvo client of a real
hub) is named and refuses loads with markup meant to set ``window.pwned``; the file
manager shows both as text. (Row lists a tool sends back are checked on the labelling
page: tests/live/test_labelling.py sends junk rows.)
"""

from __future__ import annotations

import pytest

from tests.files.test_samp_browser import folder, log_in, pick  # noqa: F401 (a fixture)
from tests.support.samp_hub import Receiver

pytestmark = pytest.mark.platform

NAME = "<img src=x onerror=\"window.pwned='name'\">"
ERROR = "</li><svg onload=window.pwned='errortxt'>"
ON_ATTRIBUTES = """() => Array.from(document.querySelectorAll("*"))
  .flatMap((el) => el.getAttributeNames().filter((n) => n.startsWith("on")))"""


def test_a_tools_name_and_error_text_stay_text(platform, page, folder, samp_hub):  # noqa: F811
    hostile = Receiver(name=NAME).connect()
    try:
        hostile.fail_loads(ERROR)
        log_in(page, platform)
        page.goto(f"{platform.url}/files/browse/{folder}")
        pick(page, f"{folder}/cands.vot")
        page.click("button:has-text('Send to TOPCAT')")
        page.wait_for_selector("#samp-message li.error")
        assert page.text_content("#samp-message") == (
            f"Nothing was loaded. {NAME} could not load cands.vot: {ERROR}."
        )
        assert page.evaluate("() => window.pwned") is None
        assert page.evaluate(ON_ATTRIBUTES) == []
    finally:
        hostile.disconnect()
