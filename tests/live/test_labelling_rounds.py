"""A round that fails on the running platform, in headless Chromium: its owner aborts the
training job through UWS, the session page says so in one sentence and offers Retry, and the
retried round follows live on the page until it is ready to label."""

from __future__ import annotations

import re

import pytest

from tests.live.test_labelling import ROUND, _post, login, toy_dataset
from tests.support.browser import screenshot_dir

pytestmark = pytest.mark.platform
FAST = {**ROUND, "epochs": "3"}  # the retry trains with the same options: keep it short
PROGRESS = {
    "ready": False,
    "failed": "",
    "train": {"job_id": "-", "phase": "EXECUTING", "progress_text": "50 % · epoch 2/3: loss 0.9"},
    "round": None,
}


@pytest.fixture(scope="module")
def session(platform):
    """alice's dataset retryme and a session on it with 5 labels per class, no round yet."""
    portal = toy_dataset(platform, "retryme", seed=9)
    form = {
        "name": "retry me",
        "dataset": "retryme",
        "schema": "classes",
        "target": "class",
        "classes": "",
        "unit": "",
        "import_file": "retryme.labels.csv",
        "per_class": "5",
    }
    created = _post(portal, f"{platform.url}/labelling/", form)
    return portal, int(re.search(r"/labelling/(\d+)/$", created.url).group(1))


def test_an_aborted_round_says_why_and_a_retry_makes_it_ready(session, platform, page, tmp_path):
    portal, session_id = session
    base = f"{platform.url}/labelling/{session_id}"
    _post(portal, f"{base}/rounds/", FAST)
    train = portal.get(f"{base}/rounds/1/status/").json()["train"]
    aborted = platform.session("alice").post(
        f"{platform.jobs_url('train')}/{train['job_id']}/phase", data={"PHASE": "ABORT"}
    )
    assert aborted.status_code in (200, 303), aborted.text

    page.set_viewport_size({"width": 1280, "height": 720})
    login(page, platform)
    page.goto(f"{base}/")
    row = page.locator("tr[data-round='1']")
    assert row.locator(".failure").inner_text() == (
        "Training was stopped: Aborted at the owner's request."
    )
    assert "15 of 90 spectra" in page.inner_text("#counts")
    page.screenshot(path=f"{screenshot_dir(tmp_path)}/labelling-round-failed.png")

    # session.js writes what the status endpoint says into the row, without a reload: the
    # first answers are fixed here (a real epoch may pass between two polls), then real
    page.route("**/rounds/1/status/", lambda route: route.fulfill(json=PROGRESS))
    row.locator("form.retry button").click()
    page.wait_for_selector("text=Round 1 started again: training.")
    page.evaluate("() => { window.notReloaded = true; }")
    row.locator("[data-field='train-progress']", has_text="50 % · epoch 2/3").wait_for()
    assert row.locator("[data-field='train-phase']").inner_text() == "EXECUTING"
    assert page.evaluate("() => window.notReloaded === true")
    page.unroute("**/rounds/1/status/")
    # it reloads once the round is ready
    row.locator("a.button:has-text('Label')").wait_for(timeout=240_000)
    # Tens of labels: all trained on, nothing held out, no accuracy shown, and why.
    note = row.locator(".validation-note").inner_text()
    assert note.startswith("Not measured: too few labels to hold out a validation set"), note
    assert row.locator(".validation").count() == 0
    page.screenshot(path=f"{screenshot_dir(tmp_path)}/labelling-round-retried.png")
