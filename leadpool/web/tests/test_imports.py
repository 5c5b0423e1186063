"""The import wizard: upload → column matching → dry run → import → progress, summary,
error file and undo; and who may reach which step."""

import csv
import io
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from leadpool.leads.models import Lead
from leadpool.transfer.models import ImportJob
from leadpool.web import uploads

UPLOAD = reverse("web:import_upload")
# A GBK file as Excel writes it on Chinese Windows; "联络方式" (contact) is not suggested as the
# phone (the user corrects it), and the second row's phone is invalid.
GBK_CSV = "姓名,联络方式,公司名称,备注\r\n张伟,13800138000,华东机械,老客户\r\n李娜,12345,,\r\n"


@pytest.fixture
def immediate_tasks(settings):
    # No worker in tests: queued jobs run as soon as the transaction that queued them commits.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def gbk_upload(text: str = GBK_CSV, name: str = "线索.csv"):
    return SimpleUploadedFile(name, text.encode("gbk"), content_type="text/csv")


def upload(client, **fields):
    fields.setdefault("file", gbk_upload())
    fields.setdefault("entity", "lead")
    fields.setdefault("dedupe", "skip")
    fields.setdefault("match_on", ["phone", "email"])
    return client.post(UPLOAD, fields)


def token_of(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def mapping_fields(**columns):
    """The preview form's POST: column_<index> → field, for the four GBK_CSV columns."""
    fields = {"column_0": "name", "column_1": "", "column_2": "company", "column_3": "notes"}
    fields.update(columns)
    return fields


def test_the_upload_page_offers_only_the_pools_one_administers(client_for, member, lead_pool):
    # when
    page = client_for(member).get(UPLOAD).content.decode()
    # then
    assert 'enctype="multipart/form-data"' in page
    assert f'<option value="{lead_pool.pk}"' not in page


def test_an_upload_is_kept_under_a_random_name_and_previewed(client_for, rep_east, import_dir):
    # given
    client = client_for(rep_east)
    # when
    token = token_of(upload(client))
    page = client.get(reverse("web:import_preview", args=[token])).content.decode()
    # then the file is kept once, and the preview says how it was read
    assert [path.name for path in import_dir.iterdir()] == [f"web-{token}.upload"]
    assert "GB18030" in page
    assert "Comma" in page
    assert "华东机械" in page
    # one <select> per column, with the suggestion chosen and "don't import" offered
    assert page.count('<select name="column_') == 4
    assert '<option value="name" selected>' in page
    assert '<option value="company" selected>' in page
    assert '<option value="" selected>' in page  # 联络方式 is for the user to match
    assert "Don&#x27;t import" in page
    assert ImportJob.objects.count() == 0


def test_custom_fields_are_offered_in_the_column_matching(client_for, rep_east, level_field):
    # given
    client = client_for(rep_east)
    token = token_of(upload(client))
    # when
    page = client.get(reverse("web:import_preview", args=[token])).content.decode()
    # then
    assert '<option value="custom.level"' in page
    assert "客户等级 (custom field)" in page


def test_a_file_that_cannot_be_read_is_refused_inline(client_for, rep_east, import_dir):
    # given
    picture = SimpleUploadedFile("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    # when
    response = upload(client_for(rep_east), file=picture)
    # then
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not list(import_dir.glob("web-*"))


def test_a_pool_of_the_other_kind_is_refused(client_for, pool_admin, customer_pool):
    # when
    response = upload(client_for(pool_admin), pool=customer_pool.pk)
    # then
    assert response.status_code == 400
    assert "“Customer pool” is not a lead pool." in response.content.decode()


def test_someone_elses_upload_is_not_found(client_for, rep_east, rep_west):
    # given
    token = token_of(upload(client_for(rep_east)))
    # when
    response = client_for(rep_west).get(reverse("web:import_preview", args=[token]))
    # then
    assert response.status_code == 404


def test_a_forged_token_is_not_found(client_for, rep_east):
    # when
    response = client_for(rep_east).get("/imports/new/..%2F..%2Fetc%2Fpasswd/")
    # then
    assert response.status_code == 404


def test_dry_run_with_a_corrected_mapping_then_import(
    client_for, pool_admin, lead_pool, immediate_tasks, django_capture_on_commit_callbacks
):
    # given an upload into the pool, and the phone column matched by hand
    client = client_for(pool_admin)
    token = token_of(upload(client, pool=lead_pool.pk))
    preview_url = reverse("web:import_preview", args=[token])
    # when the dry run runs
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            preview_url, {**mapping_fields(column_1="phone"), "action": "dry_run"}
        )
    # then it imported nothing and says what would happen
    dry_run = ImportJob.objects.get()
    assert response["Location"] == reverse("web:import_job", args=[dry_run.pk])
    assert (dry_run.dry_run, dry_run.status, dry_run.created, dry_run.failed_rows) == (
        True,
        "done",
        1,
        1,
    )
    assert dry_run.mapping["联络方式"] == "phone"
    assert Lead.objects.count() == 0
    page = client.get(response["Location"]).content.decode()
    assert "Would be created" in page
    assert "Import for real" in page
    assert "12345" in page  # the first error rows, with why
    # when imported for real with the same matching
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(preview_url, {"use_saved": "1", "action": "import"})
    # then
    job = ImportJob.objects.get(dry_run=False)
    assert response["Location"] == reverse("web:import_job", args=[job.pk])
    lead = Lead.objects.get()
    assert (lead.name, lead.phone, lead.pool) == ("张伟", "13800138000", lead_pool)
    # and the wizard's copy of the file is gone with its step
    assert not uploads.path_of(token).exists()
    assert client.get(preview_url).status_code == 404


def test_a_bad_mapping_is_shown_and_keeps_the_choices(client_for, rep_east):
    # given
    client = client_for(rep_east)
    token = token_of(upload(client))
    # when two columns fill the name
    response = client.post(
        reverse("web:import_preview", args=[token]),
        {**mapping_fields(column_2="name"), "action": "dry_run"},
    )
    # then
    page = response.content.decode()
    assert response.status_code == 400
    assert "map only one of them to it" in page
    assert page.count('<option value="name" selected>') == 2
    assert ImportJob.objects.count() == 0


def test_the_job_page_polls_while_the_job_waits(client_for, rep_east):
    # given a job queued for a worker that has not taken it yet
    client = client_for(rep_east)
    token = token_of(upload(client))
    client.post(
        reverse("web:import_preview", args=[token]), {**mapping_fields(), "action": "import"}
    )
    job = ImportJob.objects.get()
    # when
    response = client.get(reverse("web:import_job", args=[job.pk]), headers={"HX-Request": "true"})
    # then the fragment asks again every second
    fragment = response.content.decode()
    assert job.status == "queued"
    assert 'hx-trigger="every 1s"' in fragment
    assert "<html" not in fragment


def test_a_finished_job_stops_polling_and_offers_its_error_file_and_undo(
    client_for, rep_east, immediate_tasks, django_capture_on_commit_callbacks
):
    # given
    client = client_for(rep_east)
    token = token_of(upload(client))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("web:import_preview", args=[token]),
            {**mapping_fields(column_1="phone"), "action": "import"},
        )
    job = ImportJob.objects.get()
    # when
    fragment = client.get(
        reverse("web:import_job", args=[job.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    # then
    assert "every 1s" not in fragment
    assert f"/imports/{job.pk}/errors/?format=csv" in fragment
    assert "Undo this import" in fragment


def test_the_error_file_downloads_as_csv_and_xlsx(
    client_for, rep_east, immediate_tasks, django_capture_on_commit_callbacks
):
    # given
    client = client_for(rep_east)
    token = token_of(upload(client))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("web:import_preview", args=[token]),
            {**mapping_fields(column_1="phone"), "action": "import"},
        )
    url = reverse("web:import_errors", args=[ImportJob.objects.get().pk])
    # when
    response = client.get(url, {"format": "csv"})
    workbook = client.get(url, {"format": "xlsx"})
    # then
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Row", "Reason", "姓名", "联络方式", "公司名称", "备注"]
    assert rows[1][0] == "3" and rows[1][2:4] == ["李娜", "12345"]
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active
    assert [cell.value for cell in next(sheet.iter_rows(min_row=2))][2] == "李娜"
    assert client.get(url, {"format": "pdf"}).status_code == 404


def test_undo_moves_the_imported_records_to_the_recycle_bin(
    client_for, rep_east, immediate_tasks, django_capture_on_commit_callbacks
):
    # given
    client = client_for(rep_east)
    token = token_of(upload(client))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("web:import_preview", args=[token]),
            {**mapping_fields(column_1="phone"), "action": "import"},
        )
    job = ImportJob.objects.get()
    # when
    response = client.post(reverse("web:import_undo", args=[job.pk]), follow=True)
    # then
    assert "Undone: 1 record is in the recycle bin" in response.content.decode()
    assert Lead.objects.alive().count() == 0
    job.refresh_from_db()
    assert job.status == "undone"
    # and a second undo says why not
    again = client.post(reverse("web:import_undo", args=[job.pk]), follow=True)
    assert "This import has been undone already." in again.content.decode()


def test_others_cannot_see_or_undo_an_import(
    client_for, rep_east, rep_west, immediate_tasks, django_capture_on_commit_callbacks
):
    # given
    client = client_for(rep_east)
    token = token_of(upload(client))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("web:import_preview", args=[token]),
            {**mapping_fields(column_1="phone"), "action": "import"},
        )
    job = ImportJob.objects.get()
    other = client_for(rep_west)
    # when / then
    assert other.get(reverse("web:import_job", args=[job.pk])).status_code == 404
    assert other.get(reverse("web:import_errors", args=[job.pk])).status_code == 404
    assert other.post(reverse("web:import_undo", args=[job.pk])).status_code == 404
    assert "线索.csv" not in other.get(reverse("web:imports")).content.decode()
    assert "线索.csv" in client.get(reverse("web:imports")).content.decode()
    assert Lead.objects.alive().count() == 1


def test_a_workbooks_sheet_is_chosen_on_the_preview(client_for, rep_east):
    # given a workbook whose second sheet holds the leads
    book = Workbook()
    book.active.title = "说明"
    book.active.append(["填写说明"])
    sheet = book.create_sheet("线索")
    sheet.append(["姓名", "手机"])
    sheet.append(["王五", "13900001111"])
    buffer = io.BytesIO()
    book.save(buffer)
    client = client_for(rep_east)
    file = SimpleUploadedFile("leads.xlsx", buffer.getvalue())
    token = token_of(upload(client, file=file))
    # when
    page = client.get(reverse("web:import_preview", args=[token]), {"sheet": "线索"})
    # then
    text = page.content.decode()
    assert '<select name="sheet">' in text
    assert "<option selected>线索</option>" in text
    assert "王五" in text


def test_abandoned_uploads_are_removed_after_an_hour(client_for, rep_east, import_dir):
    # given an upload from more than an hour ago
    client = client_for(rep_east)
    token = token_of(upload(client))
    stale = time.time() - 3700
    os.utime(uploads.path_of(token), (stale, stale))
    # when someone uploads again
    upload(client)
    # then
    assert not uploads.path_of(token).exists()
    assert client.get(reverse("web:import_preview", args=[token])).status_code == 404


def test_the_wizard_needs_a_login(client):
    # when
    response = client.get(UPLOAD)
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
