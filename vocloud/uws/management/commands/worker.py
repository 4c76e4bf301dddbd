import argparse
import logging
import os
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from dramatiq import Worker

from services.jobs import runner
from vocloud.uws import janitor
from vocloud.uws.kinds import QUEUES
from vocloud.uws.models import Job, Phase
from vocloud.uws.phases import transition
from vocloud.uws.queue import actors, broker
from vocloud.uws.supervise import worker_id

logger = logging.getLogger("vocloud.worker")


class Command(BaseCommand):
    help = "Run a dramatiq worker for vocloud jobs (one job process per running job)."

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
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        worker = Worker(broker(), queues=set(queues), worker_threads=threads, worker_timeout=500)
        worker.start()
        stop.wait()
        logger.info("worker %s stopping", worker_id())
        # Jobs still running here cannot finish: say so rather than leave them EXECUTING.
        for job in Job.objects.filter(phase=Phase.EXECUTING, worker=worker_id()):
            transition(
                job,
                Phase.ERROR,
                error_type="transient",
                error_message="The worker was shut down while the job ran. Run it again.",
            )
        worker.stop(timeout=10_000)


def _start_job_server(warm_projection: bool) -> None:
    """Start the job fork server; with ``warm_projection`` it compiles UMAP first."""
    os.environ.setdefault("VOCLOUD_NUMBA_CACHE_DIR", str(settings.DATA_DIR / "cache" / "numba"))
    runner.start_server(["services.projection.warm"] if warm_projection else [])
