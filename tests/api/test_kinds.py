"""Job kinds and their parameters, as the kinds declare them."""

from __future__ import annotations

import pytest

from tests.api.conftest import API
from vocloud.uws.kinds import KINDS

pytestmark = pytest.mark.django_db


def test_every_kind_is_listed_with_its_parameters(as_alice):
    kinds = as_alice.get(f"{API}/kinds/").json()["kinds"]
    assert [k["name"] for k in kinds] == list(KINDS)
    assert all(k["uws"] == f"/uws/{k['name']}/async" for k in kinds)


def test_a_kinds_parameters_carry_type_default_bounds_and_help(as_alice):
    selftest = as_alice.get(f"{API}/kinds/selftest/").json()
    params = {p["name"]: p for p in selftest["parameters"]}
    assert params["DURATION"] == {
        "name": "DURATION",
        "field": "duration",
        "type": "float",
        "required": False,
        "default": 1.0,
        "choices": [],
        "minimum": 0,
        "maximum": 3600,
        "job_kind": "",
        "help": "Seconds the job stays EXECUTING before it ends.",
    }
    assert params["ATTACHMENT"]["type"] == "upload" and params["FAIL"]["type"] == "bool"
    assert "selftest" in selftest["description"]


def test_choices_and_job_references_are_described(as_alice):
    for kind in KINDS:
        answer = as_alice.get(f"{API}/kinds/{kind}/")
        assert answer.status_code == 200, kind
    score = {p["name"]: p for p in as_alice.get(f"{API}/kinds/score/").json()["parameters"]}
    assert score["MODEL"]["type"] == "job" and score["MODEL"]["job_kind"] == "train"
    assert "bald" in score["ACQUISITION"]["choices"]


def test_an_unknown_kind_is_404_naming_the_kinds(as_alice):
    response = as_alice.get(f"{API}/kinds/nope/")
    assert response.status_code == 404 and "selftest" in response.json()["error"]
