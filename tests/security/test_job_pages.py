"""Attack rows for the job pages' new ways in: "run again" (``?from=<job id>``), the
pickers, the reference checks, and result files shown as data on the job page."""

import json

import pytest
from django.conf import settings

from services.ingest.report import Row
from services.learning.votable import write_table
from services.storage import user_space
from tests.portal.finished_jobs import finish, ingest_job, results_dir, train_job
from vocloud.uws import service
from vocloud.uws.kinds import KINDS
from vocloud.uws.models import Job, Result

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def _form(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- "run again": another user's job, hostile and huge values ----------------------------


def test_run_again_from_another_users_job_copies_nothing(client, alice, bob):
    job = service.create_job(alice, KINDS["selftest"], {"NOTE": "alice's secret note"})
    page = _form(client, bob, f"/jobs/new/selftest/?from={job.job_id}")
    assert "alice's secret note" not in page and "alice&#x27;s secret note" not in page
    assert "is not one of yours" in page


@pytest.mark.parametrize(
    "source", [SCRIPT, IMG, "x" * 100_000, "../../etc/passwd", "%00", "' OR 1=1 --"]
)
def test_run_again_with_a_hostile_id_gives_the_default_form(client, alice, source):
    client.force_login(alice)
    response = client.get("/jobs/new/selftest/", {"from": source})
    page = response.content.decode()
    assert response.status_code == 200 and SCRIPT not in page and "<img src=x" not in page
    assert "is not one of yours" in page


@pytest.mark.parametrize("note", [SCRIPT, IMG, "</textarea>" + SCRIPT, "é" * 10_000])
def test_hostile_values_are_prefilled_as_text(client, alice, note):
    job = service.create_job(alice, KINDS["selftest"], {"NOTE": note, "RUNID": IMG})
    page = _form(client, alice, f"/jobs/new/selftest/?from={job.job_id}")
    assert SCRIPT not in page and "<img src=x" not in page
    if note.startswith("é"):
        assert note in page  # long values come back whole
    else:
        assert "&lt;script&gt;" in page or "&lt;img" in page


def test_run_again_of_a_job_of_another_kind_copies_nothing(client, alice):
    job = service.create_job(alice, KINDS["selftest"], {"NOTE": "selftest only"})
    page = _form(client, alice, f"/jobs/new/ingest/?from={job.job_id}")
    assert "selftest only" not in page


# --- pickers list the owner's things only -------------------------------------------------


def test_pickers_never_list_other_users_folders_datasets_or_jobs(client, alice, bob):
    bobs = user_space(settings.DATA_DIR, bob.pk).ensure()
    (bobs.files / "bob-private-folder").mkdir()
    (bobs.files / "bob-labels.csv").write_text("path,class\n")
    (bobs.datasets / "bobset").mkdir()
    bob_job = train_job(bob)
    user_space(settings.DATA_DIR, alice.pk).ensure()
    for kind in ("dataset", "train", "score", "al-round", "ingest"):
        page = _form(client, alice, f"/jobs/new/{kind}/")
        for secret in ("bob-private-folder", "bob-labels.csv", "bobset", bob_job.job_id):
            assert secret not in page, (kind, secret)


# --- reference checks cannot reach outside the owner's storage ---------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("labels_file", "../{bob}/files/bob-labels.csv"),
        ("labels_file", "/etc/passwd"),
        ("labels_file", "labels\x00.csv"),
        ("dataset", "../{bob}/datasets/bobset"),
        ("dataset", "bobset"),
    ],
)
def test_reference_checks_do_not_see_other_users_things(client, alice, bob, field, value):
    bobs = user_space(settings.DATA_DIR, bob.pk).ensure()
    (bobs.files / "bob-labels.csv").write_text("path,class\n")
    client.force_login(alice)
    form = {"dataset": "mine", "labels_file": "labels.csv", "target": "class"}
    form[field] = value.format(bob=bob.pk)
    response = client.post("/jobs/new/train/", form)
    page = response.content.decode()
    assert response.status_code == 200 and not Job.objects.exists()
    assert str(settings.DATA_DIR) not in page and "Traceback" not in page


def test_folders_check_refuses_escapes_with_a_sentence(client, alice):
    user_space(settings.DATA_DIR, alice.pk).ensure()
    client.force_login(alice)
    page = client.post(
        "/jobs/new/dataset/", {"name": "d", "folders": "../..,/tmp", "grid": "log"}
    ).content.decode()
    assert "&#x27;..&#x27; is not allowed" in page and "absolute paths are not allowed" in page
    assert str(settings.DATA_DIR) not in page and not Job.objects.exists()


# --- result files are data, never markup -------------------------------------------------


def test_hostile_metrics_and_tables_are_shown_as_text(client, alice):
    job = train_job(alice)
    out = results_dir(job)
    (out / "metrics.json").write_text(
        json.dumps({"accuracy": SCRIPT, "ece": 0.1, "n_validation": 3, "bins": [{"lo": IMG}]})
    )
    write_table(
        {"path": [SCRIPT, "b", "c"], "label": [SCRIPT, IMG, "x"], "predicted": [SCRIPT, "y", "x"],
         "confidence": [0.5, 0.6, 0.7]},
        out / "validation.vot",
        "hostile",
    )  # fmt: skip
    page = _form(client, alice, f"/jobs/train/{job.job_id}/")
    assert SCRIPT not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # a class named like markup


def test_hostile_ingest_reasons_and_sources_are_text(client, alice):
    rows = [Row(f"https://x.org/{SCRIPT}", reason=IMG), Row("a", path="a", status="ok")]
    job = ingest_job(alice, rows)
    page = _form(client, alice, f"/jobs/ingest/{job.job_id}/")
    assert SCRIPT not in page and "<img src=x" not in page and "&lt;img src=x" in page


@pytest.mark.parametrize(
    "content", [b"[1, 2]", b"{" * 100_000, b"\xff\xfe\x00", b'{"accuracy": 1e999999}']
)
def test_malformed_results_give_a_sentence_not_a_traceback(client, alice, content):
    job = train_job(alice)
    (results_dir(job) / "metrics.json").write_bytes(content)
    page = _form(client, alice, f"/jobs/train/{job.job_id}/")
    assert "Traceback" not in page and str(settings.DATA_DIR) not in page


def test_a_result_path_that_leaves_the_job_is_not_read(client, alice, bob):
    bob_job = train_job(bob)
    job = train_job(alice)
    Result.objects.filter(job=job, result_id="metrics").update(
        path=f"../../{bob_job.job_id}/results/metrics.json"
    )
    (results_dir(job) / "validation.vot").unlink()
    page = _form(client, alice, f"/jobs/train/{job.job_id}/")
    assert "Validation accuracy" not in page  # bob's metrics stay unread


def test_another_users_job_page_and_status_are_404(client, alice, bob):
    job = finish(service.create_job(alice, KINDS["selftest"], {}), {})
    client.force_login(bob)
    for url in (f"/jobs/selftest/{job.job_id}/", f"/jobs/selftest/{job.job_id}/status.json"):
        assert client.get(url).status_code == 404


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE v [<!ENTITY a "aaaaaaaaaa">'
    + "".join(
        f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + ']><VOTABLE><RESOURCE><TABLE><FIELD name="label"/><FIELD name="predicted"/><DATA>'
    "<TABLEDATA><TR><TD>&i;</TD><TD>x</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"
)


@pytest.mark.parametrize(
    "content",
    [BOMB, '<!DOCTYPE v [<!ENTITY x SYSTEM "file:///etc/passwd">]><VOTABLE>&x;</VOTABLE>'],
)
def test_entity_tricks_in_a_result_table_are_not_expanded(client, alice, content):
    job = train_job(alice)
    (results_dir(job) / "validation.vot").write_text(content)
    page = _form(client, alice, f"/jobs/train/{job.job_id}/")
    assert "root:" not in page and "aaaaaaaaaa" not in page and "Traceback" not in page
