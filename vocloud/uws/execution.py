"""Run one job on a worker: claim it, start its process(es), record the outcome.

A kind that can split its work (``run_shard``) runs through :mod:`vocloud.uws.sharding`;
every other kind is one job process watched by :func:`vocloud.uws.supervise.watch`.
"""

import logging
import random

from django.conf import settings
from django.db import close_old_connections, transaction
from pydantic import ValidationError

from services.jobs import runner
from services.jobs.params import validation_message
from vocloud.uws import phases, sharding, storage
from vocloud.uws.errors import UsageError
from vocloud.uws.kinds import get_kind
from vocloud.uws.models import Job, Phase, Result
from vocloud.uws.queue import enqueue
from vocloud.uws.service import lock_owner
from vocloud.uws.supervise import job_tick, process_starter, watch, worker_id

logger = logging.getLogger(__name__)


def execute(job_pk: int) -> None:
    close_old_connections()
    try:
        _execute(job_pk)
    finally:
        close_old_connections()


def execute_shard(shard_pk: int) -> None:
    close_old_connections()
    try:
        sharding.execute_shard(shard_pk)
    finally:
        close_old_connections()


def _execute(job_pk: int) -> None:
    job = Job.objects.filter(pk=job_pk).first()
    if job is None:
        return  # deleted while queued
    claim = _claim(job)
    if claim == "deferred":
        # Its owner runs as many jobs as one user may: leave this thread to someone else's
        # job and offer this one again in a moment (unsent: the janitor sends it).
        if not enqueue(job.pk, job.kind, delay_ms=random.randint(1000, 3000)):
            Job.objects.filter(pk=job.pk, phase=Phase.QUEUED).update(unsent=True)
        return
    if claim != "claimed":
        return  # aborted while queued, or already taken by another worker
    try:
        _run_claimed(job)
    finally:
        _offer_next(job.owner_id)


def _run_claimed(job: Job) -> None:
    kind = get_kind(job.kind)
    try:
        start = process_starter(job)
    except (ValidationError, UsageError, TypeError) as exc:
        message = validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
        phases.transition(
            job, Phase.ERROR, error_type="fatal", error_message=f"Invalid parameters: {message}"
        )
        return
    if hasattr(kind.module, "run_shard"):
        outcome = sharding.run(job, start)
    else:
        outcome = watch(start(), lambda progress: job_tick(job, progress))
    if outcome is not None:
        _finish(job, outcome)


def _offer_next(owner_id: int) -> None:
    """A job of this owner ended: offer their oldest queued job now.

    It was most likely deferred (its owner ran as many jobs as one user may) and would
    otherwise wait for its delayed message. A second message for one job is harmless: only
    one claim moves it out of QUEUED, the other finds it gone.
    """
    waiting = (
        Job.objects.filter(owner_id=owner_id, phase=Phase.QUEUED)
        .order_by("creation_time", "id")
        .values_list("pk", "kind")
        .first()
    )
    if waiting is not None:
        enqueue(*waiting)


def _claim(job: Job) -> str:
    """QUEUED -> EXECUTING unless its owner already has the most jobs one user may run:
    ``"claimed"``, ``"deferred"`` or ``"gone"`` (not QUEUED any more)."""
    cap = settings.VOCLOUD_MAX_RUNNING_JOBS_PER_USER
    with transaction.atomic():
        lock_owner(job.owner_id)  # the count and the claim are one step per owner
        running = Job.objects.filter(owner_id=job.owner_id, phase=Phase.EXECUTING).count()
        if running >= cap:
            queued = Job.objects.filter(pk=job.pk, phase=Phase.QUEUED).exists()
            return "deferred" if queued else "gone"
        claimed = phases.transition(job, Phase.EXECUTING, worker=worker_id())
    return "claimed" if claimed else "gone"


def _finish(job: Job, outcome: runner.Message) -> None:
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
            error_message=f"The job's process ended unexpectedly (exit code {outcome.text}); "
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
