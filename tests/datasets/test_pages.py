"""Dataset pages: list, detail with Bokeh examples, delete; only the owner sees them."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings

import services.dataset_build as kind
from services.datasets import open_dataset
from services.jobs import JobContext
from services.storage import user_space

DATA = Path(__file__).parents[1] / "data" / "spectra"


@pytest.fixture
def alice_dataset(alice, tmp_path):
    space = user_space(settings.DATA_DIR, alice.pk).ensure()
    shutil.copytree(DATA / "lamost-dr2", space.files / "lamost")
    (space.files / "lamost" / "readme.txt").write_text("not a spectrum\n")
    ctx = JobContext("j", tmp_path / "job", user_root=space.root)
    kind.run(kind.Parameters(name="lamost3", folders="lamost"), ctx)
    return space


def test_pages_need_a_login(client, db):
    for url in ("/datasets/", "/datasets/x/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_shows_the_users_datasets_and_the_new_link(client, alice, alice_dataset):
    client.force_login(alice)
    page = client.get("/datasets/").content.decode()
    assert "lamost3" in page and "/datasets/lamost3/" in page
    assert "/jobs/new/dataset/" in page and "v1" in page and "log step" in page


def test_empty_list(client, alice):
    client.force_login(alice)
    page = client.get("/datasets/").content.decode()
    assert "No datasets yet" in page


def test_detail_shows_facts_failures_and_bokeh_examples(client, alice, alice_dataset):
    client.force_login(alice)
    response = client.get("/datasets/lamost3/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 of 4 files" in page and "lamost/readme.txt" in page
    assert "bokeh/js/bokeh.min.js" in page and "Bokeh" in page  # the embedded plot script
    assert "csrfmiddlewaretoken" in page and 'data-confirm="Delete dataset lamost3' in page


def test_detail_of_a_missing_or_badly_named_dataset_is_404(client, alice):
    client.force_login(alice)
    assert client.get("/datasets/nothing/").status_code == 404
    assert client.get("/datasets/..%2F..%2Fetc/").status_code == 404


def test_bob_cannot_see_or_delete_alices_dataset(client, alice_dataset, bob):
    client.force_login(bob)
    assert "lamost3" not in client.get("/datasets/").content.decode()
    assert client.get("/datasets/lamost3/").status_code == 404
    assert client.post("/datasets/lamost3/delete/").status_code == 404
    assert open_dataset(alice_dataset.datasets / "lamost3").n_spectra == 3


def test_delete_needs_post_and_removes_the_dataset(client, alice, alice_dataset):
    client.force_login(alice)
    assert client.get("/datasets/lamost3/delete/").status_code == 405
    response = client.post("/datasets/lamost3/delete/")
    assert response.status_code == 302 and response["Location"] == "/datasets/"
    assert not (alice_dataset.datasets / "lamost3").exists()
    page = client.get("/datasets/").content.decode()
    assert "Dataset lamost3 deleted" in page and "/datasets/lamost3/" not in page


def test_delete_checks_csrf(alice, alice_dataset):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/datasets/lamost3/delete/").status_code == 403
    assert (alice_dataset.datasets / "lamost3").exists()


def test_the_dataset_kind_form_is_generated(client, alice):
    client.force_login(alice)
    page = client.get("/jobs/new/dataset/").content.decode()
    for name in ("NAME", "FOLDERS", "WAVE_MIN", "LOG_STEP", "NORMALISATION", "AIR_TO_VACUUM"):
        assert name in page
