"""/api/v1/imports/: start, preview, progress, error file, undo, and bad input."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from rest_framework.test import APIClient

from leadpool.leads.models import Lead
from leadpool.transfer.models import ImportJob

GBK_CSV = (
    "姓名,手机号码,公司名称,备注\r\n张伟,13800138000,华东机械,=HYPERLINK(1)\r\n李娜,12345,,\r\n"
)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(text: str = GBK_CSV, encoding: str = "gb18030", name: str = "线索.csv"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


@pytest.fixture
def immediate_tasks(settings):
    # No worker in tests: queued jobs run as soon as the transaction that queued them commits.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def start(user, django_capture_on_commit_callbacks, **fields):
    fields.setdefault("file", upload())
    fields.setdefault("entity", "lead")
    with django_capture_on_commit_callbacks(execute=True):
        return client_for(user).post("/api/v1/imports/", fields, format="multipart")


def test_an_import_runs_and_reports_its_progress_and_errors(
    pool_admin, lead_pool, immediate_tasks, django_capture_on_commit_callbacks
):
    response = start(pool_admin, django_capture_on_commit_callbacks, pool=lead_pool.pk)
    assert response.status_code == 201, response.json()
    job_id = response.json()["id"]
    assert response.json()["encoding"] == "gb18030"

    job = client_for(pool_admin).get(f"/api/v1/imports/{job_id}").json()
    assert job["status"] == "done"
    assert (job["total"], job["processed"], job["created"], job["failed_rows"]) == (2, 2, 1, 1)
    assert job["mapping"] == {
        "姓名": "name",
        "手机号码": "phone",
        "公司名称": "company",
        "备注": "notes",
    }
    assert job["error_file"].endswith(f"/api/v1/imports/{job_id}/errors")
    assert Lead.objects.get().pool == lead_pool

    errors = client_for(pool_admin).get(job["error_file"])
    assert errors.status_code == 200
    body = b"".join(errors.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["Row", "Reason", "姓名", "手机号码", "公司名称", "备注"]
    assert rows[1][0] == "3" and "12345" in rows[1][1] and rows[1][2:4] == ["李娜", "12345"]

    workbook = client_for(pool_admin).get(job["error_file"], {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active
    assert [cell.value for cell in next(sheet.iter_rows(min_row=2))][2] == "李娜"


def test_the_error_file_neutralises_formulas(
    rep_east, immediate_tasks, django_capture_on_commit_callbacks
):
    text = "姓名,手机\r\n=cmd|' /C calc'!A0,12345\r\n"
    job = start(rep_east, django_capture_on_commit_callbacks, file=upload(text, "utf-8")).json()
    body = b"".join(
        client_for(rep_east).get(f"/api/v1/imports/{job['id']}/errors").streaming_content
    )
    row = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1]
    assert row[2] == "'=cmd|' /C calc'!A0"


def test_preview_reports_what_the_file_holds_and_imports_nothing(rep_east):
    response = client_for(rep_east).post(
        "/api/v1/imports/preview", {"file": upload(), "entity": "lead"}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    preview = response.json()
    assert (preview["format"], preview["encoding"], preview["delimiter"]) == ("csv", "gb18030", ",")
    assert preview["headers"] == ["姓名", "手机号码", "公司名称", "备注"]
    assert preview["mapping"]["手机号码"] == "phone"
    assert preview["rows"][0][:2] == ["张伟", "13800138000"]
    assert not ImportJob.objects.exists() and not Lead.objects.exists()


def test_preview_applies_a_mapping_override(rep_east):
    overrides = '{"备注": null, "公司名称": "name", "姓名": "company"}'
    response = client_for(rep_east).post(
        "/api/v1/imports/preview",
        {"file": upload(), "entity": "lead", "mapping": overrides},
        format="multipart",
    )
    mapping = response.json()["mapping"]
    assert (mapping["备注"], mapping["公司名称"], mapping["姓名"]) == (None, "name", "company")
    assert response.json()["unmapped"] == ["备注"]


def test_a_queued_job_waits_for_the_worker(rep_east, django_capture_on_commit_callbacks):
    # With the real database backend the job is queued, not run.
    response = start(rep_east, django_capture_on_commit_callbacks)
    assert response.status_code == 201
    assert response.json()["status"] == "queued"
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path__endswith="run_import_task").count() == 1


def test_others_cannot_see_or_undo_someone_elses_import(
    rep_east, rep_west, immediate_tasks, django_capture_on_commit_callbacks
):
    job_id = start(rep_east, django_capture_on_commit_callbacks).json()["id"]
    assert client_for(rep_west).get(f"/api/v1/imports/{job_id}").status_code == 404
    assert client_for(rep_west).post(f"/api/v1/imports/{job_id}/undo").status_code == 404
    assert client_for(rep_west).get("/api/v1/imports/").json()["results"] == []
    assert [
        job["id"] for job in client_for(rep_east).get("/api/v1/imports/").json()["results"]
    ] == [job_id]


def test_undo_over_the_api(rep_east, immediate_tasks, django_capture_on_commit_callbacks):
    job_id = start(rep_east, django_capture_on_commit_callbacks).json()["id"]
    response = client_for(rep_east).post(f"/api/v1/imports/{job_id}/undo")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["undone_count"]) == ("undone", 1)
    assert not Lead.objects.alive().exists()
    again = client_for(rep_east).post(f"/api/v1/imports/{job_id}/undo")
    assert again.status_code == 400
    assert "already" in again.json()["errors"]["non_field_errors"][0]


def test_only_pool_admins_import_into_a_pool(member, lead_pool, django_capture_on_commit_callbacks):
    response = start(member, django_capture_on_commit_callbacks, pool=lead_pool.pk)
    assert response.status_code == 400
    assert "admins" in response.json()["errors"]["pool"][0]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "not a spreadsheet"),
        (b"PK\x03\x04" + b"\x00" * 300, "damaged"),
        ("姓名,手机\r\n".encode(), "no data rows"),
    ],
)
def test_bad_files_are_a_400_naming_the_problem(rep_east, import_dir, content, words):
    response = client_for(rep_east).post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("x.csv", content), "entity": "lead"},
        format="multipart",
    )
    assert response.status_code == 400
    assert words in response.json()["errors"]["file"][0]
    assert not ImportJob.objects.exists()
    assert not import_dir.exists() or not any(import_dir.iterdir())


def test_bad_mapping_json_and_options_are_400(rep_east):
    response = client_for(rep_east).post(
        "/api/v1/imports/",
        {"file": upload(), "entity": "lead", "mapping": "{not json", "dedupe": "merge"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "dedupe" in response.json()["errors"]


def test_an_upload_past_the_size_cap_is_413(rep_east, settings):
    settings.LEADPOOL_IMPORT_MAX_BYTES = 1024
    big = "姓名\r\n" + "张伟\r\n" * 30_000
    response = client_for(rep_east).post(
        "/api/v1/imports/", {"file": upload(big, "utf-8"), "entity": "lead"}, format="multipart"
    )
    assert response.status_code == 413
    assert "MB" in response.json()["detail"]
    assert not ImportJob.objects.exists()
