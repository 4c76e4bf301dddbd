"""Run one job on a worker: claim it, start its process, watch it, record the outcome.

The job process is killed as soon as the job leaves EXECUTING (abort, delete, the janitor
declaring the worker lost) or runs past its execution duration.
"""

import logging
import os
import socket
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from pydantic import ValidationError

from services.jobs import runner
from services.jobs.params import validation_message
from services.storage import user_space
from vocloud.uws import phases, storage
from vocloud.uws.errors import UsageError
from vocloud.uws.kinds import get_kind
from vocloud.uws.models import Job, Phase, Result
from vocloud.uws.service import job_parameters

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 1.0  # seconds between database updates while a job runs
POLL = 0.2


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def execute(job_pk: int) -> None:
    close_old_connections()
    try:
        _execute(job_pk)
    finally:
        close_old_connections()


def _execute(job_pk: int) -> None:
    job = Job.objects.filter(pk=job_pk).first()
    if job is None or not phases.transition(job, Phase.EXECUTING, worker=worker_id()):
        return  # deleted, aborted while queued, or already taken by another worker
    kind = get_kind(job.kind)
    try:
        params = job_parameters(job)
    except (ValidationError, UsageError, TypeError) as exc:
        message = validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
        phases.transition(
            job, Phase.ERROR, error_type="fatal", error_message=f"Invalid parameters: {message}"
        )
        return
    owner_root = user_space(settings.DATA_DIR, job.owner_id).root
    process = runner.start(
        kind.module_name, params, job.job_id, storage.job_dir(job.job_id), owner_root
    )
    logger.info("job %s (%s) started in process %s", job.job_id, job.kind, process.pid)
    try:
        outcome = _supervise(job, process)
    finally:
        process.kill()
    if outcome is not None:
        _finish(job, outcome, process.exitcode())


def _supervise(job: Job, process: runner.JobProcess) -> runner.Message | None:
    """Relay progress until the process ends; None if the job was stopped meanwhile."""
    limit = (
        job.start_time + timedelta(seconds=job.execution_duration)
        if job.execution_duration
        else None
    )
    progress: runner.Message | None = None
    last_beat = time.monotonic()
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
            return runner.Message("exited")
        if limit is not None and timezone.now() > limit:
            phases.transition(
                job,
                Phase.ABORTED,
                error_type="fatal",
                error_message=f"The job ran past its execution duration of "
                f"{job.execution_duration} s and was stopped.",
            )
            return None
        if time.monotonic() - last_beat >= HEARTBEAT_EVERY:
            last_beat = time.monotonic()
            if not _beat(job, progress):
                logger.info("job %s left EXECUTING: stopping its process", job.job_id)
                return None


def _beat(job: Job, progress: runner.Message | None) -> bool:
    """Heartbeat and progress; False if the job is no longer EXECUTING (or gone)."""
    fields = {"heartbeat": timezone.now()}
    if progress is not None:
        fields.update(progress=progress.fraction, progress_message=progress.text[:500])
    return bool(Job.objects.filter(pk=job.pk, phase=Phase.EXECUTING).update(**fields))


def _finish(job: Job, outcome: runner.Message, exitcode: int | None) -> None:
    if outcome.kind == "done":
        try:
            _record_results(job, outcome.results or [])
        except (OSError, ValueError) as exc:
            phases.transition(
                job,
                Phase.ERROR,
                error_type="fatal",
                error_message=f"The job's results could not be stored: {exc}",
            )
            return
        phases.transition(job, Phase.COMPLETED, progress=1.0, progress_message="done")
    elif outcome.kind == "failed":
        phases.transition(
            job,
            Phase.ERROR,
            error_type=outcome.error_type,
            error_message=outcome.text,
            error_detail=outcome.detail,
        )
    else:
        phases.transition(
            job,
            Phase.ERROR,
            error_type="fatal",
            error_message=f"The job's process ended unexpectedly (exit code {exitcode}); "
            "it may have run out of memory.",
        )


def _record_results(job: Job, results: list[runner.Result]) -> None:
    seen = set()
    rows = []
    for result in results:
        if result.id in seen:
            raise ValueError(f"two results are called {result.id!r}")
        seen.add(result.id)
        path = storage.result_path(job.job_id, result.path)
        rows.append(
            Result(
                job=job,
                result_id=result.id,
                path=result.path,
                mime_type=result.mime_type,
                size=path.stat().st_size,
            )
        )
    Result.objects.bulk_create(rows)
