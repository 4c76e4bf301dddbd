"""A session that begins with no labels: the platform proposes spectra (a cold-start round,
no training), the expert labels them on the usual page, then a training round starts."""

from __future__ import annotations

import json
import shutil

import pytest

from services import propose
from services.jobs import JobContext
from services.storage import UserSpace, user_space
from tests.api.conftest import API, token_client
from tests.labelling.test_rounds import RUNNING, job_in
from tests.services.learning.conftest import CLASSES, PER_CLASS, write_dataset
from tests.support.labelling_round import completed_job
from vocloud.labelling import loop
from vocloud.labelling.models import Round, Session
from vocloud.uws.models import Job, Phase

pytestmark = pytest.mark.django_db
PROPOSED_BY_PCA = "Proposed by typicality (TypiClust) in PCA of the flux"


@pytest.fixture(scope="session")
def propose_outputs(tmp_path_factory):
    """(user space root, propose results) of the toy dataset: 6 proposals, 30 others."""
    root = tmp_path_factory.mktemp("cold")
    space = UserSpace(root / "user").ensure()
    write_dataset(space, "toy")
    ctx = JobContext(job_id="p", job_dir=root / "propose", user_root=space.root)
    propose.run(propose.Parameters(dataset="toy", k=6, map_size=30, method="pca"), ctx)
    return space.root, ctx.results_dir


@pytest.fixture
def cold(alice, settings, propose_outputs) -> Session:
    """alice's session "toy" with no labels at all."""
    shutil.copytree(propose_outputs[0], user_space(settings.DATA_DIR, alice.pk).root)
    return Session.objects.create(
        owner=alice, name="toy", dataset="toy", classes=sorted(CLASSES), target="class"
    )


@pytest.fixture
def proposed(cold, alice, propose_outputs) -> Round:
    """Round 1 of ``cold``: a cold start whose propose job completed."""
    job = completed_job(alice, "propose", propose_outputs[1], {"DATASET": "toy"})
    return Round.objects.create(
        session=cold,
        number=1,
        snapshot=loop.operations.write_snapshot(cold, "round-1.labels.csv")[0],
        n_labels=0,
        train_job=None,
        round_job=job,
        round_started=True,
        options={**loop.PROPOSE_DEFAULTS, "k": 6, "method": "pca", "cold_start": True},
    )


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response
    return response.content.decode()


def test_a_cold_start_round_runs_one_propose_job_and_no_training(cold):
    round_ = loop.propose_round(cold, {"k": 6, "method": "pca"})
    assert round_.train_job is None and round_.n_labels == 0
    job = round_.round_job
    assert job.kind == "propose" and job.phase in (Phase.PENDING, Phase.QUEUED)
    assert job.parameters["K"] == "6" and job.parameters["METHOD"] == "pca"
    assert job.parameters["EXCLUDE_LABELLED"] == round_.snapshot
    assert "ENCODER" not in job.parameters
    status = loop.status(round_)
    assert status["cold_start"] and status["proposed_by"] == PROPOSED_BY_PCA
    assert status["failed"] == "" and not status["ready"] and status["train"] is None
    assert status["validation"] is None and status["validation_note"] == ""


def test_the_session_page_offers_proposals_and_starts_a_cold_round(client, alice, cold):
    client.force_login(alice)
    html = page(client, f"/labelling/{cold.pk}/")
    assert "Propose spectra to label" in html and "Fewer than 10 spectra are labelled" in html
    response = client.post(f"/labelling/{cold.pk}/rounds/propose/", {"k": "5", "method": "pca"})
    assert response.status_code == 302
    round_ = cold.rounds.get()
    assert round_.options["cold_start"] and round_.round_job.kind == "propose"
    html = page(client, f"/labelling/{cold.pk}/")
    assert "Round 1: proposing 5 spectra to label." in html
    assert "none: cold start" in html and PROPOSED_BY_PCA in html
    assert "The training job of this round was deleted" not in html
    assert f"/jobs/propose/{round_.round_job.job_id}" in html


def test_a_ready_cold_round_is_labelled_on_the_usual_page_without_the_model(
    client, alice, proposed
):
    client.force_login(alice)
    status = client.get(f"/labelling/{proposed.session_id}/rounds/1/status/").json()
    assert status["ready"] and status["failed"] == "" and status["cold_start"]
    assert status["pool_check"] is None and status["warning"] == ""
    html = page(client, f"/labelling/{proposed.session_id}/rounds/1/")
    assert '"model": false' in html and '"acquisition": "typicality"' in html
    assert 'value="check"' not in html and 'value="predicted"' not in html
    assert "no predictions and no “Am I correct?”" in html
    assert f"/labelling/{proposed.session_id}/rounds/1/candidates/" not in html
    spectrum = client.get(f"/labelling/{proposed.session_id}/rounds/1/spectrum/?rank=0").json()
    assert spectrum["prediction"] == "" and spectrum["score"] > 0 and len(spectrum["wave"]) > 10
    session_html = page(client, f"/labelling/{proposed.session_id}/")
    assert f"/labelling/{proposed.session_id}/rounds/1/candidates/" not in session_html
    # TOPCAT's table names the score for what it is
    links = client.get(f"/labelling/{proposed.session_id}/rounds/1/samp/").json()
    table = client.get(links["table_url"].removeprefix("http://testserver"))
    assert table.status_code == 200 and b'name="typicality"' in table.content
    assert b'name="uncertainty"' not in table.content


def test_label_the_proposals_then_a_training_round_starts(client, alice, proposed):
    client.force_login(alice)
    session = proposed.session
    with pytest.raises(loop.LoopError, match="label at least 10"):
        loop.start_round(session)
    as_alice = token_client(alice)
    columns = as_alice.get(f"{API}/labelling/sessions/{session.pk}/rounds/1/sample").json()
    assert "predicted" not in columns["columns"] and len(columns["columns"]["path"]) == 36
    paths = columns["columns"]["path"][:10]  # the 6 proposals first, then 4 of the map
    for path in paths:  # the expert's word: the class the toy spectrum was made as
        truth = CLASSES[int(path[-8:-5]) // PER_CLASS]
        body = {"paths": [path], "value": truth, "round": 1, "shown": [path]}
        answer = client.post(
            f"/labelling/{session.pk}/labels/", json.dumps(body), content_type="application/json"
        )
        assert answer.status_code == 200, answer.content
    if len({CLASSES[int(p[-8:-5]) // PER_CLASS] for p in paths}) < 2:
        pytest.fail(f"the proposals are of one class: {paths}")
    round_ = loop.start_round(session, {"k": 30, "method": "pca", "epochs": 3})
    assert round_.number == 2 and round_.n_labels == 10 and round_.train_job.kind == "train"
    assert not loop.is_cold_start(round_)


def test_a_failed_proposal_says_why_and_is_retried(client, alice, cold):
    failed = job_in(alice, "propose", *RUNNING, Phase.ERROR, error="the dataset is empty")
    snapshot, _ = loop.operations.write_snapshot(cold, "round-1.labels.csv")
    round_ = Round.objects.create(
        session=cold,
        number=1,
        snapshot=snapshot,
        round_job=failed,
        round_started=True,
        options={**loop.PROPOSE_DEFAULTS, "k": 4, "method": "pca", "cold_start": True},
    )
    assert loop.status(round_)["failed"] == "Proposing spectra failed: the dataset is empty."
    client.force_login(alice)
    client.post(f"/labelling/{cold.pk}/rounds/1/retry/")
    round_.refresh_from_db()
    assert round_.round_job_id != failed.job_id and round_.round_job.kind == "propose"
    assert round_.round_job.parameters["K"] == "4" and round_.train_job is None
    assert "Round 1 started again: proposing spectra." in page(client, f"/labelling/{cold.pk}/")
    Job.objects.filter(pk=round_.round_job.pk).delete()
    round_.refresh_from_db()
    assert loop.failure(round_) == "The proposal job of this round was deleted."


def test_the_api_and_the_client_start_a_cold_round(alice, cold):
    as_alice = token_client(alice)
    url = f"{API}/labelling/sessions/{cold.pk}/rounds/"
    body = {"cold_start": True, "k": 7, "method": "pca"}
    started = as_alice.post(url, body, content_type="application/json")
    assert started.status_code == 201, started.content
    assert started.json()["cold_start"] and started.json()["number"] == 1
    detail = as_alice.get(f"{API}/labelling/sessions/{cold.pk}/").json()
    assert detail["rounds"][0]["proposed_by"] == PROPOSED_BY_PCA
    assert cold.rounds.get().round_job.parameters["K"] == "7"
    # cold_start false is an ordinary round: refused here, 0 labels
    refused = as_alice.post(url, {"cold_start": False}, content_type="application/json")
    assert refused.status_code == 409 and "label at least 10" in refused.json()["error"]


def test_an_encoder_of_the_owner_is_offered_and_passed_to_the_job(client, alice, cold):
    encoder = job_in(alice, "pretrain", *RUNNING, Phase.COMPLETED)
    client.force_login(alice)
    assert f'value="{encoder.job_id}"' in page(client, f"/labelling/{cold.pk}/")
    client.post(
        f"/labelling/{cold.pk}/rounds/propose/",
        {"k": "5", "method": "pca", "encoder": encoder.job_id},
    )
    round_ = cold.rounds.get()
    assert round_.round_job.parameters["ENCODER"] == encoder.job_id
    assert round_.options["encoder"] == encoder.job_id
    expected = "Proposed by typicality (TypiClust) in the pretrained embedding"
    assert loop.status(round_)["proposed_by"] == expected


@pytest.mark.django_db(transaction=True)
def test_the_python_client_proposes(live_server, alice, cold):
    from vocloud.accounts.models import ApiToken
    from vocloud.client import Client

    _token, key = ApiToken.issue(alice, "client")
    client = Client(live_server.url, token=key)
    try:
        session = client.sessions[cold.pk]
        assert session.propose(4, method="pca") == 1
        state = session.round(1)
        assert state["cold_start"] and state["round"]["kind"] == "propose"
        assert cold.rounds.get().round_job.parameters["K"] == "4"
    finally:
        client.http.close()
