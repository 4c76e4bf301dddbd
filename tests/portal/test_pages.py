"""Portal pages: generated job form, job page, kind documentation, login."""

from django.core.files.uploadedfile import SimpleUploadedFile

from vocloud.uws.models import Job, Phase


def test_login_page_and_redirects(client, db):
    assert client.get("/accounts/login/").status_code == 200
    response = client.get("/jobs/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_new_job_form_is_generated_from_the_declaration(client, alice):
    client.force_login(alice)
    page = client.get("/jobs/new/selftest/").content.decode()
    for name in ("DURATION", "FAIL", "NOTE", "ATTACHMENT", "RUNID"):
        assert name in page
    assert "Seconds the job stays EXECUTING" in page  # the field's description
    assert 'type="file"' in page and 'max="3600' in page


def test_form_creates_and_runs_a_job(client, alice, django_capture_on_commit_callbacks):
    client.force_login(alice)
    with django_capture_on_commit_callbacks():
        response = client.post(
            "/jobs/new/selftest/",
            {
                "duration": "0.5",
                "note": "from the portal",
                "run": "1",
                "attachment": SimpleUploadedFile("s.fits", b"SIMPLE"),
            },
        )
    job = Job.objects.get(owner=alice)
    assert response.status_code == 302 and job.job_id in response["Location"]
    assert job.phase == Phase.QUEUED
    assert job.parameters["NOTE"] == "from the portal" and job.uploads == {"ATTACHMENT": "s.fits"}


def test_form_shows_readable_errors(client, alice):
    client.force_login(alice)
    response = client.post("/jobs/new/selftest/", {"duration": "-4"})
    assert response.status_code == 200
    assert "greater than or equal to 0" in response.content.decode()
    assert not Job.objects.exists()


def test_job_page_and_status(client, completed_job):
    client.force_login(completed_job.owner)
    page = client.get(f"/jobs/selftest/{completed_job.job_id}/").content.decode()
    assert "COMPLETED" in page and "ATTACHMENT" in page
    status = client.get(f"/jobs/selftest/{completed_job.job_id}/status.json").json()
    assert status["phase"] == "COMPLETED" and status["results"][0]["id"] == "result"
    assert "/uws/signed/" in status["results"][0]["signed_url"]


def test_portal_abort_and_delete(client, alice, django_capture_on_commit_callbacks):
    client.force_login(alice)
    with django_capture_on_commit_callbacks():
        client.post("/jobs/new/selftest/", {"duration": "5", "run": "1"})
    job = Job.objects.get(owner=alice)
    client.post(f"/jobs/selftest/{job.job_id}/abort/")
    assert Job.objects.get(pk=job.pk).phase == Phase.ABORTED
    page = client.post(f"/jobs/selftest/{job.job_id}/abort/", follow=True).content.decode()
    assert "ABORTED" in page
    client.post(f"/jobs/selftest/{job.job_id}/delete/")
    assert not Job.objects.exists()


def test_job_list_filters(client, completed_job):
    client.force_login(completed_job.owner)
    assert completed_job.job_id in client.get("/jobs/?phase=COMPLETED").content.decode()
    assert completed_job.job_id not in client.get("/jobs/?phase=ERROR").content.decode()


def test_kind_documentation_is_public_and_generated(client, db):
    page = client.get("/kinds/selftest/").content.decode()
    assert "DURATION" in page and "float" in page and "≤ 3600" in page
    assert "AsyncTAPJob" in page  # the pyvo snippet
    assert client.get("/kinds/nope/").status_code == 404
