"""Labels, marks, verdicts and undo; counts, performance, snapshots and imports."""

from __future__ import annotations

import csv

import pytest

from services.learning.labels import labelled_paths, read_snapshot
from services.learning.metrics import true_positive_rates
from tests.labelling.conftest import write_paths_dataset
from vocloud.labelling import operations
from vocloud.labelling.models import Label, Session

pytestmark = pytest.mark.django_db
PATHS = [*"abcd", "x/1.fits", "x/2.fits", "x/3.fits", *(f"p{i}" for i in range(30)), "unlabelled"]


@pytest.fixture
def session(alice):
    write_paths_dataset(alice, "d", PATHS)
    return Session.objects.create(owner=alice, name="s", dataset="d", classes=["A", "B"])


def test_labels_marks_and_undo_restore_exactly_what_was_there(session):
    operations.apply(session, ["a", "b"], value="A")
    operations.apply(session, ["b", "c"], mark="not_sure")
    assert operations.states(session)["b"]["mark"] == "not_sure"
    assert operations.states(session)["b"]["value"] == ""  # a mark replaces the label
    assert operations.counts(session)["labels"] == {"A": 1, "B": 0}
    assert sorted(operations.undo(session)) == ["b", "c"]
    assert operations.states(session) == {
        "a": {"path": "a", "value": "A", "mark": "", "verdict": "", "predicted": "", "seen": False},
        "b": {"path": "b", "value": "A", "mark": "", "verdict": "", "predicted": "", "seen": False},
    }
    assert sorted(operations.undo(session)) == ["a", "b"]
    assert not Label.objects.filter(session=session).exists()
    assert operations.undo(session) == []


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"value": "C"}, "not a class of this session"),
        ({"value": "A", "mark": "bad_data"}, "exactly one"),
        ({"mark": "odd"}, "unknown mark"),
        ({"verdict": "maybe", "predicted": ["A"]}, "yes or no"),
        ({"verdict": "yes"}, "needs the prediction"),
    ],
)
def test_bad_label_requests_are_refused_and_change_nothing(session, kwargs, message):
    with pytest.raises(operations.LabelError, match=message):
        operations.apply(session, ["a"], **kwargs)
    assert not Label.objects.exists()
    with pytest.raises(operations.LabelError, match="at least one"):
        operations.apply(session, [], value="A")
    with pytest.raises(operations.LabelError, match="holds NUL"):
        operations.apply(session, ["a\x00b"], value="A")


def test_numeric_sessions_take_finite_numbers(alice):
    write_paths_dataset(alice, "d", PATHS)
    session = Session.objects.create(
        owner=alice, name="z", dataset="d", schema=Session.NUMERIC, target="z", unit=""
    )
    operations.apply(session, ["a"], value=" 0.125 ")
    assert operations.states(session)["a"]["value"] == "0.125"
    for bad in ("nan", "inf", "abc"):
        with pytest.raises(operations.LabelError):
            operations.apply(session, ["a"], value=bad)


def test_verdicts_give_the_am_i_correct_estimate(session):
    operations.apply(
        session, ["a", "b", "c"], verdict="yes", predicted=["A", "A", "B"], shown=["a", "b", "c"]
    )
    operations.apply(session, ["d"], verdict="no", predicted=["A"], shown=["d"])
    assert operations.states(session)["a"]["value"] == "A"  # yes: the prediction is the label
    assert operations.states(session)["d"]["value"] == ""
    rates = {r["class"]: r for r in operations.performance(session)}
    assert (rates["A"]["checked"], rates["A"]["correct"]) == (3, 2)
    expected = true_positive_rates(
        __import__("numpy").array(["A", "A", "A"]),
        __import__("numpy").array(["A", "A", "not A"]),
        ["A"],
    )[0]
    assert rates["A"]["low"] == pytest.approx(expected["low"])


def test_labels_and_verdicts_without_a_view_are_recorded_as_such(session):
    operations.apply(session, ["a", "b", "c"], value="A", shown=["a"])
    assert {p: s["seen"] for p, s in operations.states(session).items()} == {
        "a": True,
        "b": False,
        "c": False,
    }
    assert operations.counts(session)["unseen"] == 2
    # one key press on spectra nobody looked at is no evidence of the model's accuracy
    operations.apply(session, [f"p{i}" for i in range(20)], verdict="yes", predicted=["B"] * 20)
    operations.apply(session, ["d"], verdict="no", predicted=["B"], shown=["d"])
    rates = operations.performance(session)
    assert [(r["class"], r["checked"], r["correct"]) for r in rates] == [("B", 1, 0)]
    assert operations.counts(session)["unseen_verdicts"] == 20
    # looking again and answering makes the verdict count; undo restores the unseen one
    operations.apply(session, ["p0"], verdict="yes", predicted=["B"], shown=["p0"])
    assert operations.performance(session)[0]["checked"] == 2
    operations.undo(session)
    assert operations.states(session)["p0"]["seen"] is False
    with pytest.raises(operations.LabelError, match="shown spectra"):
        operations.apply(session, ["a"], value="A", shown="a")


def test_the_snapshot_holds_labels_only(session, settings):
    operations.apply(session, ["x/1.fits", "x/2.fits"], value="B")
    operations.apply(session, ["x/3.fits"], value="A")
    operations.apply(session, ["x/3.fits"], mark="bad_data")
    path, n = operations.write_snapshot(session, "round-1.labels.csv")
    assert n == 2 and path == f"labelling/session-{session.pk}/round-1.labels.csv"
    written = settings.DATA_DIR / "users" / str(session.owner_id) / "files" / path
    with written.open() as handle:
        assert list(csv.DictReader(handle)) == [
            {"path": "x/1.fits", "class": "B"},
            {"path": "x/2.fits", "class": "B"},
        ]


def test_a_cold_start_snapshot_also_holds_the_marked_spectra(session, settings):
    operations.apply(session, ["x/1.fits"], value="B")
    operations.apply(session, ["x/2.fits"], mark="not_sure")
    operations.apply(session, ["x/3.fits"], mark="bad_data")
    path, n = operations.write_snapshot(session, "round-1.labels.csv", with_marks=True)
    assert n == 1  # labels only are counted
    written = settings.DATA_DIR / "users" / str(session.owner_id) / "files" / path
    with written.open() as handle:
        assert list(csv.DictReader(handle)) == [
            {"path": "x/1.fits", "class": "B", "mark": ""},
            {"path": "x/2.fits", "class": "", "mark": "not_sure"},
            {"path": "x/3.fits", "class": "", "mark": "bad_data"},
        ]
    # a training job reads the label only; the propose job excludes all three
    assert read_snapshot(written, "class") == {"x/1.fits": "B"}
    assert labelled_paths(written) == {"x/1.fits", "x/2.fits", "x/3.fits"}


def test_a_target_called_mark_keeps_its_column(alice, settings):
    write_paths_dataset(alice, "m", PATHS)
    session = Session.objects.create(
        owner=alice, name="m", dataset="m", target="mark", classes=["A", "B"]
    )
    operations.apply(session, ["a"], value="A")
    operations.apply(session, ["b"], mark="bad_data")
    path, _ = operations.write_snapshot(session, "r.labels.csv", with_marks=True)
    written = settings.DATA_DIR / "users" / str(alice.pk) / "files" / path
    assert read_snapshot(written, "mark") == {"a": "A"}


def test_import_takes_at_most_n_per_class_and_learns_classes(session):
    rows = [{"path": f"p{i}", "class": "ABC"[i % 3]} for i in range(30)] + [
        {"path": "unlabelled", "class": ""}
    ]
    assert operations.import_labels(session, rows, per_class=4, seed=1) == (12, [])
    session.refresh_from_db()
    assert session.classes == ["A", "B", "C"]
    assert operations.counts(session)["labels"] == {"A": 4, "B": 4, "C": 4}
