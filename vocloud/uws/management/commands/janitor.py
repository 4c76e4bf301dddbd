import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from vocloud import launcher
from vocloud.uws import janitor

logger = logging.getLogger("vocloud.janitor")


class Command(BaseCommand):
    help = "Destroy expired jobs, fail jobs of dead workers, requeue queued jobs; loop."
    requires_system_checks = []  # no URL configuration to import: starts in 0.5 s, not 3

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=1.0, help="seconds between sweeps")
        parser.add_argument("--once", action="store_true")

    def handle(self, every, once, **options):
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        launcher.exit_with_launcher(stop.set)
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
