"""Background tasks of imports, run by `leadpool worker` through Django's tasks interface."""

from django_tasks import task

from leadpool.pools.tasks import stop_requested
from leadpool.transfer.imports import expire_uploads, run_import, stalled_jobs


@task()
def run_import_task(job_id: int) -> dict | None:
    """Run (or carry on with) an import job; its progress is on the job itself."""
    job = run_import(job_id, should_stop=stop_requested.is_set)
    return None if job is None else {"status": job.status, "processed": job.processed}


def requeue_stalled_imports() -> int:
    """Queue again the jobs whose worker died mid-run (they carry on from their checkpoint),
    and delete the uploads of jobs that will never run."""
    expire_uploads()
    count = 0
    for job_id in stalled_jobs().values_list("pk", flat=True):
        run_import_task.enqueue(job_id)
        count += 1
    return count
