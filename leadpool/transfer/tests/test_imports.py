"""The import job, end to end through the service layer: validation, duplicates, pools,
owners, history, error rows, dry run, undo."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from leadpool.activity.services import add_followup
from leadpool.history.models import Event, Notification
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool
from leadpool.pools.services import claim_records
from leadpool.transfer import imports
from leadpool.transfer.models import ImportJob, ImportRowReport

HEADER = "姓名,手机,公司名称,邮箱,来源\r\n"


def csv_file(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO((header + "".join(row + "\r\n" for row in rows)).encode(encoding))


def run(by, source, **options):
    """Start a job and run it here (tests have no worker)."""
    options.setdefault("entity", "lead")
    job = imports.start_import(
        by=by, source=source, file_name="leads.csv", enqueue=False, **options
    )
    return imports.run_import(job.pk)


def test_rows_go_into_the_pool_with_history_pointing_at_the_job(pool_admin, lead_pool):
    job = run(
        pool_admin,
        csv_file("张伟,13800138000,华东机械,zw@example.com,展会", "李娜,139 0013 9000,,,官网"),
        pool=lead_pool.pk,
    )
    assert (job.status, job.total, job.processed, job.created) == ("done", 2, 2, 2)
    leads = Lead.objects.order_by("id")
    assert [lead.name for lead in leads] == ["张伟", "李娜"]
    first = leads[0]
    assert first.phone_normalized == "+8613800138000"
    assert first.company == "华东机械" and first.email_normalized == "zw@example.com"
    assert first.pool == lead_pool and first.owner is None and first.pooled_at is not None
    assert first.created_by == pool_admin
    assert leads[1].phone_normalized == "+8613900139000"
    events = Event.objects.filter(action=Event.Action.IMPORT)
    assert {event.lead_id for event in events} == {lead.pk for lead in leads}
    assert all(event.import_job_id == job.pk and event.to_pool == lead_pool for event in events)


def test_bad_rows_are_reported_with_their_row_numbers_and_good_rows_go_in(pool_admin, lead_pool):
    job = run(
        pool_admin,
        csv_file("张伟,13800138000,,,", ",,,,展会", "王芳,12345,,,", "赵磊,,,not-an-email,"),
        pool=lead_pool.pk,
    )
    assert (job.created, job.failed_rows) == (1, 3)
    failed = {r.row: r for r in imports.reports(job, ["failed"])}
    assert sorted(failed) == [3, 4, 5]
    assert "name" in failed[3].reasons
    assert "phone" in failed[4].reasons and failed[4].cells == ["王芳", "12345", "", "", ""]
    assert "email" in failed[5].reasons


def test_duplicates_on_file_are_skipped_by_default(pool_admin, lead_pool, make_lead):
    existing = make_lead(name="老客户", phone="13800138000", pool=lead_pool)
    job = run(
        pool_admin, csv_file("张伟,+86 138-0013-8000,,,", "李娜,13900139000,,,"), pool=lead_pool.pk
    )
    assert (job.created, job.skipped) == (1, 1)
    report = imports.reports(job).get()
    assert report.outcome == ImportRowReport.Outcome.SKIPPED and report.record_id == existing.pk
    assert f"#{existing.pk}" in report.reasons["duplicate"][0]


def test_duplicates_within_the_file_in_a_batch_and_across_batches(
    pool_admin, lead_pool, monkeypatch
):
    monkeypatch.setattr(imports, "BATCH_ROWS", 2)
    # Rows 2–3 are one batch, 4–5 the next, 6 the last.
    rows = [
        "A,13800138000,,,",
        "B,138 0013 8000,,,",
        "C,13800138000,,,",
        "D,,,b@x.cn,",
        "E,,,B@X.cn,",
    ]
    job = run(pool_admin, csv_file(*rows), pool=lead_pool.pk)
    assert (job.created, job.skipped) == (2, 3)
    assert sorted(Lead.objects.values_list("name", flat=True)) == ["A", "D"]
    a, d = Lead.objects.order_by("id")
    skipped = {r.row: r for r in imports.reports(job, ["skipped"])}
    assert "row 2" in skipped[3].reasons["duplicate"][0]
    assert skipped[4].record_id == a.pk and skipped[6].record_id == d.pk


def test_dedupe_update_fills_the_record_on_file_and_keeps_what_the_row_leaves_empty(
    pool_admin, lead_pool, make_lead
):
    existing = make_lead(name="老客户", phone="13800138000", source="展会", pool=lead_pool)
    job = run(pool_admin, csv_file("张伟,13800138000,新公司,,"), pool=lead_pool.pk, dedupe="update")
    assert (job.created, job.updated) == (0, 1)
    existing.refresh_from_db()
    assert (existing.name, existing.company, existing.source) == ("张伟", "新公司", "展会")
    edit = Event.objects.get(lead=existing, action=Event.Action.EDIT)
    assert edit.import_job_id == job.pk and edit.details["fields"] == ["company", "name"]


def test_dedupe_update_skips_records_the_importer_may_not_edit(rep_east, rep_west, make_lead):
    theirs = make_lead(name="别人的", phone="13800138000", owner=rep_west)
    job = run(rep_east, csv_file("张伟,13800138000,,,"), dedupe="update")
    assert (job.updated, job.skipped) == (0, 1)
    theirs.refresh_from_db()
    assert theirs.name == "别人的"


def test_dedupe_create_creates_and_reports_the_duplicate(pool_admin, lead_pool, make_lead):
    existing = make_lead(name="老客户", phone="13800138000", pool=lead_pool)
    job = run(pool_admin, csv_file("张伟,13800138000,,,"), pool=lead_pool.pk, dedupe="create")
    assert job.created == 1 and Lead.objects.count() == 2
    report = imports.reports(job).get()
    assert report.outcome == "duplicate_created" and report.record_id == existing.pk


def test_dry_run_validates_everything_and_writes_no_record(pool_admin, lead_pool, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 1)
    job = run(
        pool_admin,
        csv_file("A,13800138000,,,", "B,13800138000,,,", ",,,,展会"),
        pool=lead_pool.pk,
        dry_run=True,
    )
    assert (job.status, job.created, job.skipped, job.failed_rows) == ("done", 1, 1, 1)
    assert not Lead.objects.exists() and not Event.objects.exists()


def test_import_to_an_owner_notifies_them_once(manager, rep_east):
    job = run(manager, csv_file("A,13800138000,,,", "B,13900139000,,,"), owner=rep_east.pk)
    assert job.created == 2
    assert set(Lead.objects.values_list("owner", flat=True)) == {rep_east.pk}
    assert all(lead.assigned_at for lead in Lead.objects.all())
    notification = Notification.objects.get(user=rep_east)
    assert notification.kind == Notification.Kind.IMPORTED and notification.details["count"] == 2


def test_without_pool_or_owner_the_records_are_the_importers(rep_east):
    job = run(rep_east, csv_file("A,13800138000,,,"))
    assert job.owner == rep_east and Lead.objects.get().owner == rep_east


def test_import_into_a_round_robin_pool_distributes(pool_admin, lead_pool, member, rep_east):
    lead_pool.distribution = Pool.Distribution.ROUND_ROBIN
    lead_pool.save()
    lead_pool.distribution_members.set([member, rep_east])
    lead_pool.members.add(rep_east)
    run(pool_admin, csv_file("A,,,,", "B,,,,", "C,,,,", "D,,,,"), pool=lead_pool.pk)
    owners = list(Lead.objects.values_list("owner", flat=True))
    assert sorted(owners) == sorted([member.pk, member.pk, rep_east.pk, rep_east.pk])


def test_only_pool_admins_import_into_a_pool(member, lead_pool):
    with pytest.raises(ValidationError) as error:
        imports.start_import(
            by=member, source=csv_file("A,,,,"), file_name="x.csv", entity="lead",
            pool=lead_pool.pk, enqueue=False,
        )  # fmt: skip
    assert "pool" in error.value.message_dict


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (b"", "file", "empty"),
        (HEADER.encode(), "file", "no data rows"),
        (b"\x00\x01\x02\x03" * 100, "file", "not a spreadsheet"),
        (b"PK\x03\x04garbage" * 10, "file", "damaged"),
        ("备注,其他\r\n一,二\r\n".encode(), "mapping", "name or the company"),
    ],
)
def test_bad_files_are_refused_up_front_and_leave_nothing(rep_east, import_dir, data, field, words):
    with pytest.raises(ValidationError) as error:
        imports.start_import(
            by=rep_east, source=io.BytesIO(data), file_name="x.csv", entity="lead", enqueue=False
        )
    assert words in " ".join(error.value.message_dict[field])
    assert not ImportJob.objects.exists()
    assert not any(import_dir.iterdir())


def test_mapping_overrides_are_checked_and_applied(rep_east):
    source = csv_file("13800138000,张伟,A", header="号码,称谓,等级\r\n")
    with pytest.raises(ValidationError) as error:
        imports.start_import(
            by=rep_east, source=source, file_name="x.csv", entity="lead", enqueue=False,
            mapping={"号码": "phone", "称谓": "nonsense", "没有": "name"},
        )  # fmt: skip
    messages = " ".join(error.value.message_dict["mapping"])
    assert "nonsense" in messages and "没有" in messages
    job = run(rep_east, csv_file("13800138000,张伟,A", header="号码,称谓,等级\r\n"),
              mapping={"号码": "phone", "称谓": "name"})  # fmt: skip
    lead = Lead.objects.get()
    assert (lead.name, lead.phone) == ("张伟", "13800138000")
    assert job.mapping["等级"] is None


def test_custom_fields_are_imported_and_validated(rep_east, level_field):
    job = run(
        rep_east,
        csv_file("张伟,A", "李娜,Z", header="姓名,客户等级\r\n"),
    )
    assert (job.created, job.failed_rows) == (1, 1)
    assert Lead.objects.get().custom == {"level": "A"}
    assert "custom.level" in imports.reports(job, ["failed"]).get().reasons


def test_undo_moves_untouched_records_to_the_recycle_bin_and_keeps_changed_ones(
    pool_admin, lead_pool, member
):
    rows = ("A,13800138000,,,", "B,13900139000,,,", "C,,,,")
    job = run(pool_admin, csv_file(*rows), pool=lead_pool.pk)
    a, b, c = Lead.objects.order_by("id")
    assert claim_records(model=Lead, ids=[b.pk], by=member).done == [b.pk]
    job = imports.undo_import(job=job, by=pool_admin)
    assert (job.status, job.undone_count, job.undo_kept) == ("undone", 2, 1)
    assert list(Lead.objects.alive()) == [b]
    assert set(Lead.objects.in_recycle_bin().values_list("pk", flat=True)) == {a.pk, c.pk}
    assert Event.objects.filter(action=Event.Action.DELETE, import_job=job).count() == 2
    with pytest.raises(ValidationError):
        imports.undo_import(job=job, by=pool_admin)


def test_undo_keeps_records_with_follow_ups(rep_east):
    job = run(rep_east, csv_file("A,13800138000,,,", "B,13900139000,,,"))
    first = Lead.objects.order_by("id").first()
    add_followup(record=first, by=rep_east, content="打过电话")
    job = imports.undo_import(job=job, by=rep_east)
    assert (job.undone_count, job.undo_kept) == (1, 1)
    assert list(Lead.objects.alive()) == [first]


def test_only_the_importer_or_an_admin_undoes(rep_east, rep_west, admin):
    job = run(rep_east, csv_file("A,13800138000,,,"))
    with pytest.raises(PermissionDenied):
        imports.undo_import(job=job, by=rep_west)
    assert imports.undo_import(job=job, by=admin).status == "undone"


def test_a_file_damaged_after_the_sample_fails_the_job_with_nothing_imported(rep_east, monkeypatch):
    monkeypatch.setattr("leadpool.transfer.readers.SAMPLE_BYTES", 64)
    good = "".join(f"名{i},1380013{i:04d},,,\r\n" for i in range(50)).encode()
    source = io.BytesIO(HEADER.encode() + good + "坏".encode("gb18030") + b"\r\n")
    job = run(rep_east, source)
    assert job.status == "failed" and "mixes encodings" in job.error
    assert not Lead.objects.exists()
