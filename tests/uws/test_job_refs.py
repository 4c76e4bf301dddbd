"""Parameters that name another job: checked against the owner, resolved to its results."""

import pytest

from tests.conftest import basic
from vocloud.uws import service, storage
from vocloud.uws.errors import UsageError
from vocloud.uws.kinds import KINDS, Kind
from vocloud.uws.models import Job


@pytest.fixture
def follow(monkeypatch):
    kind = Kind("follow", "tests.support.follow_kind")
    monkeypatch.setitem(KINDS, "follow", kind)
    return kind


def test_the_worker_gets_the_named_jobs_results(alice, completed_job, follow):
    job = service.create_job(alice, follow, {"source": completed_job.job_id})
    assert job.parameters == {"SOURCE": completed_job.job_id}  # what UWS lists
    params = service.job_parameters(job)
    assert params["source"] == str(storage.results_dir(completed_job.job_id))


def test_another_users_job_cannot_be_named(bob, completed_job, follow):
    with pytest.raises(UsageError, match="you have no selftest job"):
        service.create_job(bob, follow, {"SOURCE": completed_job.job_id})
    assert not Job.objects.filter(kind="follow").exists()


def test_an_unfinished_job_cannot_be_named(alice, follow):
    pending = service.create_job(alice, KINDS["selftest"], {})
    with pytest.raises(UsageError, match="is PENDING, not COMPLETED"):
        service.create_job(alice, follow, {"SOURCE": pending.job_id})


def test_a_named_job_deleted_before_the_run_is_a_clear_error(alice, completed_job, follow):
    job = service.create_job(alice, follow, {"SOURCE": completed_job.job_id})
    service.delete_job(completed_job)
    with pytest.raises(UsageError, match="you have no selftest job"):
        service.job_parameters(job)


def test_uws_refuses_with_a_usage_error(client, bob, completed_job, follow):
    response = client.post("/uws/follow/async", {"SOURCE": completed_job.job_id}, **basic("bob"))
    assert response.status_code == 400
    assert response.content.startswith(b"UsageError: SOURCE: you have no selftest job")


def test_the_portal_form_offers_the_users_finished_jobs(client, completed_job, bob, follow):
    client.force_login(completed_job.owner)
    page = client.get("/jobs/new/follow/").content.decode()
    assert f'<option value="{completed_job.job_id}"' in page
    client.force_login(bob)
    assert completed_job.job_id not in client.get("/jobs/new/follow/").content.decode()
