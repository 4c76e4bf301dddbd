"""Attack rows for the ``pretrain`` kind's parameters and the ``ENCODER`` of train and project:
another user's pretrain job, a job of another kind, an unfinished one or a path are refused
in one sentence before any job is made; hostile values of the kind's parameters too."""

from __future__ import annotations

import pytest

from vocloud.uws import phases, service
from vocloud.uws.errors import UsageError
from vocloud.uws.kinds import KINDS
from vocloud.uws.models import Job, Phase

TRAIN = {"DATASET": "toy", "LABELS_FILE": "toy.labels.csv"}


def _pretrain_job(owner, finished: bool = True) -> Job:
    job = service.create_job(owner, KINDS["pretrain"], {"DATASET": "toy"})
    if finished:
        for phase in (Phase.QUEUED, Phase.EXECUTING, Phase.COMPLETED):
            assert phases.transition(job, phase)
    return job


def _refused(owner, kind: str, values: dict[str, str]) -> str:
    before = Job.objects.count()
    with pytest.raises(UsageError) as caught:
        service.create_job(owner, KINDS[kind], values)
    assert Job.objects.count() == before  # nothing was made
    sentence = str(caught.value)
    assert "Traceback" not in sentence and "\n" not in sentence
    return sentence


def test_the_owners_finished_pretrain_job_is_accepted(alice):
    mine = _pretrain_job(alice)
    job = service.create_job(alice, KINDS["train"], {**TRAIN, "ENCODER": mine.job_id})
    assert job.parameters["ENCODER"] == mine.job_id  # the id is kept, never a server path
    project = {"SCORES": "x", "FEATURES": "pretrained", "ENCODER": mine.job_id}
    with pytest.raises(UsageError, match="SCORES"):  # the score job is missing, not ENCODER
        service.create_job(alice, KINDS["project"], project)


@pytest.mark.parametrize("kind", ["train", "project"])
def test_another_users_pretrain_job_is_refused(alice, bob, kind):
    theirs = _pretrain_job(alice)
    values = {**TRAIN} if kind == "train" else {"FEATURES": "pretrained"}
    sentence = _refused(bob, kind, {**values, "ENCODER": theirs.job_id})
    assert sentence == f"ENCODER: you have no pretrain job {theirs.job_id!r}"


def test_a_job_of_another_kind_or_unfinished_is_not_an_encoder(alice, completed_job):
    sentence = _refused(alice, "train", {**TRAIN, "ENCODER": completed_job.job_id})
    assert sentence.startswith("ENCODER: you have no pretrain job")
    running = _pretrain_job(alice, finished=False)
    sentence = _refused(alice, "train", {**TRAIN, "ENCODER": running.job_id})
    assert sentence.startswith("ENCODER:") and "not COMPLETED" in sentence


@pytest.mark.parametrize(
    "value", ["../../etc/passwd", "/etc", "results/../..", "<script>alert(1)</script>", "x" * 300]
)
def test_a_path_or_hostile_text_as_encoder_is_refused(alice, value):
    sentence = _refused(alice, "train", {**TRAIN, "ENCODER": value})
    assert sentence.startswith("ENCODER: you have no pretrain job")


@pytest.mark.parametrize(
    "name, value",
    [
        ("DATASET", "../other-user"),
        ("DATASET", "a/b"),
        ("DATASET", ""),
        ("DATASET", "x" * 500),
        ("METHOD", "contrastive; rm -rf /"),
        ("METHOD", "__import__('os')"),
        ("EMBEDDING_DIM", "0"),
        ("EMBEDDING_DIM", "100000000"),
        ("EMBEDDING_DIM", "nan"),
        ("EPOCHS", "-1"),
        ("EPOCHS", "1e12"),
        ("BATCH_SIZE", "1"),
        ("MAX_SPECTRA", "3"),
        ("MAX_SPECTRA", "inf"),
        ("SEED", "-5"),
        ("SEED", "99999999999999999999"),
        ("ENCODER", "abc"),  # not a parameter of pretrain
    ],
)
def test_hostile_pretrain_values_are_refused_in_one_sentence(alice, name, value):
    sentence = _refused(alice, "pretrain", {"DATASET": "toy", name: value})
    assert name in sentence


@pytest.mark.parametrize("value", ["maybe", "2", "<b>"])
def test_fine_tune_takes_only_a_boolean(alice, value):
    mine = _pretrain_job(alice)
    sentence = _refused(alice, "train", {**TRAIN, "ENCODER": mine.job_id, "FINE_TUNE": value})
    assert "FINE_TUNE" in sentence


def test_a_nul_in_a_pretrain_parameter_is_refused(alice):
    _refused(alice, "pretrain", {"DATASET": "to\x00y"})
