"""The round form's acquisition choices: discovery needs a target class of the session."""

from __future__ import annotations

import pytest

from vocloud.labelling import loop
from vocloud.labelling.forms import RoundForm
from vocloud.labelling.models import Session

CLASSES = ["star", "galaxy", "double_peak"]


def form(classes: list[str] | None = None, **fields) -> RoundForm:
    return RoundForm({**loop.DEFAULTS, **fields}, classes=classes)


def test_discovery_and_balanced_are_offered():
    choices = dict(RoundForm().fields["acquisition"].choices)
    assert {"discovery", "balanced", "bald"} <= set(choices)


def test_the_form_refuses_discovery_without_a_target_class():
    refused = form(CLASSES, acquisition="discovery")
    assert not refused.is_valid()
    assert refused.errors["target_class"] == [
        "Discovery needs the class to look for (one of: star, galaxy, double_peak)."
    ]
    assert not form(acquisition="discovery", target_class="  ").is_valid()


def test_the_form_checks_the_target_against_the_session_classes():
    refused = form(CLASSES, acquisition="discovery", target_class="quasar")
    assert not refused.is_valid()
    assert "quasar is not a class of this session" in refused.errors["target_class"][0]
    accepted = form(CLASSES, acquisition="discovery", target_class=" double_peak ")
    assert accepted.is_valid(), accepted.errors
    assert accepted.cleaned_data["target_class"] == "double_peak"


def test_other_methods_need_no_target_class():
    assert form(CLASSES, acquisition="balanced").is_valid()
    assert form(acquisition="bald").is_valid()


@pytest.mark.parametrize("target", ["", "quasar"])
def test_a_round_is_not_started_for_discovery_without_a_class_of_the_session(target):
    session = Session(name="s", dataset="d", classes=CLASSES)
    with pytest.raises(loop.LoopError, match="Discovery needs a target class of this session"):
        loop.start_round(session, {"acquisition": "discovery", "target_class": target})


@pytest.mark.django_db
def test_the_al_round_job_gets_the_target_class_of_a_discovery_round(labelling, alice):
    from tests.labelling.test_rounds import RUNNING, job_in
    from vocloud.labelling.models import Round
    from vocloud.uws.models import Phase

    train = job_in(alice, "train", *RUNNING, Phase.COMPLETED)
    options = {**loop.DEFAULTS, "k": 30, "method": "pca", "acquisition": "discovery"}
    round_ = Round.objects.create(
        session=labelling,
        number=2,
        snapshot="labels.csv",
        n_labels=15,
        train_job=train,
        options={**options, "target_class": "emission"},
    )
    loop.advance(round_)
    params = round_.round_job.parameters
    assert params["ACQUISITION"] == "discovery" and params["TARGET_CLASS"] == "emission"
