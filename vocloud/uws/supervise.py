"""Watching job processes: heartbeats, progress, stopping them when they are not wanted.

Shared by whole jobs (:mod:`vocloud.uws.execution`) and shards (:mod:`vocloud.uws.sharding`).
"""

import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from services.jobs import runner
from services.storage import user_space
from vocloud import outbound
from vocloud.files.models import quota_spec
from vocloud.uws import phases, storage
from vocloud.uws.kinds import get_kind
from vocloud.uws.models import Job, Phase
from vocloud.uws.service import job_parameters

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 1.0  # seconds between database updates while a job runs
POLL = 0.2


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def process_starter(job: Job) -> Callable[..., runner.JobProcess]:
    """``start(entry="run", extra=None)``: a job process of ``job`` for one entry point.

    Raises the parameters' validation errors.
    """
    params = job_parameters(job)
    owner_root = user_space(settings.DATA_DIR, job.owner_id).root
    module, job_dir = get_kind(job.kind).module_name, storage.job_dir(job.job_id)
    # What the platform grants the job: where it may fetch from, and the owner's quota.
    grants = {"fetch_policy": outbound.fetch_policy(), "quota": quota_spec(job.owner)}

    def start(entry: str = "run", extra: Any = None) -> runner.JobProcess:
        process = runner.start(
            module, params, job.job_id, job_dir, owner_root, entry=entry, extra=extra, **grants
        )
        logger.info("job %s (%s) %s: process %s", job.job_id, job.kind, entry, process.pid)
        return process

    return start


def watch(
    process: runner.JobProcess, tick: Callable[[runner.Message | None], bool]
) -> runner.Message | None:
    """Relay a job process until it ends; None if ``tick`` said stop (the process is killed).

    ``tick(latest_progress)`` runs every ``HEARTBEAT_EVERY`` seconds and returns False when
    the work is no longer wanted. The outcome is the process's ``done`` or ``failed``
    message, or ``exited`` (with the exit code as text) when it died without one.
    """
    progress: runner.Message | None = None
    last_beat = time.monotonic()
    try:
        while True:
            for message in process.poll(POLL):
                if message.kind == "progress":
                    progress = message
                else:
                    return message
            if not process.alive():
                for message in process.poll(0):
                    if message.kind != "progress":
                        return message
                process.process.join(5)
                return runner.Message("exited", text=str(process.exitcode()))
            if time.monotonic() - last_beat >= HEARTBEAT_EVERY:
                last_beat = time.monotonic()
                if not tick(progress):
                    return None
    finally:
        process.kill()


def job_tick(job: Job, progress: runner.Message | None) -> bool:
    """Heartbeat and progress of a running job; False once it must stop.

    It must stop when it left EXECUTING (abort, delete, the janitor declaring its worker
    lost) or ran past its execution duration (it is then ABORTED here).
    """
    if job.execution_duration and timezone.now() > job.start_time + timedelta(
        seconds=job.execution_duration
    ):
        phases.transition(
            job,
            Phase.ABORTED,
            error_type="fatal",
            error_message=f"The job ran past its execution duration of "
            f"{job.execution_duration} s and was stopped.",
        )
        return False
    fields = {"heartbeat": timezone.now()}
    if progress is not None:
        fields.update(progress=progress.fraction, progress_message=progress.text[:500])
    if Job.objects.filter(pk=job.pk, phase=Phase.EXECUTING).update(**fields):
        return True
    logger.info("job %s left EXECUTING: stopping its process", job.job_id)
    return False
