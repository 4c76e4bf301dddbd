"""Pool checks: "Am I correct?" on spectra drawn at random from a round's unlabelled pool.

The draw is uniform over the pool (the spectra the round's snapshot leaves unlabelled, less
those marked bad data), without replacement and reproducible; the accuracy is correct /
answered with its exact interval and the skips counted; the session page, the API and the
history plot show it before the training's held-out validation.
"""

from __future__ import annotations

import numpy as np
import pytest
from django.utils import timezone
from scipy import stats

from services.learning.metrics import proportion_interval
from vocloud.labelling import checks, history, loop, operations, validation
from vocloud.labelling.models import Label, PoolCheck, Round, Session
from vocloud.uws.models import Job

pytestmark = pytest.mark.django_db

API = "/api/v1/labelling/sessions"


def _labelled_paths() -> set[str]:
    # the fixture's snapshot labels.csv: every 6th spectrum of 90
    return {f"demo/s{i:03d}.fits" for i in range(0, 90, 6)}


def test_the_draw_is_uniform_without_replacement_and_batches_add_up():
    candidates = np.arange(100, 112)
    firsts = [checks.draw(candidates, 1, (7, s), set())[0] for s in range(2400)]
    counts = np.bincount(np.array(firsts) - 100, minlength=12)
    assert stats.chisquare(counts).pvalue > 0.001  # 200 expected per candidate
    whole = checks.draw(candidates, 8, (1, 2), set())
    assert len(set(whole)) == 8 and set(whole) <= set(candidates.tolist())
    first = checks.draw(candidates, 3, (1, 2), set())
    assert first + checks.draw(candidates, 5, (1, 2), set(first)) == whole
    ninth = checks.draw(candidates, 9, (1, 2), set())[8]
    assert checks.draw(candidates, 8, (1, 2), {whole[0]}) == [*whole[1:], ninth]
    assert sorted(checks.draw(candidates, 50, (3, 4), set())) == candidates.tolist()


def test_the_round_draw_leaves_out_labelled_and_bad_data_spectra(labelling):
    round_ = labelling.rounds.get(number=1)
    bad = "demo/s001.fits"
    operations.apply(labelling, [bad], mark=Label.BAD_DATA)
    made = checks.draw_more(round_, 1) + checks.draw_more(round_, 19)
    assert [c.order for c in made] == list(range(20))
    more = checks.draw_more(round_, 100)  # the rest of the pool: 90 - 15 labelled - 1 bad
    paths = [c.path for c in [*made, *more]]
    assert len(paths) == len(set(paths)) == 74
    assert not set(paths) & _labelled_paths() and bad not in paths
    with pytest.raises(checks.CheckError, match="has been drawn") as refused:
        checks.draw_more(round_)
    assert refused.value.status == 409
    # the same round draws the same order again
    PoolCheck.objects.all().delete()
    assert [c.path for c in checks.draw_more(round_, 20)] == paths[:20]
    first = PoolCheck.objects.get(round=round_, order=0)
    scores = checks.predictions(round_)  # from scores.vot: the job has no start time here
    at = list(scores["path"]).index(first.path)
    assert first.predicted == scores["predicted"][at] and 0 < first.probability <= 1
    # a job started after the dataset was made: the same from its arrays, without the table
    Job.objects.filter(pk=round_.round_job_id).update(start_time=timezone.now())
    fast = checks.predictions(Round.objects.get(pk=round_.pk))
    assert fast is not scores and list(fast["path"]) == list(scores["path"])
    assert list(fast["predicted"]) == list(scores["predicted"])
    assert np.allclose(fast["confidence"], scores["confidence"], atol=1e-6)


def test_accuracy_interval_and_skips(labelling):
    round_ = labelling.rounds.get(number=1)
    drawn = checks.draw_more(round_, 10)
    answers = ["yes"] * 6 + ["no"] * 2 + ["skip", "bad_data"]
    for check, given in zip(drawn, answers, strict=True):
        checks.answer(round_, check.path, given)
    found = checks.estimate(round_)
    low, high = proportion_interval(6, 8)
    assert (found["n"], found["correct"], found["skipped"], found["pending"]) == (8, 6, 2, 0)
    assert found["value"] == 0.75 and (found["low"], found["high"]) == (low, high)
    headline = loop.status(Round.objects.get(pk=round_.pk))["pool_check"]
    assert headline["text"] == (
        f"accuracy on 8 random pool spectra: 0.75 [{low:.2f}, {high:.2f}] (round 1)"
    )
    assert headline["warning"].startswith("Only 8 answers: this accuracy is a rough guide")
    assert headline["skip_note"].startswith("2 skipped (or bad data), not counted: skipping")
    # a class button: the answer follows from the class; a wrong pairing is refused
    other = next(c for c in labelling.classes if c != drawn[0].predicted)
    checks.answer(round_, drawn[0].path, "no", truth=other)
    assert checks.estimate(round_)["correct"] == 5
    with pytest.raises(checks.CheckError, match="disagree"):
        checks.answer(round_, drawn[0].path, "yes", truth=other)
    assert not Label.objects.filter(path__in=[c.path for c in drawn]).exists()


def test_an_answer_may_become_a_label_and_undo_takes_both_back(labelling):
    round_ = labelling.rounds.get(number=1)
    first, second = checks.draw_more(round_, 2)
    other = next(c for c in labelling.classes if c != first.predicted)
    checks.answer(round_, first.path, "no", truth=other, label=True)
    checks.answer(round_, second.path, "yes", label=True)
    assert Label.objects.get(session=labelling, path=first.path).value == other
    made = Label.objects.get(session=labelling, path=second.path)
    assert made.value == second.predicted and made.seen is True and made.round == round_
    assert checks.undo(round_) == f"Undone: your answer on {second.path} and the label it gave."
    assert not Label.objects.filter(path=second.path).exists()
    assert PoolCheck.objects.get(pk=second.pk).answer == ""
    operations.apply(labelling, ["demo/s002.fits"], value=other)  # a later label action
    assert "the label it gave stays" in checks.undo(round_)
    assert Label.objects.get(session=labelling, path=first.path).value == other
    assert checks.undo(round_) == "Nothing to undo."


def test_no_check_without_a_model_to_check(labelling, alice, client, tmp_path):
    from tests.support.labelling_round import completed_job

    (tmp_path / "proposed").mkdir()
    proposed = completed_job(alice, "propose", tmp_path / "proposed", {})
    cold = Round.objects.create(session=labelling, number=2, snapshot="x.csv", round_job=proposed)
    assert "cold start" in checks.unavailable(cold)  # a propose job, even without the flag
    Round.objects.filter(pk=cold.pk).update(options={"cold_start": True})
    cold.refresh_from_db()
    assert validation.pool_check(cold) is None and "cold start" in checks.unavailable(cold)
    assert loop.status(cold)["pool_check"] is None
    client.force_login(alice)
    page = client.get(f"/labelling/{labelling.pk}/rounds/2/check/").content.decode()
    assert "is a cold start: it has no model to check." in page and "check-config" not in page
    refused = client.post(
        f"{API}/{labelling.pk}/rounds/2/check", {"draw": 5}, content_type="application/json"
    )
    assert refused.status_code == 400 and "cold start" in refused.json()["error"]
    numeric = Session.objects.create(owner=alice, name="z", dataset="toy", schema="numeric")
    round_ = labelling.rounds.get(number=1)
    round_.session = numeric
    assert "for class sessions" in checks.unavailable(round_)
    with pytest.raises(checks.CheckError, match="for class sessions"):
        checks.draw_more(round_)


def test_the_session_page_and_history_prefer_the_pool_check(labelling, client, alice):
    round_ = labelling.rounds.get(number=1)
    Round.objects.filter(pk=round_.pk).update(
        metrics={"accuracy": 0.5, "ece": 0.1, "n_validation": 10}
    )
    client.force_login(alice)
    page = client.get(f"/labelling/{labelling.pk}/").content.decode()
    assert "Not measured yet" in page and "Check 20 random spectra" in page
    assert f'href="/labelling/{labelling.pk}/rounds/1/check/"' in page
    for check in checks.draw_more(round_, 5):
        checks.answer(round_, check.path, "yes")
    page = client.get(f"/labelling/{labelling.pk}/").content.decode()
    assert "accuracy on 5 random pool spectra: 1.00 [0.48, 1.00] (round 1)" in page
    assert page.index("random pool spectra") < page.index("accuracy 0.50 [")
    assert "Only 5 answers" in page and "Check 20 more" in page
    plot = history.rounds_plot([loop.status(r) for r in labelling.rounds.all()])
    assert "random pool check" in plot.title.text
    [whisker] = [m for m in plot.center if type(m).__name__ == "Whisker"]
    data = whisker.source.data
    assert data["source"] == ["random pool check"] and data["value"] == [1.0]
    assert data["low"][0] == pytest.approx(proportion_interval(5, 5)[0])


def test_the_check_page_and_the_api(labelling, client, alice):
    client.force_login(alice)
    page = client.get(f"/labelling/{labelling.pk}/rounds/1/check/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "check-config" in body and f"{API}/{labelling.pk}/rounds/1/check/answers" in body
    url = f"{API}/{labelling.pk}/rounds/1/check"
    empty = client.get(url).json()
    assert empty["available"] and empty["items"] == [] and empty["next"] is None
    drawn = client.post(url, {"draw": 20}, content_type="application/json")
    assert drawn.status_code == 201 and len(drawn.json()["items"]) == 20
    item = drawn.json()["items"][0]
    spectrum = client.get(f"{url}/spectrum?order=0").json()
    assert spectrum["path"] == item["path"] and len(spectrum["wave"]) == len(spectrum["flux"]) > 0
    answered = client.post(
        f"{url}/answers",
        {"path": item["path"], "answer": "yes", "label": True},
        content_type="application/json",
    ).json()
    assert answered["next"] == 1 and answered["headline"]["n"] == 1
    assert Label.objects.get(path=item["path"]).value == item["predicted"]
    undone = client.post(f"{url}/undo", {}, content_type="application/json").json()
    assert undone["next"] == 0 and "and the label it gave" in undone["message"]
    assert client.get(f"{API}/{labelling.pk}/rounds/1/").json()["pool_check"]["drawn"] == 20


@pytest.mark.django_db(transaction=True)
def test_the_check_page_in_chromium(labelling, alice, live_server, tmp_path):
    """Keys answer, the class buttons are text, the estimate follows; a 1280x720 shot."""
    import os

    from django.test import Client
    from playwright.sync_api import sync_playwright

    from tests.support.browser import CHROMIUM_FLAGS, chromium_path, screenshot_dir

    labelling.classes = [*labelling.classes, "<b>bold</b>"]
    labelling.save()
    browser_client = Client()
    browser_client.force_login(alice)
    cookie = browser_client.cookies["sessionid"].value
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{live_server.url}/labelling/{labelling.pk}/rounds/1/check/")
        page.click("#check-draw")

        def answer(key: str, answered: int) -> None:
            page.keyboard.press(key)
            page.wait_for_function(
                "n => document.querySelector('#check-progress').textContent === `${n} of 20`"
                " && document.querySelector('#check-plot').dataset.order === String(n)",
                arg=answered,
            )

        page.wait_for_selector("#check-plot[data-order='0'] svg")
        assert page.text_content("#check-progress") == "0 of 20"
        assert page.locator(".class-button", has_text="4 <b>bold</b>").count() == 1
        for key, answered in (("y", 1), ("s", 2), ("u", 1)):
            answer(key, answered)
        for n, key in enumerate("ynyyn", start=2):
            answer(key, n)
        estimate = page.text_content("#check-estimate")
        assert estimate.startswith("accuracy on 6 random pool spectra: 0.67 [")
        assert "rough guide" in page.text_content("#check-warning") and not errors
        shots = os.environ.get("VOCLOUD_CHECK_SHOT") or f"{screenshot_dir(tmp_path)}/check.png"
        page.screenshot(path=shots)
        browser.close()
    assert PoolCheck.objects.filter(answer="yes").count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_notebook_checks_through_the_client(labelling, alice, live_server):
    import gc

    from vocloud.accounts.models import ApiToken
    from vocloud.client import Client, VocloudError

    _token, key = ApiToken.issue(alice, "client")
    vc = Client(live_server.url, token=key)
    try:
        session = vc.sessions[labelling.name]
        assert session.check()["items"] == []  # the last ready round: 1
        state = session.check(round=1, draw=3)
        first, second = state["items"][0], state["items"][1]
        other = next(c for c in session.classes if c != first["predicted"])
        session.answer_check(1, first["path"], "no", truth=other, label=True)
        state = session.answer_check(1, second["path"], "skip")
        assert state["headline"]["n"] == 1 and state["headline"]["skipped"] == 1
        assert state["headline"]["value"] == 0.0 and state["next"] == 2
        assert "Undone" in session.undo_check(1)["message"]
        with pytest.raises(VocloudError, match="not drawn"):
            session.answer_check(1, "demo/s000.fits", "yes")
        assert Label.objects.get(path=first["path"]).value == other
    finally:
        vc.http.close()
        gc.collect()
