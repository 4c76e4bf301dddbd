"""Attack rows for cold-start rounds (Propose spectra to label): another user's session or
encoder is refused, a hostile K, METHOD or ENCODER is refused in one sentence, and no round
or job is started."""

from __future__ import annotations

import pytest

from tests.api.conftest import API, token_client
from tests.labelling.conftest import write_paths_dataset
from tests.labelling.test_rounds import RUNNING, job_in
from vocloud.labelling import loop
from vocloud.labelling.models import Round, Session
from vocloud.uws.models import Job, Phase

pytestmark = pytest.mark.django_db

HOSTILE_K = ["-1", "0", "5001", "1e9", "abc", "<script>", "../../etc/passwd", "3; rm -rf /"]
HOSTILE_METHOD = ["umap; rm -rf /", "../pca", "<b>pca</b>", "PCA\x00", "x" * 5000, ""]


@pytest.fixture
def session(alice) -> Session:
    write_paths_dataset(alice, "d", ["a.fits", "b.fits", "c.fits"])
    return Session.objects.create(owner=alice, name="s", dataset="d", classes=["A", "B"])


def nothing_started(session: Session) -> None:
    assert not Round.objects.filter(session=session).exists()
    assert not Job.objects.filter(kind="propose").exists()


def one_sentence(text: str) -> None:
    assert text and "Traceback" not in text and "/srv" not in text and "\n" not in text.strip()


def test_anonymous_is_sent_to_log_in(client, session):
    response = client.post(f"/labelling/{session.pk}/rounds/propose/", {"k": "5"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    nothing_started(session)


def test_another_users_session_is_not_found(client, bob, session):
    client.force_login(bob)
    response = client.post(f"/labelling/{session.pk}/rounds/propose/", {"k": "5"})
    assert response.status_code == 404
    api = token_client(bob).post(
        f"{API}/labelling/sessions/{session.pk}/rounds/",
        {"cold_start": True},
        content_type="application/json",
    )
    assert api.status_code == 404 and api.json()["error"] == "No such labelling session."
    nothing_started(session)


def test_another_users_encoder_is_refused(client, alice, bob, session):
    bobs = job_in(bob, "pretrain", *RUNNING, Phase.COMPLETED)
    client.force_login(alice)
    client.post(f"/labelling/{session.pk}/rounds/propose/", {"k": "5", "encoder": bobs.job_id})
    api = token_client(alice).post(
        f"{API}/labelling/sessions/{session.pk}/rounds/",
        {"cold_start": True, "encoder": bobs.job_id},
        content_type="application/json",
    )
    assert api.status_code == 400
    one_sentence(api.json()["error"])
    assert api.json()["error"].startswith("encoder: Select a valid choice")
    # below the form, the job service checks the owner too: a sentence, no round
    with pytest.raises(loop.LoopError, match="you have no pretrain job"):
        loop.propose_round(session, {"encoder": bobs.job_id})
    assert not Round.objects.filter(session=session).exists()
    assert Job.objects.filter(kind="propose").count() == 0


@pytest.mark.parametrize("k", HOSTILE_K)
def test_a_hostile_k_is_refused_in_one_sentence(client, alice, session, k):
    client.force_login(alice)
    response = client.post(
        f"/labelling/{session.pk}/rounds/propose/", {"k": k, "method": "pca"}, follow=True
    )
    text = response.content.decode()
    assert "Proposal options:" in text and "<script>" not in text
    api = token_client(alice).post(
        f"{API}/labelling/sessions/{session.pk}/rounds/",
        {"cold_start": True, "k": k},
        content_type="application/json",
    )
    assert api.status_code == 400 and api.json()["error"].startswith("k: ")
    one_sentence(api.json()["error"])
    nothing_started(session)


@pytest.mark.parametrize("method", HOSTILE_METHOD)
def test_a_hostile_method_is_refused_in_one_sentence(alice, session, method):
    api = token_client(alice).post(
        f"{API}/labelling/sessions/{session.pk}/rounds/",
        {"cold_start": True, "method": method},
        content_type="application/json",
    )
    assert api.status_code == 400 and api.json()["error"].startswith("method: ")
    one_sentence(api.json()["error"])
    nothing_started(session)


@pytest.mark.parametrize(
    "body, sentence",
    [
        ({"cold_start": "yes"}, "cold_start must be true or false."),
        ({"cold_start": True, "epochs": 3}, "Unknown field 'epochs'"),
        ({"cold_start": True, "exclude_labelled": "../../x"}, "Unknown field 'exclude_labelled'"),
    ],
)
def test_hostile_api_bodies_are_refused(alice, session, body, sentence):
    api = token_client(alice).post(
        f"{API}/labelling/sessions/{session.pk}/rounds/", body, content_type="application/json"
    )
    assert api.status_code == 400 and api.json()["error"].startswith(sentence)
    nothing_started(session)
