"""The background worker: the pool rules on a schedule, and the queued jobs (imports …).

Jobs are Django tasks queued in the database (django-tasks-db). Each worker enqueues the
rules sweep every `interval` seconds unless one is already waiting, then runs whatever is
ready, its own sweep or another worker's among them. Several workers at once are safe:
jobs are taken with SKIP LOCKED, and a sweep's batches lock their records the same way.
"""

import logging
import threading
import time

from django.db import close_old_connections
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from leadpool.pools import tasks
from leadpool.transfer.tasks import requeue_stalled_imports

logger = logging.getLogger(__name__)


class LeadPoolWorker:
    def __init__(self, *, interval: float, poll: float = 1.0, worker_id: str):
        self.interval = interval
        self.poll = poll
        self.stopping = threading.Event()
        # The backport's own job runner, in batch mode: run every ready job, then return.
        self.jobs = Worker(
            queue_names=["*"],
            excluded_queue_names=[],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
        )

    def stop(self, *_signal) -> None:
        """Finish the job in hand (a sweep: its current batch), then leave the loop."""
        logger.warning("Stopping after the current batch.")
        self.stopping.set()
        tasks.stop_requested.set()
        self.jobs.running = False

    def run(self, *, once: bool = False) -> None:
        """Sweep the rules every `interval` seconds and run queued jobs until stopped.

        With `once`, enqueue a sweep, run every ready job, and return.
        """
        next_sweep = time.monotonic()
        while not self.stopping.is_set():
            close_old_connections()
            if time.monotonic() >= next_sweep:
                enqueue_rules_sweep()
                # Imports whose worker died mid-run carry on from their last whole batch.
                requeue_stalled_imports()
                next_sweep = time.monotonic() + self.interval
            self.jobs.running = not self.stopping.is_set()
            self.jobs.run()
            if once:
                return
            self.stopping.wait(max(0.0, min(self.poll, next_sweep - time.monotonic())))


def enqueue_rules_sweep():
    """Queue a rules sweep unless one is already waiting (a running one may be stuck with
    a killed worker, so it does not count: the sweeps are safe to overlap)."""
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=tasks.run_rules_task.module_path
    )
    if waiting.exists():
        return None
    return tasks.run_rules_task.enqueue()
