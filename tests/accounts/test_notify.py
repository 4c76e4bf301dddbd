"""The mail a job's owner asked for when a job started from the portal ends."""

import logging
import socket

import pytest
from django.core import mail

from tests.accounts.jobs import make_job
from vocloud.accounts import notify
from vocloud.accounts.models import MailChoice
from vocloud.uws.models import Job, Phase
from vocloud.uws.phases import transition


@pytest.fixture
def wants_mail(alice):
    alice.email = "alice@example.org"
    alice.save()
    MailChoice.objects.create(user=alice, job_ended=True)
    return alice


def end(job, phase, callbacks, **fields) -> bool:
    with callbacks(execute=True):
        return transition(job, phase, **fields)


def test_a_completed_portal_job_sends_one_readable_mail(
    wants_mail, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://vocloud.example.org"
    job = make_job(wants_mail, notify=True, run_id="night 3", progress_message="all fine")
    assert end(job, Phase.COMPLETED, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["alice@example.org"]
    assert sent.subject == f"vocloud: your Self-test job {job.job_id} completed"
    assert f"Your Self-test job {job.job_id} completed (phase COMPLETED)." in sent.body
    assert "Its run ID: night 3" in sent.body and "Outcome: all fine" in sent.body
    assert f"https://vocloud.example.org/jobs/selftest/{job.job_id}/" in sent.body
    assert "Traceback" not in sent.body


def test_a_failed_job_mail_gives_the_readable_reason_without_server_paths(
    wants_mail, settings, django_capture_on_commit_callbacks
):
    job = make_job(wants_mail, notify=True)
    reason = f"Cannot read {settings.DATA_DIR}/users/1/files/a.fits: not a FITS file"
    assert end(
        job,
        Phase.ERROR,
        django_capture_on_commit_callbacks,
        error_message=reason,
        error_detail='Traceback (most recent call last):\n  File "/srv/x.py"',
    )
    (sent,) = mail.outbox
    assert "failed" in sent.subject and "Reason: Cannot read" in sent.body
    assert str(settings.DATA_DIR) not in sent.body
    assert "Traceback" not in sent.body and "/srv/" not in sent.body


def test_no_mail_without_notify_or_without_the_choice(
    alice, wants_mail, bob, django_capture_on_commit_callbacks
):
    end(make_job(alice, notify=False), Phase.COMPLETED, django_capture_on_commit_callbacks)
    bob.email = "bob@example.org"
    bob.save()  # an address, but no choice made
    end(make_job(bob, notify=True), Phase.ABORTED, django_capture_on_commit_callbacks)
    MailChoice.objects.filter(user=alice).update(job_ended=False)  # changed their mind
    end(make_job(alice, notify=True), Phase.COMPLETED, django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_no_mail_for_a_move_that_is_not_an_end(wants_mail, django_capture_on_commit_callbacks):
    job = make_job(wants_mail, notify=True, phase=Phase.QUEUED)
    assert end(job, Phase.EXECUTING, django_capture_on_commit_callbacks)
    assert not end(job, Phase.QUEUED, django_capture_on_commit_callbacks)  # not allowed
    assert mail.outbox == []


def test_a_mail_server_that_refuses_does_not_break_the_transition(
    wants_mail, settings, caplog, django_capture_on_commit_callbacks
):
    with socket.socket() as probe:  # a port on which nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 2},
        }
    }
    job = make_job(wants_mail, notify=True)
    with caplog.at_level(logging.WARNING, logger="vocloud.accounts.notify"):
        assert end(job, Phase.COMPLETED, django_capture_on_commit_callbacks)
    assert Job.objects.get(pk=job.pk).phase == Phase.COMPLETED
    assert job.job_id in caplog.text


def test_wants_mail_needs_the_choice_and_an_address(alice):
    assert not notify.wants_mail(alice)
    notify.set_mail_choice(alice, job_ended=True, email="alice@example.org")
    assert notify.wants_mail(alice)
    notify.set_mail_choice(alice, job_ended=True, email="")  # no address: no mail
    assert not notify.wants_mail(alice)


def test_a_job_started_from_the_portal_carries_its_owners_choice(wants_mail, bob, client):
    for user, expected in ((wants_mail, True), (bob, False)):
        client.force_login(user)
        response = client.post("/jobs/new/selftest/", {"DURATION": "0"}, HTTP_HOST="127.0.0.1")
        assert response.status_code == 302, response.content[:300]
        assert Job.objects.filter(owner=user).get().notify is expected


def test_a_job_created_through_uws_never_mails(wants_mail, client):
    from tests.conftest import basic

    response = client.post("/uws/selftest/async", {"DURATION": "0"}, **basic("alice"))
    assert response.status_code == 303
    assert Job.objects.get(owner=wants_mail).notify is False
