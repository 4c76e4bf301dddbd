import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from vocloud.uws import janitor

logger = logging.getLogger("vocloud.janitor")


class Command(BaseCommand):
    help = "Destroy expired jobs, fail jobs of dead workers, requeue queued jobs; loop."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=1.0, help="seconds between sweeps")
        parser.add_argument("--once", action="store_true")

    def handle(self, every, once, **options):
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        logger.info("janitor: %d queued jobs sent again", janitor.requeue_queued())
        while not stop.is_set():
            try:
                janitor.sweep()
            except Exception:  # a failed sweep is logged and retried, never fatal
                logger.exception("janitor sweep failed")
            close_old_connections()
            if once:
                break
            stop.wait(every)
