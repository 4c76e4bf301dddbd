"""The download and ingest history: the user's ingest and dataset jobs, newest first."""

from datetime import timedelta

from tests.accounts.jobs import make_job
from vocloud.uws import service
from vocloud.uws.models import Phase


def test_history_lists_ingest_and_dataset_jobs_newest_first_with_outcomes(client, alice):
    start = service.now_ms()
    older = make_job(
        alice,
        "ingest",
        Phase.COMPLETED,
        creation_time=start - timedelta(hours=2),
        end_time=start - timedelta(hours=1),
        progress_message="12 stored, 3 already in your storage, 0 failed",
    )
    newer = make_job(
        alice,
        "dataset",
        Phase.ERROR,
        creation_time=start,
        error_message="No spectra found in that folder.",
    )
    other_kind = make_job(alice, "selftest", Phase.COMPLETED)
    client.force_login(alice)
    page = client.get("/accounts/history/").content.decode()
    assert page.index(newer.job_id) < page.index(older.job_id)
    assert other_kind.job_id not in page
    assert "12 stored, 3 already in your storage, 0 failed" in page
    assert "No spectra found in that folder." in page
    assert '<time datetime="' in page and " UTC</time>" in page


def test_history_pages_hold_fifty_jobs(client, alice):
    start = service.now_ms()
    jobs = [
        make_job(alice, "ingest", Phase.COMPLETED, creation_time=start - timedelta(minutes=i))
        for i in range(52)
    ]
    client.force_login(alice)
    first = client.get("/accounts/history/").content.decode()
    second = client.get("/accounts/history/?page=2").content.decode()
    assert jobs[49].job_id in first and jobs[50].job_id not in first
    assert jobs[50].job_id in second and jobs[51].job_id in second
    assert "Page 2 of 2" in second
    assert client.get("/accounts/history/?page=nonsense").status_code == 200
