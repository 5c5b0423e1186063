"""Imports on the worker: a queued job runs; a job whose worker died carries on."""

import datetime
import io
import os
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from leadpool.history.models import Event
from leadpool.leads.models import Lead
from leadpool.transfer import imports
from leadpool.transfer.models import ImportJob

ROWS = "姓名,手机\r\n" + "".join(f"客户{i},1380013{i:04d}\r\n" for i in range(10))


def start(user, tmp_path, **options):
    path = tmp_path / "leads.csv"
    path.write_text(ROWS, encoding="utf-8")
    return imports.start_import(
        by=user, source=path, file_name="leads.csv", entity="lead", **options
    )


# Transactional: the job is queued when the request's transaction commits, and the
# worker closes stale connections between jobs like any long-running process.
@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_queued_import(rep_east, tmp_path):
    job = start(rep_east, tmp_path)
    assert job.status == "queued"
    call_command("worker", "--once", stdout=io.StringIO())
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 10)
    assert Lead.objects.count() == 10
    assert job.stored_file == ""  # the upload is gone once the job is done


def test_a_job_whose_worker_died_carries_on_from_its_last_batch(rep_east, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 4)
    job = start(rep_east, tmp_path, enqueue=False)
    calls = {"batches": 0}

    def die_after_one_batch():
        calls["batches"] += 1
        return calls["batches"] > 1

    imports.run_import(job.pk, should_stop=die_after_one_batch)
    job.refresh_from_db()
    assert (job.status, job.processed, job.resume_after_row) == ("running", 4, 5)
    # Another worker must not take it while its heartbeat is fresh …
    assert imports.run_import(job.pk) is None
    assert not imports.stalled_jobs().exists()
    # … but does once the heartbeat is old.
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - imports.STALLED_AFTER - datetime.timedelta(seconds=1)
    )
    assert list(imports.stalled_jobs()) == [job]
    job = imports.run_import(job.pk)
    assert (job.status, job.processed, job.created) == ("done", 10, 10)
    assert Lead.objects.count() == 10
    assert Event.objects.filter(import_job=job, action=Event.Action.IMPORT).count() == 10


def test_uploads_nobody_imports_are_deleted_after_their_retention(rep_east, tmp_path, import_dir):
    job = start(rep_east, tmp_path, enqueue=False)
    stored = imports.stored_path(job)
    orphan = import_dir / "0123abcd.upload"
    orphan.write_bytes(b"left by a crash")
    assert imports.expire_uploads() == 0  # young: kept
    two_days = time.time() - 2 * 86400
    os.utime(orphan, (two_days, two_days))
    later = timezone.now() + datetime.timedelta(days=8)
    assert imports.expire_uploads(now=later) == 2
    job.refresh_from_db()
    assert job.status == "failed" and "upload the file again" in job.error
    assert not stored.exists() and not orphan.exists()
