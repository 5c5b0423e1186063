"""Crash safety on PostgreSQL: a worker killed mid-import or mid-sweep, and a connection cut
mid-claim, leave no half-applied batch; running again finishes the work exactly once.

The work runs in a child process (the real `leadpool` command) that the test kills with
SIGKILL, as the kernel's OOM killer or a lost machine would: no cleanup code runs.
"""

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from django.db import OperationalError, connection, connections
from django.db.models import Count
from django.utils import timezone

from leadpool.history.models import Event
from leadpool.leads.models import Lead
from leadpool.pools.services import claim_records
from leadpool.transfer import imports
from leadpool.transfer.models import ImportJob

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the child process shares the test database")


def child(*args: str, import_dir=None) -> subprocess.Popen:
    """`leadpool …` in a child process on this test's database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url}
    if import_dir is not None:
        env["LEADPOOL_IMPORT_DIR"] = str(import_dir)
    return subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "leadpool", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill_when(process: subprocess.Popen, ready, *, timeout: float = 120) -> None:
    """SIGKILL the child as soon as `ready()` holds; fail if it finished first."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, "the child finished before it could be killed"
        assert time.monotonic() < deadline, "the child never got going"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def test_an_import_killed_mid_run_leaves_whole_batches_and_finishes_once(
    rep_east, lead_pool, pool_admin, import_dir, tmp_path
):
    rows = 12_000
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("姓名,手机\n")
        handle.writelines(f"客户{i},13{i % 10}{i:08d}\n" for i in range(rows))
    job = imports.start_import(
        by=pool_admin, source=path, file_name="big.csv", entity="lead", pool=lead_pool.pk,
        enqueue=False,
    )  # fmt: skip
    worker = child("shell", "-c", f"from leadpool.transfer.imports import run_import; "
                   f"run_import({job.pk})", import_dir=import_dir)  # fmt: skip

    def some_batches_in():
        job.refresh_from_db()
        return job.processed >= 2 * imports.BATCH_ROWS

    kill_when(worker, some_batches_in)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and 0 < job.processed < rows
    # Whole batches only: the records, their history and the counters agree.
    on_file = Lead.objects.count()
    assert on_file == job.created == job.processed
    assert job.processed % imports.BATCH_ROWS == 0
    assert Event.objects.filter(import_job=job, action=Event.Action.IMPORT).count() == on_file

    # The heartbeat ages; the next worker takes the job up from its checkpoint.
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - imports.STALLED_AFTER - datetime.timedelta(seconds=1)
    )
    job = imports.run_import(job.pk)
    assert (job.status, job.processed, job.created) == ("done", rows, rows)
    assert Lead.objects.count() == rows
    assert not Lead.objects.values("phone_normalized").annotate(n=Count("id")).filter(n__gt=1)
    per_record = Event.objects.filter(import_job=job).values("lead").annotate(n=Count("id"))
    assert {row["n"] for row in per_record} == {1}


def test_a_rules_run_killed_mid_sweep_reclaims_each_record_exactly_once(lead_pool, member):
    lead_pool.reclaim_no_followup_days = 7
    lead_pool.save()
    due = 12_000
    claimed = timezone.now() - datetime.timedelta(days=10)
    Lead.objects.bulk_create(
        (
            Lead(name=f"客户{i}", pool=lead_pool, owner=member, claimed_at=claimed,
                 reclaim_at=claimed + datetime.timedelta(days=7))
            for i in range(due)
        ),
        batch_size=5000,
    )  # fmt: skip
    sweep = child("rules", "run")
    kill_when(sweep, lambda: Lead.objects.filter(owner__isnull=True).exists())

    def consistent() -> int:
        reclaimed = Lead.objects.filter(owner__isnull=True).count()
        events = Event.objects.filter(action=Event.Action.AUTO_RECLAIM).count()
        assert reclaimed == events  # each reclaimed record has its event, and no other has
        return reclaimed

    assert 0 < consistent() < due, "kill the sweep mid-run: make `due` larger"
    finish = child("rules", "run")
    assert finish.wait(timeout=300) == 0, finish.stderr.read()
    assert consistent() == due
    per_record = Counter(
        Event.objects.filter(action=Event.Action.AUTO_RECLAIM).values_list("lead_id", flat=True)
    )
    assert set(per_record.values()) == {1}


def test_a_connection_cut_mid_batch_claim_leaves_each_claim_whole(lead_pool, member, make_lead):
    ids = [make_lead(pool=lead_pool, name=f"客户{i}").pk for i in range(300)]
    pid: dict[str, int] = {}
    errors: list[Exception] = []

    def claim_in_a_thread():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid["claimer"] = cursor.fetchone()[0]
            claim_records(model=Lead, ids=ids, by=member)
        except OperationalError as error:  # the connection was cut under it
            errors.append(error)
        finally:
            connections["default"].close()

    thread = threading.Thread(target=claim_in_a_thread)
    thread.start()
    deadline = time.monotonic() + 60
    while Lead.objects.filter(owner=member).count() < 20:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.01)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid["claimer"]])
    thread.join(timeout=60)
    assert errors, "the claim finished before its connection was cut: claim more records"

    def claims() -> tuple[int, int]:
        owned = Lead.objects.filter(owner=member).count()
        events = Event.objects.filter(action=Event.Action.CLAIM, actor=member).count()
        return owned, events

    owned, events = claims()
    assert 20 <= owned < len(ids) and owned == events  # no claim without its history
    result = claim_records(model=Lead, ids=ids, by=member)
    assert len(result.done) == len(ids) - owned
    assert claims() == (len(ids), len(ids))
