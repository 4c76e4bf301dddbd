"""Job forms for people: labels and help from the declaration, pickers of the owner's
folders, files, datasets and jobs, references checked when the form is sent, every error at
once beside its field, and "run again" prefilled from an earlier job."""

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from services.storage import user_space
from tests.portal.finished_jobs import alice_dataset, train_job
from vocloud.uws import service
from vocloud.uws.kinds import KINDS
from vocloud.uws.models import Job


@pytest.fixture
def space(alice):
    space = user_space(settings.DATA_DIR, alice.pk).ensure()
    (space.files / "miles" / "b").mkdir(parents=True)
    (space.files / "labels").mkdir()
    (space.files / "labels" / "toy.labels.csv").write_text("path,class\n")
    (space.files / "miles" / "a.fits").write_bytes(b"SIMPLE")
    return space


def _errors_beside(page: str) -> dict[str, str]:
    """Field name -> its error text, from the rendered form."""
    found = {}
    for match in re.finditer(r'<div class="error" id="id_(\w+)-errors">([^<]*)</div>', page):
        found[match.group(1)] = match.group(2)
    return found


def test_labels_and_help_come_from_the_declaration(client, alice):
    client.force_login(alice)
    page = client.get("/jobs/new/train/").content.decode()
    assert '>Label file <code class="uws-name">LABELS_FILE</code>' in page
    assert "MC-dropout passes (T)" in page and "Or: a label snapshot CSV in your files." in page
    assert ">NAME<" not in client.get("/jobs/new/dataset/").content.decode().replace(
        '"uws-name">NAME<', ""
    )  # the UWS name is a hint beside the label, never the label itself


def test_pickers_offer_the_owners_folders_files_datasets_and_finished_jobs(
    client, alice, space, tmp_path
):
    alice_dataset(alice, tmp_path)
    job = train_job(alice)
    client.force_login(alice)
    dataset_form = client.get("/jobs/new/dataset/").content.decode()
    assert 'list="choices-folders"' in dataset_form
    assert '<option value="miles/b">' in dataset_form and '<option value="labels">' in dataset_form
    train_form = client.get("/jobs/new/train/").content.decode()
    assert '<datalist id="choices-labels_file"><option value="labels/toy.labels.csv">' in train_form
    assert '<option value="lamost3">lamost3</option>' in train_form  # a <select> of datasets
    score_form = client.get("/jobs/new/score/").content.decode()
    assert f'<option value="{job.job_id}">' in score_form


def test_every_error_is_reported_at_once_beside_its_field(client, alice, space):
    client.force_login(alice)
    response = client.post(
        "/jobs/new/dataset/",
        {"name": "bad name!", "folders": "miles,nowhere", "wave_min": "-3", "grid": "log"},
    )
    page = response.content.decode()
    errors = _errors_beside(page)
    assert set(errors) == {"name", "folders", "wave_min"}
    assert "invalid dataset name" in errors["name"]
    assert "no folder or file “nowhere”" in errors["folders"]
    assert "greater than or equal to 0" in errors["wave_min"]
    assert "3 things to fix" in page
    assert not Job.objects.exists()


def test_references_that_do_not_exist_are_refused_before_a_job_exists(client, alice, space):
    client.force_login(alice)
    page = client.post(
        "/jobs/new/train/",
        {"dataset": "nosuch", "labels_file": "labels/missing.csv", "target": "class"},
    ).content.decode()
    errors = _errors_beside(page)
    assert errors["dataset"] == "You have no dataset called “nosuch”."
    assert errors["labels_file"] == "There is no file “labels/missing.csv” in your storage."
    page = client.post("/jobs/new/score/", {"model": "0123456789abcdef", "dataset": "x"})
    assert "You have no finished train job 0123456789abcdef" in page.content.decode()
    assert not Job.objects.exists()


def test_rules_across_fields_are_reported_with_the_field_errors(client, alice, space, tmp_path):
    alice_dataset(alice, tmp_path)
    client.force_login(alice)
    page = client.post(
        "/jobs/new/train/", {"dataset": "lamost3", "filters": "16,x", "epochs": "0"}
    ).content.decode()
    errors = _errors_beside(page)
    assert "positive whole numbers separated by commas" in errors["filters"]  # beside its field
    assert "greater than or equal to 1" in errors["epochs"]
    assert "give the label snapshot either as LABELS (upload) or LABELS_FILE" in page
    assert not Job.objects.exists()


def test_existing_references_make_a_job(
    client, alice, space, tmp_path, django_capture_on_commit_callbacks
):
    alice_dataset(alice, tmp_path)
    client.force_login(alice)
    response = client.post(
        "/jobs/new/dataset/", {"name": "again", "folders": "miles, miles/a.fits", "grid": "log",
                               "coverage": "overlap", "resampling": "conserve",
                               "air_to_vacuum": "auto", "normalisation": "median"},
    )  # fmt: skip
    assert response.status_code == 302, _errors_beside(response.content.decode())
    assert Job.objects.get(kind="dataset").parameters["FOLDERS"] == "miles, miles/a.fits"


def test_run_again_prefills_every_value_but_files(client, alice):
    values = {"DURATION": "7", "FAIL": "true", "NOTE": "first try", "RUNID": "r1"}
    attachment = {"ATTACHMENT": SimpleUploadedFile("a.bin", b"x")}
    job = service.create_job(alice, KINDS["selftest"], values, attachment)
    client.force_login(alice)
    page = client.get(f"/jobs/new/selftest/?from={job.job_id}").content.decode()
    assert 'name="duration" value="7"' in page
    assert re.search(r'name="fail"[^>]*checked', page)
    assert re.search(r">\s*first try</textarea>", page) and 'value="r1"' in page
    assert "files must be uploaded again" in page
    plain = service.create_job(alice, KINDS["selftest"], {"NOTE": "no file"})
    page = client.get(f"/jobs/new/selftest/?from={plain.job_id}").content.decode()
    assert "files must be uploaded again" not in page and "no file" in page


def test_a_prefilled_form_still_checks_on_submit(client, alice):
    job = service.create_job(alice, KINDS["selftest"], {"DURATION": "7"})
    client.force_login(alice)
    response = client.post(f"/jobs/new/selftest/?from={job.job_id}", {"duration": "99999"})
    assert "less than or equal to 3600" in response.content.decode()
    assert Job.objects.count() == 1


def test_the_table_picker_stops_looking_in_a_huge_storage(alice, space):
    from vocloud.portal import pickers

    (space.files / "aaa").mkdir()  # walked before labels/
    for i in range(30):
        (space.files / "aaa" / f"s{i:02d}.fits").write_bytes(b"")
    assert pickers.table_choices(space) == ["labels/toy.labels.csv"]
    assert pickers.table_choices(space, budget=10) == []
