"""Rounds with too few labels to validate show no number, and a collapsed model is said in
one sentence on the session page and on the train / al-round job pages."""

from __future__ import annotations

import gc
import json
import warnings

import pytest

from services.learning.collapse import detect
from vocloud.labelling import loop, validation
from vocloud.labelling.models import Round
from vocloud.uws import storage
from vocloud.uws.models import Result

pytestmark = pytest.mark.django_db

FIXED = {
    "validation": "not measured: too few labels",
    "n_validation": 0,
    "n_labelled": 15,
    "regime": "fixed",
}
BALANCED = {"absorption": 5, "emission": 5, "flat": 5}
COLLAPSED = detect(["flat"] * 70 + ["emission"] * 5, BALANCED, "unlabelled spectra")


def test_a_round_without_validation_says_why_and_shows_no_number():
    assert validation.summary(FIXED) is None
    assert validation.note(FIXED) == (
        "Not measured: too few labels to hold out a validation set (all 15 labels trained on)."
    )
    assert validation.note({"accuracy": 0.8, "n_validation": 40}) == ""
    assert validation.note({}) == "" and validation.warning({}) == ""


def test_the_pool_verdict_outranks_the_training_one():
    sound = detect(["flat"] * 30 + ["emission"] * 45, BALANCED)
    metrics = {**FIXED, "collapse": COLLAPSED}
    assert validation.warning(metrics).startswith("The model predicts flat for 70 of 75")
    assert validation.warning(metrics, pool=sound) == ""
    assert validation.warning(FIXED, pool=COLLAPSED) == COLLAPSED["sentence"]


def test_the_session_page_shows_the_note_and_the_collapse_of_the_pool(labelling, client, alice):
    round_ = Round.objects.get(session=labelling, number=1)
    Round.objects.filter(pk=round_.pk).update(metrics=FIXED)
    summary = storage.results_dir(round_.round_job.job_id) / "summary.json"
    summary.write_text(json.dumps({"collapse": COLLAPSED}))
    status = loop.status(Round.objects.get(pk=round_.pk))
    assert status["validation"] is None and status["warning"] == COLLAPSED["sentence"]
    client.force_login(alice)
    page = client.get(f"/labelling/{labelling.pk}/").content.decode()
    assert "Not measured: too few labels to hold out a validation set" in page
    assert "The model predicts flat for 70 of 75 unlabelled spectra (93%" in page
    assert "accuracy 1.00" not in page


def test_a_real_round_trained_on_fifteen_labels_is_not_validated(labelling):
    train = Round.objects.get(session=labelling, number=1).train_job
    metrics = json.loads((storage.results_dir(train.job_id) / "metrics.json").read_text())
    assert metrics["regime"] == "fixed" and metrics["n_validation"] == 0
    assert validation.summary(metrics) is None and validation.note(metrics)


def _register(job, files: dict[str, str]) -> None:
    for result_id, name in files.items():
        size = storage.result_path(job.job_id, name).stat().st_size
        Result.objects.create(job=job, result_id=result_id, path=name, size=size,
                              mime_type="application/octet-stream")  # fmt: skip


def test_the_train_page_of_a_fixed_regime_job_shows_no_accuracy(labelling, client, alice):
    train = Round.objects.get(session=labelling, number=1).train_job
    _register(train, {"result": "labelled.vot", "metrics": "metrics.json",
                      "history": "history.json"})  # fmt: skip
    client.force_login(alice)
    page = client.get(f"/jobs/train/{train.job_id}/").content.decode()
    assert "not measured" in page and "n = 0 validated" in page
    assert "Validation accuracy" not in page and "Confusion matrix" not in page


def test_the_train_and_round_pages_say_when_the_model_collapsed(labelling, client, alice):
    from services.score import _collapse_infos, _write_table

    round_ = Round.objects.get(session=labelling, number=1)
    train, scoring = round_.train_job, round_.round_job
    out = storage.results_dir(train.job_id)
    metrics = json.loads((out / "metrics.json").read_text())
    eight_each = dict.fromkeys(BALANCED, 8)
    trained = detect(["flat"] * 24, eight_each, "labelled spectra")
    (out / "metrics.json").write_text(json.dumps({**metrics, "collapse": trained}))
    _register(train, {"result": "labelled.vot", "metrics": "metrics.json"})
    rows = {"row": [3, 4], "path": ["demo/s003.fits", "demo/s004.fits"], "score": [0.2, 0.1],
            "predicted": ["flat", "flat"]}  # fmt: skip
    infos = _collapse_infos(COLLAPSED)
    _write_table(rows, storage.results_dir(scoring.job_id) / "top_k.vot", "top 2 by bald", infos)
    _register(scoring, {"top-k": "top_k.vot"})
    client.force_login(alice)
    page = client.get(f"/jobs/train/{train.job_id}/").content.decode()
    assert "The model predicts flat for 24 of 24 labelled spectra (100%" in page
    page = client.get(f"/jobs/al-round/{scoring.job_id}/").content.decode()
    assert "The model predicts flat for 70 of 75 unlabelled spectra" in page
    assert "Most predicted class on the 75 scored spectra: flat, 70 of n = 75 (0.93" in page
    # vocloud.portal.vorows leaves its iterparse (and file) to the garbage collector when it
    # stops at the first TABLE; collected later, the file may be finalised first and warn in
    # whichever test runs then. Collect here, where it was opened.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
