"""Background tasks of the pools, run by `leadpool worker` through Django's tasks interface."""

import threading

from django_tasks import task

from leadpool.pools.automation import run_rules
from leadpool.pools.models import Pool

# Set by the worker on SIGTERM/SIGINT: a sweep in progress then stops after its current
# batch (whole batches only), and the next run takes up the rest.
stop_requested = threading.Event()


@task()
def run_rules_task(
    as_of: str | None = None, dry_run: bool = False, pool_id: int | None = None
) -> dict:
    """Run the automatic pool rules (automation.run_rules) and keep its report as the result."""
    pool = Pool.objects.filter(pk=pool_id).first() if pool_id is not None else None
    if pool_id is not None and pool is None:
        raise ValueError(f"There is no pool {pool_id}.")
    report = run_rules(as_of=as_of, dry_run=dry_run, pool=pool, should_stop=stop_requested.is_set)
    return report.as_dict()
