"""Attack rows for the round form's (and the API's) target class of discovery rounds: a
hostile name is refused in one sentence before any job is made, and never reaches a job's
parameters."""

import pytest

from vocloud.labelling.forms import RoundForm
from vocloud.labelling.loop import DEFAULTS

HOSTILE = [
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "a\x00b",
    "x" * 5000,
    "A ",  # a real class with a trailing space is that class, stripped
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_target_class_is_not_a_class_of_the_session(value):
    form = RoundForm(
        {**DEFAULTS, "acquisition": "discovery", "target_class": value}, classes=["A", "B"]
    )
    if value.strip() == "A":
        assert form.is_valid() and form.cleaned_data["target_class"] == "A"
        return
    assert not form.is_valid()
    sentences = form.errors["target_class"]
    assert sentences  # refused (a NUL or an overlong name may also say so on its own)
    for sentence in sentences:
        assert "Traceback" not in sentence and "/" not in sentence.replace(value, "")


def test_the_page_escapes_a_refused_target_class(client, alice):
    from vocloud.labelling.models import Session

    session = Session.objects.create(
        owner=alice, name="s", dataset="d", schema="classes", target="class", classes=["A", "B"]
    )
    client.force_login(alice)
    answer = client.post(
        f"/labelling/{session.pk}/rounds/",
        {**DEFAULTS, "acquisition": "discovery", "target_class": "<script>alert(1)</script>"},
        follow=True,
    )
    assert answer.status_code == 200
    assert b"<script>alert(1)</script>" not in answer.content
    assert not session.rounds.exists()
