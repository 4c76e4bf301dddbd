"""Rounds that fail never break a session: the page says why in one sentence and retries;
accuracies come with their n and interval; deleting a dataset in use asks first."""

from __future__ import annotations

import shutil

import pytest
from django.conf import settings
from django.test import Client

from services.storage import user_space
from vocloud.labelling import loop, validation
from vocloud.labelling.models import Round
from vocloud.uws import phases, service
from vocloud.uws.models import Job, Phase

pytestmark = pytest.mark.django_db


def job_in(owner, kind: str, *path: str, error: str = "") -> Job:
    """A job of ``kind`` moved through the phase machine along ``path``."""
    job = Job.objects.create(
        kind=kind,
        owner=owner,
        creation_time=service.now_ms(),
        execution_duration=0,
        destruction=service.latest_destruction(),
        parameters={"DATASET": "toy"},
    )
    for phase in path:
        fields = {"error_message": error} if phase in (Phase.ERROR, Phase.ABORTED) else {}
        assert phases.transition(job, phase, **fields), phase
    return job


def second_round(session, train: Job | None, scoring: Job | None = None, **fields) -> Round:
    return Round.objects.create(
        session=session,
        number=2,
        snapshot="labels.csv",  # the fixture's snapshot, in alice's files
        n_labels=15,
        train_job=train,
        round_job=scoring,
        round_started=scoring is not None,
        options={**loop.DEFAULTS, "epochs": 7, "k": 30, "method": "pca"},
        **fields,
    )


def session_page(client, session) -> str:
    response = client.get(f"/labelling/{session.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def retry_form(session, number: int = 2) -> str:
    return f'action="/labelling/{session.pk}/rounds/{number}/retry/"'


RUNNING = (Phase.QUEUED, Phase.EXECUTING)
FAILURES = {
    "training error": (
        lambda alice: job_in(
            alice, "train", *RUNNING, Phase.ERROR, error="no labelled spectrum of class flat"
        ),
        "Training failed: no labelled spectrum of class flat.",
    ),
    "training aborted": (
        lambda alice: job_in(alice, "train", Phase.QUEUED, Phase.ABORTED),
        "Training was stopped.",
    ),
    "training deleted": (lambda alice: None, "The training job of this round was deleted."),
}


@pytest.mark.parametrize("case", FAILURES)
def test_a_failed_training_shows_one_sentence_and_a_retry_button(labelling, client, alice, case):
    make, sentence = FAILURES[case]
    second_round(labelling, make(alice))
    client.force_login(alice)
    page = session_page(client, labelling)
    assert sentence in page and retry_form(labelling) in page
    assert "Traceback" not in page and settings.DATA_DIR.as_posix() not in page
    status = client.get(f"/labelling/{labelling.pk}/rounds/2/status/").json()
    assert status["failed"] == sentence and not status["ready"]


def test_an_error_message_never_shows_a_server_path(labelling, client, alice):
    where = f"{settings.DATA_DIR}/users/{alice.pk}/datasets/toy/v1/flux.npy"
    second_round(
        labelling, job_in(alice, "train", *RUNNING, Phase.ERROR, error=f"cannot read {where}")
    )
    client.force_login(alice)
    page = session_page(client, labelling)
    assert "Training failed: cannot read dataset toy/v1/flux.npy." in page
    assert str(settings.DATA_DIR) not in page


def test_a_failed_or_deleted_al_round_job_fails_the_round(labelling, client, alice):
    train = job_in(alice, "train", *RUNNING, Phase.COMPLETED)
    scoring = job_in(alice, "al-round", *RUNNING, Phase.ERROR, error="out of memory")
    round_ = second_round(labelling, train, scoring)
    assert loop.status(round_)["failed"] == "Scoring and projection failed: out of memory."
    scoring.delete()
    round_.refresh_from_db()
    status = loop.status(round_)  # not started again behind the owner's back
    assert status["failed"] == "The scoring and projection job of this round was deleted."
    assert status["round"] is None and Job.objects.filter(kind="al-round").count() == 1


def test_retry_after_failed_training_trains_again_from_the_same_snapshot(labelling, client, alice):
    old = job_in(alice, "train", *RUNNING, Phase.ERROR, error="the worker stopped")
    round_ = second_round(labelling, old, metrics={"accuracy": 0.2})
    client.force_login(alice)
    response = client.post(f"/labelling/{labelling.pk}/rounds/2/retry/", follow=True)
    assert "Round 2 started again: training." in response.content.decode()
    round_.refresh_from_db()
    new = round_.train_job
    assert new.pk != old.pk and new.phase == Phase.QUEUED and new.kind == "train"
    assert new.parameters["LABELS_FILE"] == "labels.csv" and new.parameters["EPOCHS"] == "7"
    assert round_.round_job is None and not round_.round_started and round_.metrics == {}
    assert Job.objects.filter(pk=old.pk).exists()  # the failed job stays, with its log
    assert loop.status(round_)["failed"] == ""


def test_retry_after_a_failed_al_round_only_scores_again(labelling, client, alice):
    train = job_in(alice, "train", *RUNNING, Phase.COMPLETED)
    scoring = job_in(alice, "al-round", Phase.QUEUED, Phase.ABORTED, error="Aborted by you.")
    round_ = second_round(labelling, train, scoring)
    client.force_login(alice)
    response = client.post(f"/labelling/{labelling.pk}/rounds/2/retry/", follow=True)
    assert "Round 2 started again: scoring and projection." in response.content.decode()
    round_.refresh_from_db()
    assert round_.train_job_id == train.pk and round_.round_started
    assert round_.round_job.pk != scoring.pk and round_.round_job.phase == Phase.QUEUED
    assert round_.round_job.parameters["MODEL"] == train.job_id
    assert round_.round_job.parameters["K"] == "30"


def test_retry_of_a_round_that_has_not_failed_is_refused(labelling, client, alice):
    client.force_login(alice)
    response = client.post(f"/labelling/{labelling.pk}/rounds/1/retry/", follow=True)
    assert "Round 1 has not failed: nothing to retry." in response.content.decode()
    assert Job.objects.count() == 2


def test_a_deleted_dataset_is_said_and_a_retry_starts_nothing(labelling, client, alice):
    datasets = user_space(settings.DATA_DIR, alice.pk).datasets
    shutil.rmtree(datasets / "toy")
    second_round(  # what the worker reports when the dataset went during training
        labelling,
        job_in(alice, "train", *RUNNING, Phase.ERROR, error="dataset 'toy': no dataset at 'toy'"),
    )
    client.force_login(alice)
    page = session_page(client, labelling)
    assert "The dataset toy of this session is gone" in page
    assert "Training failed: dataset &#x27;toy&#x27;: no dataset at &#x27;toy&#x27;." in page
    assert retry_form(labelling) in page
    jobs = Job.objects.count()
    answer = client.post(f"/labelling/{labelling.pk}/rounds/2/retry/", follow=True)
    assert "The dataset toy of this session is gone (deleted or unreadable): nothing was " in (
        answer.content.decode()
    )
    assert Job.objects.count() == jobs
    started = client.post(f"/labelling/{labelling.pk}/rounds/", {**loop.DEFAULTS}, follow=True)
    assert "nothing was started" in started.content.decode() and labelling.rounds.count() == 2


def test_retry_is_the_owners_and_needs_post_and_csrf(labelling, alice, bob):
    second_round(labelling, None)
    url = f"/labelling/{labelling.pk}/rounds/2/retry/"
    other = Client()
    other.force_login(bob)
    assert other.post(url).status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(url).status_code == 403
    owner = Client()
    owner.force_login(alice)
    assert owner.get(url).status_code == 405
    assert owner.post(f"/labelling/{labelling.pk}/rounds/9/retry/").status_code == 404
    assert labelling.rounds.get(number=2).train_job is None  # none of these started a job


def test_the_session_page_shows_progress_of_labels_and_training(labelling, client, alice):
    train = job_in(alice, "train", *RUNNING)
    Job.objects.filter(pk=train.pk).update(progress=0.45, progress_message="epoch 3/7: loss 0.81")
    second_round(labelling, train)
    client.force_login(alice)
    page = session_page(client, labelling)
    assert "15 of 90 spectra: absorption 5" in page
    assert "45 % · epoch 3/7: loss 0.81" in page
    status = client.get(f"/labelling/{labelling.pk}/rounds/2/status/").json()
    assert status["train"]["progress_text"] == "45 % · epoch 3/7: loss 0.81"
    assert 'data-status-url="/labelling/' in page and "labelling/session.js" in page


def test_an_accuracy_carries_its_n_interval_and_a_warning_when_n_is_small(labelling, client, alice):
    Round.objects.filter(session=labelling, number=1).update(
        metrics={"accuracy": 1 / 7, "ece": 0.3, "n_validation": 7}
    )
    client.force_login(alice)
    page = session_page(client, labelling)
    assert "accuracy 0.14 [0.00, 0.58], n = 7, ECE 0.30" in page
    assert "Only 7 validation spectra: this accuracy is a rough guide." in page


def test_validation_summary_interval_rmse_and_unknown_n():
    large = validation.summary({"accuracy": 17 / 24, "n_validation": 24})
    assert large["text"] == "accuracy 0.71 [0.49, 0.87], n = 24"
    assert large["warning"].startswith("Only 24 validation spectra")
    assert validation.summary({"accuracy": 0.8, "n_validation": 200})["warning"] == ""
    rmse = validation.summary({"rmse": 0.01234, "n_validation": 12})
    assert rmse["text"] == "RMSE 0.0123, n = 12" and "this RMSE is a rough guide" in rmse["warning"]
    old = validation.summary({"accuracy": 0.5})
    assert "not recorded" in old["text"] and "unknown" in old["warning"]
    assert validation.summary({}) is None


def test_the_history_plot_has_error_bars_and_n_in_its_hover(labelling):
    from bokeh.models import HoverTool, Whisker

    from vocloud.labelling import history

    Round.objects.filter(session=labelling, number=1).update(
        metrics={"accuracy": 0.5, "ece": 0.1, "n_validation": 10}
    )
    plot = history.rounds_plot([loop.status(r) for r in labelling.rounds.all()])
    [whisker] = [m for m in plot.center if isinstance(m, Whisker)]
    data = whisker.source.data
    assert data["low"][0] < 0.5 < data["high"][0] and data["text"][0].endswith("n = 10, ECE 0.10")
    assert any(isinstance(t, HoverTool) for t in plot.tools)


def test_deleting_a_dataset_that_sessions_use_asks_first(labelling, client, alice):
    datasets = user_space(settings.DATA_DIR, alice.pk).datasets
    client.force_login(alice)
    detail = client.get("/datasets/toy/").content.decode()
    assert f'href="/labelling/{labelling.pk}/">toy</a>' in detail
    asked = client.post("/datasets/toy/delete/")
    page = asked.content.decode()
    assert asked.status_code == 200 and "1 labelling session uses it" in page
    assert f'<a href="/labelling/{labelling.pk}/">toy</a>' in page
    assert 'name="confirm" value="yes"' in page and (datasets / "toy").exists()
    done = client.post("/datasets/toy/delete/", {"confirm": "yes"})
    assert done.status_code == 302 and not (datasets / "toy").exists()
    assert session_page(client, labelling)  # the session page still opens
