import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string

from leadpool.pools.worker import LeadPoolWorker

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Command(BaseCommand):
    help = (
        "Run the background worker: the pool rules every LEADPOOL_RULES_INTERVAL seconds "
        "(default 300) and the queued jobs. SIGTERM or Ctrl-C stops it after the current batch."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds between rule sweeps (default: LEADPOOL_RULES_INTERVAL)",
        )
        parser.add_argument("--once", action="store_true", help="one sweep and the ready jobs")
        parser.add_argument("--worker-id", default=None, help="unique name (default: random)")

    def handle(self, *args, **options):
        # The backport's job runner logs every poll (each second); keep that for -v 2.
        quiet = options["verbosity"] < 2
        logging.getLogger("django_tasks_db").setLevel(logging.WARNING if quiet else logging.INFO)
        interval = options["interval"]
        if interval is None:
            interval = settings.LEADPOOL_RULES_INTERVAL
        worker = LeadPoolWorker(
            interval=max(1.0, interval), worker_id=options["worker_id"] or get_random_string(32)
        )
        previous = {signum: signal.signal(signum, worker.stop) for signum in STOP_SIGNALS}
        self.stdout.write(f"Worker started: rules every {interval:g} s.")
        try:
            worker.run(once=options["once"])
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write("Worker stopped.")
