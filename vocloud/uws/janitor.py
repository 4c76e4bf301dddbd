"""Periodic upkeep: destroy expired jobs, fail jobs whose worker died, requeue queued jobs."""

import logging
import os
import socket
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from vocloud.uws import phases
from vocloud.uws.models import Job, Phase
from vocloud.uws.queue import enqueue
from vocloud.uws.service import delete_job

logger = logging.getLogger(__name__)


def destroy_expired() -> int:
    """Delete every job whose destruction time has passed (UWS 1.1 §2.1.5)."""
    expired = list(Job.objects.filter(destruction__lte=timezone.now()))
    for job in expired:
        logger.info("destroying job %s (destruction time %s)", job.job_id, job.destruction)
        delete_job(job)
    return len(expired)


def fail_lost_jobs() -> int:
    """Jobs EXECUTING without a heartbeat for too long: their worker is gone."""
    timeout = settings.VOCLOUD_HEARTBEAT_TIMEOUT
    stale = Job.objects.filter(
        phase=Phase.EXECUTING, heartbeat__lt=timezone.now() - timedelta(seconds=timeout)
    )
    count = 0
    for job in stale:
        count += _declare_lost(job, f"no heartbeat for {timeout} s")
    return count


def fail_jobs_of_dead_local_workers() -> int:
    """At a worker's start: jobs of earlier worker processes on this host that are gone."""
    host = socket.gethostname()
    count = 0
    for job in Job.objects.filter(phase=Phase.EXECUTING, worker__startswith=f"{host}:"):
        pid = int(job.worker.rsplit(":", 1)[1])
        if pid != os.getpid() and not _process_exists(pid):
            count += _declare_lost(job, f"worker process {pid} is gone")
    return count


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _declare_lost(job: Job, why: str) -> int:
    changed = phases.transition(
        job,
        Phase.ERROR,
        error_type="transient",
        error_message=f"The worker running this job stopped unexpectedly ({why}); "
        "the job did not finish. Run it again.",
    )
    if changed:
        logger.warning("job %s lost: %s", job.job_id, why)
    return int(changed)


def requeue_queued() -> int:
    """Send again every QUEUED job: messages may have been lost with a broker restart.

    Duplicates are harmless: only one worker can move a job from QUEUED to EXECUTING.
    """
    jobs = list(Job.objects.filter(phase=Phase.QUEUED).values_list("pk", "kind"))
    for pk, kind in jobs:
        enqueue(pk, kind)
    return len(jobs)


def resend_unsent() -> int:
    """Send again the QUEUED jobs whose message could not be sent; returns how many went."""
    sent = 0
    for pk, kind in Job.objects.filter(phase=Phase.QUEUED, unsent=True).values_list("pk", "kind"):
        if not enqueue(pk, kind):
            break  # the broker is still down: try again at the next sweep
        Job.objects.filter(pk=pk).update(unsent=False)
        sent += 1
    if sent:
        logger.info("sent %d queued jobs whose messages had not gone out", sent)
    return sent


def sweep() -> None:
    destroy_expired()
    fail_lost_jobs()
    resend_unsent()
