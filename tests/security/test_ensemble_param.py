"""Attack rows for ``train``'s ENSEMBLE (deep-ensemble size): out of range or not a whole
number is refused in one sentence, and no job is made."""

import pytest

from tests.conftest import basic
from vocloud.uws.models import Job

pytestmark = pytest.mark.django_db
TRAIN = "/uws/train/async"
VALID = {"DATASET": "stars", "LABELS_FILE": "labels.csv"}
HOSTILE = ["11", "-1", "1000000000000", "abc", "2.5", "3; rm -rf /", "", "<script>1</script>"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_bad_ensemble_is_refused_in_one_sentence(client, alice, value):
    answer = client.post(TRAIN, {**VALID, "ENSEMBLE": value}, **basic("alice"))
    assert answer.status_code == 400, answer.content
    text = answer.content.decode()
    assert text.startswith("UsageError:") and "ENSEMBLE" in text.upper()
    assert "Traceback" not in text and "/work" not in text
    assert answer["Content-Type"].startswith("text/plain")  # a value echoed is not markup
    assert len(text.strip().splitlines()) == 1
    assert not Job.objects.exists()


def test_a_good_ensemble_makes_a_job(client, alice):
    answer = client.post(TRAIN, {**VALID, "ENSEMBLE": "3"}, **basic("alice"))
    assert answer.status_code == 303, answer.content
    assert Job.objects.get().parameters["ENSEMBLE"] == "3"
