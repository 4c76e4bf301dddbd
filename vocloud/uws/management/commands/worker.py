import argparse
import logging
import multiprocessing
import os
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from dramatiq import Worker

from services.jobs import runner
from vocloud import launcher
from vocloud.uws import janitor
from vocloud.uws.kinds import QUEUES
from vocloud.uws.models import Job, Phase
from vocloud.uws.phases import transition
from vocloud.uws.queue import actors, broker
from vocloud.uws.supervise import worker_id

logger = logging.getLogger("vocloud.worker")

STOP_MS = 2500  # a stopping worker's running jobs are failed; what is left after this is killed


class Command(BaseCommand):
    help = "Run a dramatiq worker for vocloud jobs (one job process per running job)."
    requires_system_checks = []  # no URL configuration to import: starts in 0.5 s, not 3

    def add_arguments(self, parser):
        parser.add_argument("--queues", nargs="*", default=QUEUES, choices=QUEUES)
        parser.add_argument(
            "--threads",
            type=int,
            default=settings.VOCLOUD_WORKER_THREADS,
            help="jobs run at once by this worker",
        )
        parser.add_argument(
            "--warm-projection",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="compile UMAP in the job fork server at start (default: when serving 'gpu' "
            "and VOCLOUD_WARM_PROJECTION is on)",
        )

    def handle(self, queues, threads, warm_projection=None, **options):
        stop = threading.Event()
        launcher.exit_with_launcher(stop.set)  # also while the fork server starts (UMAP: a minute)
        actors()  # declare the queues on the broker
        if warm_projection is None:
            warm_projection = "gpu" in queues and settings.VOCLOUD_WARM_PROJECTION
        _start_job_server(warm_projection)
        lost = janitor.fail_jobs_of_dead_local_workers()
        requeued = janitor.requeue_queued()
        logger.info(
            "worker %s: queues %s, %d threads; %d lost jobs failed, %d requeued",
            worker_id(),
            ",".join(queues),
            threads,
            lost,
            requeued,
        )
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        worker = Worker(broker(), queues=set(queues), worker_threads=threads, worker_timeout=500)
        worker.start()
        stop.wait()
        logger.info("worker %s stopping", worker_id())
        _fail_running_jobs()  # their watch loops see it within a second and kill the processes
        # Bounded: a consumer whose broker died with the launcher sleeps 3 s before it looks
        # again. dramatiq's threads are daemons: they end with the process.
        stopper = threading.Thread(target=worker.stop, kwargs={"timeout": STOP_MS}, daemon=True)
        stopper.start()
        stopper.join(STOP_MS / 1000)
        _fail_running_jobs()  # a job claimed while the worker stopped
        for process in multiprocessing.active_children():
            process.kill()
        launcher.exit_now(0)


def _fail_running_jobs() -> None:
    """Jobs still running here cannot finish: say so rather than leave them EXECUTING."""
    for job in Job.objects.filter(phase=Phase.EXECUTING, worker=worker_id()):
        transition(
            job,
            Phase.ERROR,
            error_type="transient",
            error_message="The worker was shut down while the job ran. Run it again.",
        )


def _start_job_server(warm_projection: bool) -> None:
    """Start the job fork server; with ``warm_projection`` it compiles UMAP first."""
    os.environ.setdefault("VOCLOUD_NUMBA_CACHE_DIR", str(settings.DATA_DIR / "cache" / "numba"))
    runner.start_server(["services.projection.warm"] if warm_projection else [])
