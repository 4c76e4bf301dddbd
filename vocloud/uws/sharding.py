"""Jobs split into shards that any worker of their queue runs: plan, shards, merge.

A kind that defines ``plan``, ``run_shard`` and ``merge`` (``score``) runs like this. The
worker that claimed the job (the parent) runs ``plan`` in a job process, records one
:class:`~vocloud.uws.models.Shard` per part and sends one message per shard but the first
to the kind's queue. Then it takes QUEUED shards itself, one at a time, exactly as any
other worker would (a lone worker finishes the job alone: nothing waits on a message it
would have to take itself). When none is left to take it waits for the shards others
hold, folds their progress into the job's, and gives a shard whose worker stopped beating
back to the queue (at most ``MAX_ATTEMPTS`` times). When every shard is DONE it runs
``merge``; the first FAILED shard fails the job.

Every shard's worker checks each second that the job is still EXECUTING and kills its
shard's process otherwise: aborting or deleting the job (or its execution duration
running out) stops every shard. The shards write into the job's own directory, which
shared storage makes the same on every worker machine.
"""

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from services.jobs import runner
from vocloud.uws import queue
from vocloud.uws.models import Job, Phase, Shard
from vocloud.uws.supervise import HEARTBEAT_EVERY, job_tick, process_starter, watch, worker_id

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
SHARDS_SHARE = 0.9  # of the job's progress bar; merging takes the rest
State = Shard.State
Starter = Callable[..., runner.JobProcess]


def run(job: Job, start: Starter) -> runner.Message | None:
    """Plan, run and merge the shards of ``job`` (EXECUTING, claimed by this worker).

    Returns the outcome to record (``done`` with the merged results, ``failed`` or
    ``exited``), or None when the job stopped being wanted.
    """
    outcome = watch(start("plan"), lambda progress: job_tick(job, progress))
    if outcome is None or outcome.kind != "done":
        return outcome
    specs = outcome.value
    shards = Shard.objects.bulk_create(
        Shard(job=job, index=i, spec=spec) for i, spec in enumerate(specs)
    )
    queue_name = queue.queue_of(job.kind)
    for shard in Shard.objects.filter(job=job, index__gt=0):
        queue.enqueue_shard(shard.pk, queue_name)
    logger.info("job %s: %d shards", job.job_id, len(shards))
    outcome = _run_shards(job, start, len(shards))
    if outcome is None or outcome.kind != "done":
        return outcome
    specs = list(Shard.objects.filter(job=job).values_list("spec", flat=True))
    return watch(start("merge", specs), lambda progress: job_tick(job, progress))


def execute_shard(shard_pk: int) -> None:
    """What a worker does with a shard's message: run it if it is still QUEUED."""
    shard = _claim(Shard.objects.filter(pk=shard_pk))
    if shard is None:
        return  # taken by the parent or another worker, or its job has stopped
    try:
        start = process_starter(shard.job)
    except Exception as exc:  # the parent validated them: this is not the user's input
        _set(shard, State.RUNNING, state=State.FAILED, error_message=f"cannot start: {exc}")
        return
    _run_one(shard, start)


def _run_shards(job: Job, start: Starter, n: int) -> runner.Message | None:
    """Take shards while there are any, then wait for the others' shards."""
    while True:
        shard = _claim(Shard.objects.filter(job=job))
        if shard is not None:
            _run_one(shard, start, also=lambda: job_tick(job, _progress(job, n)))
            continue
        failed = Shard.objects.filter(job=job, state=State.FAILED).first()
        if failed is not None:
            return _failure(failed, n)
        if Shard.objects.filter(job=job, state=State.DONE).count() == n:
            return runner.Message("done")
        _requeue_stale(job)
        if not job_tick(job, _progress(job, n)):
            return None
        time.sleep(HEARTBEAT_EVERY)


def _claim(candidates) -> Shard | None:
    """Take the first QUEUED shard among ``candidates`` whose job is EXECUTING."""
    for shard in candidates.filter(state=State.QUEUED, job__phase=Phase.EXECUTING)[:5]:
        taken = Shard.objects.filter(pk=shard.pk, state=State.QUEUED).update(
            state=State.RUNNING,
            worker=worker_id(),
            heartbeat=timezone.now(),
            progress=0.0,
            attempts=shard.attempts + 1,
        )
        if taken:
            return Shard.objects.select_related("job").get(pk=shard.pk)
    return None


def _run_one(shard: Shard, start: Starter, also: Callable[[], bool] | None = None) -> None:
    """Run a claimed shard in a job process and record how it ended.

    ``also`` (the parent's own heartbeat) runs at each tick; its False stops the shard.
    """
    mine = Shard.objects.filter(pk=shard.pk, state=State.RUNNING, worker=worker_id())

    def tick(progress: runner.Message | None) -> bool:
        fields = {"heartbeat": timezone.now()}
        if progress is not None:
            fields["progress"] = progress.fraction
        alive = bool(mine.filter(job__phase=Phase.EXECUTING).update(**fields))
        return (also() if also is not None else True) and alive

    outcome = watch(start("run_shard", shard.spec), tick)
    if outcome is None:  # the job stopped (the shard stays as it is if another took it)
        mine.update(state=State.FAILED, error_type="fatal", error_message="stopped")
        logger.info("shard %s stopped: its job left EXECUTING", shard)
    elif outcome.kind == "done":
        mine.update(state=State.DONE, progress=1.0, heartbeat=timezone.now())
    elif outcome.kind == "failed":
        mine.update(
            state=State.FAILED,
            error_type=outcome.error_type,
            error_message=outcome.text,
            error_detail=outcome.detail,
        )
    else:
        mine.update(
            state=State.FAILED,
            error_type="fatal",
            error_message=f"its process ended unexpectedly (exit code {outcome.text}); "
            "it may have run out of memory",
        )


def _set(shard: Shard, expected: str, **fields) -> bool:
    return bool(Shard.objects.filter(pk=shard.pk, state=expected).update(**fields))


def _progress(job: Job, n: int) -> runner.Message:
    """The job's progress: the mean of its shards' (DONE counts as 1)."""
    rows = list(Shard.objects.filter(job=job).values_list("state", "progress"))
    done = sum(1 for state, _ in rows if state == State.DONE)
    running = sum(1 for state, _ in rows if state == State.RUNNING)
    total = sum(1.0 if state == State.DONE else progress for state, progress in rows)
    return runner.Message(
        "progress",
        fraction=SHARDS_SHARE * total / max(n, 1),
        text=f"{done} of {n} shards done, {running} running",
    )


def _requeue_stale(job: Job) -> None:
    """Give shards whose worker stopped beating back to the queue (or fail them)."""
    timeout = settings.VOCLOUD_HEARTBEAT_TIMEOUT
    stale = Shard.objects.filter(job=job, state=State.RUNNING).filter(
        Q(heartbeat__lt=timezone.now() - timedelta(seconds=timeout)) | Q(heartbeat__isnull=True)
    )
    for shard in stale:
        lost = f"its worker {shard.worker} stopped answering"
        if shard.attempts >= MAX_ATTEMPTS:
            _set(
                shard,
                State.RUNNING,
                state=State.FAILED,
                error_type="transient",
                error_message=f"{lost} {shard.attempts} times",
            )
        elif _set(shard, State.RUNNING, state=State.QUEUED, worker="", progress=0.0):
            logger.warning("job %s: shard %d requeued (%s)", job.job_id, shard.index, lost)
            queue.enqueue_shard(shard.pk, queue.queue_of(job.kind))


def _failure(shard: Shard, n: int) -> runner.Message:
    spec = shard.spec if isinstance(shard.spec, dict) else {}
    rows = f" (rows {spec['start']}-{spec['stop'] - 1})" if "start" in spec else ""
    return runner.Message(
        "failed",
        text=f"shard {shard.index + 1} of {n}{rows} failed: {shard.error_message}",
        error_type=shard.error_type or "fatal",
        detail=shard.error_detail,
    )
