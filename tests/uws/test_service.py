"""Job operations as the UWS views and the portal call them (owner's side of the matrix)."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from vocloud.uws import phases, service, storage
from vocloud.uws.errors import IllegalState, NotFound, UsageError
from vocloud.uws.kinds import KINDS
from vocloud.uws.models import Job, Phase

SELFTEST = KINDS["selftest"]


def test_create_stores_parameters_as_given_with_uws_names(alice):
    job = service.create_job(alice, SELFTEST, {"duration": "0.5", "Note": "é <x>", "runid": "r1"})
    assert job.parameters == {"DURATION": "0.5", "NOTE": "é <x>"}
    assert job.run_id == "r1"
    assert job.phase == Phase.PENDING
    assert job.execution_duration == SELFTEST.execution_duration
    assert job.creation_time.microsecond % 1000 == 0  # what the XML shows, to the ms


@pytest.mark.parametrize(
    "values, message",
    [
        ({"DURATION": "long"}, "DURATION"),
        ({"DURATION": "-1"}, "DURATION"),
        ({"DURATION": "99999"}, "DURATION"),
        ({"FAIL": "perhaps"}, "FAIL"),
        ({"COLOUR": "red"}, "unknown parameter COLOUR"),
        ({"ATTACHMENT": "text"}, "must be uploaded"),
        ({"PHASE": "ABORT"}, "PHASE"),
        ({"EXECUTIONDURATION": "soon"}, "EXECUTIONDURATION"),
        ({"DESTRUCTION": "tomorrow"}, "DESTRUCTION"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_created(alice, values, message):
    with pytest.raises(UsageError, match=message):
        service.create_job(alice, SELFTEST, values)
    assert not Job.objects.exists()


def test_file_for_a_non_file_parameter_is_refused(alice):
    with pytest.raises(UsageError, match="NOTE does not take a file"):
        service.create_job(alice, SELFTEST, {}, {"NOTE": SimpleUploadedFile("n.txt", b"x")})


def test_run_queues_and_sends_after_commit(alice, django_capture_on_commit_callbacks):
    job = service.create_job(alice, SELFTEST, {})
    with django_capture_on_commit_callbacks() as callbacks:
        service.run_job(job)
    assert Job.objects.get(pk=job.pk).phase == Phase.QUEUED
    # The message, and the announcement to clients blocked in WAIT, go out only once the
    # row is committed.
    assert len(callbacks) == 2


def test_phase_run_at_creation_queues(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        job = service.create_job(alice, SELFTEST, {"PHASE": "run"})
    assert job.phase == Phase.QUEUED


def test_completed_job_cannot_run_or_abort(completed_job):
    with pytest.raises(IllegalState):
        service.run_job(completed_job)
    with pytest.raises(IllegalState):
        service.abort_job(completed_job)
    assert Job.objects.get(pk=completed_job.pk).phase == Phase.COMPLETED


def test_parameters_change_only_while_pending(alice, django_capture_on_commit_callbacks):
    job = service.create_job(alice, SELFTEST, {"DURATION": "1"})
    service.update_parameters(job, {"duration": "2", "NOTE": "x"})
    assert Job.objects.get(pk=job.pk).parameters == {"DURATION": "2", "NOTE": "x"}
    with pytest.raises(UsageError):
        service.update_parameters(job, {"DURATION": "soon"})
    with django_capture_on_commit_callbacks():
        service.run_job(job)
    with pytest.raises(IllegalState):
        service.update_parameters(job, {"DURATION": "3"})
    assert Job.objects.get(pk=job.pk).parameters["DURATION"] == "2"


def test_upload_is_stored_under_its_parameter_name(alice):
    job = service.create_job(
        alice, SELFTEST, {}, {"attachment": SimpleUploadedFile("../../etc/passwd", b"abc")}
    )
    assert job.uploads == {"ATTACHMENT": "passwd"}  # Django keeps only the base name
    path = storage.upload_path(job.job_id, "ATTACHMENT", "passwd")
    assert path.read_bytes() == b"abc"
    assert path.name == "passwd"  # the job sees the client's base name, nothing more
    assert path.parent.parent.parent == storage.job_dir(job.job_id)
    assert service.job_parameters(job)["attachment"] == str(path)


def test_execution_duration_is_capped_by_the_kind(alice):
    job = service.create_job(alice, SELFTEST, {})
    service.set_execution_duration(job, "7")
    assert Job.objects.get(pk=job.pk).execution_duration == 7
    for value in ("0", str(10**9)):
        service.set_execution_duration(job, value)
        assert Job.objects.get(pk=job.pk).execution_duration == SELFTEST.max_execution_duration
    with pytest.raises(UsageError):
        service.set_execution_duration(job, "-3")


@pytest.mark.parametrize(
    "text",
    [
        "2030-01-02T03:04:05Z",
        "2030-01-02T03:04:05.123Z",
        "2030-01-02T03:04:05.123456Z",
        "2030-01-02T03:04:05+00:00",
        "2030-01-02T03:04:05",
    ],
)
def test_destruction_accepts_iso_utc_forms(alice, settings, text):
    settings.VOCLOUD_DESTRUCTION_DAYS = 10000
    job = service.create_job(alice, SELFTEST, {})
    service.set_destruction(job, text)
    stored = Job.objects.get(pk=job.pk).destruction
    assert stored.replace(microsecond=0) == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["next tuesday", "2030-13-45T99:00:00Z", "2030-01-02T03:04:05+02:00"]
)
def test_destruction_refuses_other_text(alice, text):
    job = service.create_job(alice, SELFTEST, {})
    with pytest.raises(UsageError):
        service.set_destruction(job, text)


def test_destruction_never_beyond_the_platform_limit(alice, settings):
    settings.VOCLOUD_DESTRUCTION_DAYS = 2
    job = service.create_job(alice, SELFTEST, {})
    service.set_destruction(job, "2999-01-01T00:00:00Z")
    assert Job.objects.get(pk=job.pk).destruction <= datetime.now(UTC) + timedelta(days=2)


def test_list_filters_and_order(alice, bob):
    jobs = []
    for _ in range(4):
        jobs.append(service.create_job(alice, SELFTEST, {}))
        time.sleep(0.002)  # distinct creation times (kept to the millisecond)
    service.create_job(bob, SELFTEST, {})
    phases.transition(jobs[1], Phase.ABORTED)
    newest_first = [j.job_id for j in reversed(jobs)]
    listed = lambda *a: [j.job_id for j in service.list_jobs(alice, SELFTEST, *a)]  # noqa: E731
    assert listed([], None, None) == newest_first
    assert listed([], None, 2) == newest_first[:2]
    assert listed(["ABORTED"], None, None) == [jobs[1].job_id]
    assert listed([], jobs[1].creation_time, None) == newest_first[:2]


def test_deleting_removes_row_and_files(completed_job):
    job_dir = storage.job_dir(completed_job.job_id)
    assert job_dir.exists()
    service.delete_job(completed_job)
    assert not Job.objects.filter(pk=completed_job.pk).exists()
    assert not job_dir.exists()


def test_another_users_job_is_not_found(completed_job, bob):
    with pytest.raises(NotFound):
        service.get_job(bob, SELFTEST, completed_job.job_id)


def test_result_paths_cannot_leave_the_results_directory():
    with pytest.raises(ValueError):
        storage.result_path("abc", "../uploads/ATTACHMENT")
