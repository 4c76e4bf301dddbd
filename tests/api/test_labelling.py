"""Labelling sessions through the JSON API: read, label like the portal, a round's sample."""

from __future__ import annotations

import pytest

from tests.api.conftest import API, space_of
from tests.labelling.conftest import write_paths_dataset
from vocloud.labelling import operations
from vocloud.labelling.models import Session

pytestmark = pytest.mark.django_db
PATHS = ["a.fits", "b.fits", "c.fits"]


@pytest.fixture
def session(alice):
    write_paths_dataset(alice, "d", PATHS)
    return Session.objects.create(owner=alice, name="s", dataset="d", classes=["A", "B"])


def post_labels(client, session_id: int, body: dict):
    return client.post(
        f"{API}/labelling/sessions/{session_id}/labels", body, content_type="application/json"
    )


def test_sessions_are_listed_and_described(session, as_alice):
    listed = as_alice.get(f"{API}/labelling/sessions/").json()["sessions"]
    assert [(s["id"], s["name"], s["dataset"], s["classes"]) for s in listed] == [
        (session.pk, "s", "d", ["A", "B"])
    ]
    detail = as_alice.get(f"{API}/labelling/sessions/{session.pk}/").json()
    assert detail["schema"] == "classes" and detail["rounds"] == []
    assert detail["counts"]["labels"] == {"A": 0, "B": 0} and detail["dataset_size"] == 3


def test_labels_pushed_are_the_portals_labels(session, as_alice):
    pushed = post_labels(as_alice, session.pk, {"paths": ["a.fits", "b.fits"], "value": "B"})
    assert pushed.status_code == 200, pushed.content
    assert pushed.json()["counts"]["labels"] == {"A": 0, "B": 2}
    post_labels(as_alice, session.pk, {"paths": ["b.fits"], "mark": "not_sure"})
    assert operations.states(session)["b.fits"]["mark"] == "not_sure"
    rows = as_alice.get(f"{API}/labelling/sessions/{session.pk}/labels").json()
    assert rows["fields"] == ["path", "value", "mark", "verdict", "predicted", "seen"]
    assert [(r["path"], r["value"], r["mark"]) for r in rows["labels"]] == [
        ("a.fits", "B", ""),
        ("b.fits", "", "not_sure"),
    ]


@pytest.mark.parametrize(
    "body, words",
    [
        ({"paths": ["a.fits"], "value": "C"}, "not a class of this session"),
        ({"paths": ["zzz.fits"], "value": "A"}, "not in the dataset d"),
        ({"paths": ["a.fits"]}, "exactly one"),
        ({"paths": ["a.fits"], "value": "A", "round": "x"}, "round number"),
        (["a.fits"], "JSON object"),
    ],
)
def test_bad_labels_are_refused_with_the_portals_sentence(session, as_alice, body, words):
    response = post_labels(as_alice, session.pk, body)
    assert response.status_code == 400 and words in response.json()["error"]
    assert operations.states(session) == {}


def test_a_body_that_is_not_json_is_refused(session, as_alice):
    response = as_alice.post(
        f"{API}/labelling/sessions/{session.pk}/labels", "{", content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"].endswith(".")


def test_a_round_without_a_sample_is_404(session, as_alice):
    response = as_alice.get(f"{API}/labelling/sessions/{session.pk}/rounds/1/sample")
    assert response.status_code == 404 and response.json() == {
        "error": "The session has no round 1."
    }


def test_a_rounds_sample_comes_as_columns_with_the_current_labels(labelling, as_alice):
    url = f"{API}/labelling/sessions/{labelling.pk}"
    detail = as_alice.get(f"{url}/").json()
    assert [(r["number"], r["ready"]) for r in detail["rounds"]] == [(1, True)]
    assert detail["rounds"][0]["round"]["kind"] == "al-round"
    columns = as_alice.get(f"{url}/rounds/1/sample").json()["columns"]
    n = len(columns["path"])
    assert n == 30 and {"x", "y", "score", "predicted", "label", "mark", "ra"} <= set(columns)
    assert all(len(values) == n for values in columns.values())
    first = columns["path"][0]
    post_labels(as_alice, labelling.pk, {"paths": [first], "value": labelling.classes[0]})
    again = as_alice.get(f"{url}/rounds/1/sample").json()["columns"]
    assert again["label"][0] == labelling.classes[0]


def create(client, **fields):
    return client.post(f"{API}/labelling/sessions/", fields, content_type="application/json")


def test_a_session_is_created_as_the_portals_form_makes_it(alice, as_alice):
    write_paths_dataset(alice, "d", PATHS)
    files = space_of(alice).files
    (files / "l.csv").write_text("path,class\na.fits,A\nb.fits,B\nzzz.fits,B\n")
    made = create(as_alice, name="new", dataset="d", import_file="l.csv", per_class=0)
    assert made.status_code == 201, made.content
    answer = made.json()
    assert answer["classes"] == ["A", "B"] and answer["imported"] == 2
    assert answer["skipped"] == ["zzz.fits"]
    session = Session.objects.get(pk=answer["id"], owner=alice)
    assert operations.states(session)["a.fits"]["value"] == "A"
    numeric = create(as_alice, name="z", dataset="d", schema="numeric", target="z", unit="")
    assert numeric.status_code == 201 and numeric.json()["schema"] == "numeric"
    listed = create(as_alice, name="list", dataset="d", classes=["x", "y"])
    assert listed.json()["classes"] == ["x", "y"]


@pytest.mark.parametrize(
    "fields, status, words",
    [
        ({"name": "s", "dataset": "d", "classes": "A,B"}, 409, "session named 's' already"),
        ({"name": "n", "dataset": "nope"}, 400, "dataset: Select a valid choice"),
        ({"name": "n", "dataset": "d", "colour": 1}, 400, "Unknown field 'colour'"),
        ({"name": "n", "dataset": "d", "classes": "A"}, 400, "at least two class names"),
        ({"name": "n", "dataset": "d", "import_file": "../x.csv"}, 400, "Cannot import"),
        ({"name": "n", "dataset": "d", "import_file": "no.csv"}, 400, "no such readable file"),
    ],
)
def test_a_session_that_cannot_be_made_is_refused(session, as_alice, fields, status, words):
    response = create(as_alice, **fields)
    assert response.status_code == status and words in response.json()["error"]
    assert Session.objects.count() == 1


def test_a_round_needs_labels_and_valid_options(session, as_alice):
    url = f"{API}/labelling/sessions/{session.pk}/rounds/"
    few = as_alice.post(url, {"epochs": 3}, content_type="application/json")
    assert few.status_code == 409 and "label at least 10 to train" in few.json()["error"]
    bad = as_alice.post(url, {"method": "magic"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"].startswith("method: Select a valid")
    odd = as_alice.post(url, {"speed": 3}, content_type="application/json")
    assert odd.status_code == 400 and "Unknown field 'speed'" in odd.json()["error"]
    assert not session.rounds.exists()
    missing = as_alice.get(f"{url}1/")
    assert missing.status_code == 404 and missing.json() == {"error": "The session has no round 1."}


def test_a_rounds_state_is_the_portals(labelling, as_alice):
    state = as_alice.get(f"{API}/labelling/sessions/{labelling.pk}/rounds/1/").json()
    assert state["number"] == 1 and state["ready"] is True and state["failed"] == ""
    assert state["train"]["kind"] == "train" and state["round"]["phase"] == "COMPLETED"
