"""Cold start on the running platform: a session with no labels, *Propose spectra to label*
(a ``propose`` job, no training), the proposals labelled through the API, then a training
round that starts. The labelling page of the cold round is photographed at 1280x720."""

from __future__ import annotations

import re
import time

import pytest

from tests.live.test_labelling import _post, login, toy_dataset, wait_ready
from tests.support.browser import screenshot_dir
from tests.support.toy_upload import toy_archive
from vocloud.client import Client

pytestmark = pytest.mark.platform
SEED = 13
#: A small first training round (the toy spectra need few epochs).
ROUND = {"epochs": "4", "acquisition": "bald", "k": "20", "method": "pca", "mc_samples": "3"}


def test_a_session_without_labels_starts_from_proposals(platform, page, tmp_path):
    started = time.monotonic()
    portal = toy_dataset(platform, "coldme", seed=SEED)
    _archive, _snapshot, truth = toy_archive("coldme", seed=SEED)
    fields = {"name": "cold toy", "schema": "classes", "target": "class", "unit": ""}
    created = _post(
        portal,
        f"{platform.url}/labelling/",
        {**fields, "dataset": "coldme", "classes": "absorption, emission, flat", "per_class": "0"},
    )
    session_id = int(re.search(r"/labelling/(\d+)/$", created.url).group(1))
    assert "Propose spectra to label" in created.text
    proposed = _post(
        portal,
        f"{platform.url}/labelling/{session_id}/rounds/propose/",
        {"k": "12", "method": "pca"},
    )
    assert "Round 1: proposing 12 spectra to label." in proposed.text
    print(f"dataset and session: {time.monotonic() - started:.1f} s")
    status = wait_ready(portal, platform, session_id, 1, timeout=120)
    print(f"round 1 proposed: {time.monotonic() - started:.1f} s")
    assert status["cold_start"] and status["train"] is None
    assert status["proposed_by"] == "Proposed by typicality (TypiClust) in PCA of the flux"

    login(page, platform)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{platform.url}/labelling/{session_id}/rounds/1/")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    assert page.locator("#mode option[value=check]").count() == 0  # no model to check
    assert "no predictions" in page.inner_text("#no-model")
    page.keyboard.press("ArrowRight")  # the first proposal
    page.wait_for_function(
        "() => Bokeh.documents[0].get_model_by_name('spectrum').data.wave.length > 10"
    )
    assert "typicality" in page.inner_text("#review-title")
    page.screenshot(path=f"{screenshot_dir(tmp_path)}/labelling-cold-start.png")

    print(f"page photographed: {time.monotonic() - started:.1f} s")
    session = Client(platform.url, platform.api_token("alice", "cold start")).sessions[session_id]
    sample = session.sample(1)
    paths = [str(p) for p in sample["path"][:10]]  # the proposals come first
    assert "predicted" not in sample.colnames
    for path in paths:  # the expert's word: the class each toy spectrum was made as
        session.label(path, truth[int(path[-8:-5])], round=1)
    assert len({truth[int(p[-8:-5])] for p in paths}) >= 2, paths
    assert session.refresh()["counts"]["total"] == 10

    print(f"10 labelled: {time.monotonic() - started:.1f} s")
    second = _post(portal, f"{platform.url}/labelling/{session_id}/rounds/", ROUND)
    assert "Round 2: training on 10 labels." in second.text
    # A training round that runs is what test_labelling.py follows to the end; here it is
    # enough that the ten proposals' labels started one. Its jobs are deleted so that the
    # worker this platform shares with other tests is free again.
    url = f"{platform.url}/labelling/{session_id}/rounds/2/status/"
    status = portal.get(url).json()
    assert not status["cold_start"] and status["train"]["kind"] == "train", status
    assert status["n_labels"] == 10
    page.goto(f"{platform.url}/labelling/{session_id}/")
    assert "none: cold start" in page.inner_text("#rounds")
    page.screenshot(path=f"{screenshot_dir(tmp_path)}/labelling-cold-start-session.png")
    uws = platform.session("alice")
    deleted = uws.delete(
        f"{platform.url}/uws/train/async/{status['train']['job_id']}", allow_redirects=False
    )
    assert deleted.status_code in (200, 303), deleted.status_code
    print(f"cold start to a started round 2: {time.monotonic() - started:.1f} s")
