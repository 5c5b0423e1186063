"""XLSX uploads are zips, checked before anything unpacks them (issue 10): the number of
entries (from the archive's end record, before its directory is read, and again after),
the size of any one entry, the total. Refused files fail the preview and the job with
the reason."""

import io
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook
from rest_framework.test import APIClient

from leadpool.leads.models import Lead
from leadpool.transfer import imports, readers
from leadpool.transfer.models import ImportJob
from leadpool.transfer.readers import ZIP_MAX_ENTRIES, ReadError, open_table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_bytes() -> bytes:
    book = Workbook()
    book.active.append(["姓名", "手机"])
    book.active.append(["张伟", "13800138000"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook_parts() -> int:
    return len(zipfile.ZipFile(io.BytesIO(workbook_bytes())).infolist())


def many_entries(count: int = ZIP_MAX_ENTRIES + 1) -> bytes:
    """A real workbook with `count` tiny entries more: small as a file, big as a directory."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook_bytes())) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive,
    ):
        for part in source.infolist():
            archive.writestr(part, source.read(part))
        for number in range(count):
            archive.writestr(f"x/{number}", b"")
    return buffer.getvalue()


def understated(data: bytes, entries: int) -> bytes:
    """The archive with its end record claiming `entries` entries (its directory is whole)."""
    at = data.rfind(b"PK\x05\x06")
    record = bytearray(data[at:])
    struct.pack_into("<HH", record, 8, entries, entries)
    return data[:at] + bytes(record)


def test_a_workbook_within_the_caps_opens(tmp_path):
    path = tmp_path / "ok.xlsx"
    path.write_bytes(workbook_bytes())
    assert open_table(path).headers == ["姓名", "手机"]


def test_a_zip_of_many_tiny_entries_is_refused_from_its_end_record(monkeypatch):
    # given: a file of about a megabyte declaring over ten thousand entries
    data = many_entries()
    assert len(data) < 2 * 1024**2
    expected = ZIP_MAX_ENTRIES + 1 + workbook_parts()

    def must_not_open(*args, **kwargs):
        raise AssertionError("the directory was read")

    monkeypatch.setattr(readers.zipfile, "ZipFile", must_not_open)
    # when
    with pytest.raises(ReadError) as raised:
        open_table(io.BytesIO(data))
    # then: refused before zipfile read its directory, saying why
    assert raised.value.code == "too_large"
    assert raised.value.message.startswith(
        f"The workbook holds {expected:,} parts, more than the {ZIP_MAX_ENTRIES:,}"
    )


def test_an_end_record_that_understates_the_entries_is_caught_on_the_directory():
    data = understated(many_entries(), 3)
    with pytest.raises(ReadError) as raised:
        open_table(io.BytesIO(data))
    assert raised.value.code == "too_large"
    assert f"more than the {ZIP_MAX_ENTRIES:,}" in raised.value.message


def test_exactly_the_cap_is_allowed():
    data = many_entries(ZIP_MAX_ENTRIES - workbook_parts())  # with the workbook's own parts
    assert len(zipfile.ZipFile(io.BytesIO(data)).infolist()) == ZIP_MAX_ENTRIES
    assert open_table(io.BytesIO(data)).headers == ["姓名", "手机"]


def test_one_oversized_entry_is_refused_naming_the_limit(monkeypatch):
    # given: a 2 MB part against a cap lowered to 1 MB (the real one is 512 MB)
    monkeypatch.setattr(readers, "ZIP_MAX_ENTRY_BYTES", 1024**2)
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook_bytes())) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for part in source.infolist():
            archive.writestr(part, source.read(part))
        archive.writestr("xl/media/big.bin", b"\0" * (2 * 1024**2))
    # when
    with pytest.raises(ReadError) as raised:
        open_table(io.BytesIO(buffer.getvalue()))
    # then
    assert raised.value.code == "too_large"
    assert raised.value.message.startswith("One part of the workbook would unpack to 2 MB")
    assert "1 MB" in raised.value.message and raised.value.detail == "xl/media/big.bin"


def test_a_zip64_end_record_is_read_for_the_count(tmp_path, monkeypatch):
    # given: a ZIP64 archive (forced), over the cap
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 0)
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 0)
    data = many_entries()
    assert b"PK\x06\x06" in data[-200:]
    assert readers._declared_entries(io.BytesIO(data)) == ZIP_MAX_ENTRIES + 1 + workbook_parts()


# --- through the interfaces ---------------------------------------------------------------


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_preview_refuses_it_with_the_reason(rep_east):
    upload = SimpleUploadedFile("many.xlsx", many_entries(), content_type=XLSX)
    response = client_for(rep_east).post(
        "/api/v1/imports/preview", {"file": upload, "entity": "lead"}, format="multipart"
    )
    assert response.status_code == 400
    [message] = response.json()["errors"]["file"]
    assert message.startswith("The workbook holds")
    assert not ImportJob.objects.exists()


def test_starting_an_import_refuses_it_with_the_reason(rep_east):
    upload = SimpleUploadedFile("many.xlsx", many_entries(), content_type=XLSX)
    response = client_for(rep_east).post(
        "/api/v1/imports/", {"file": upload, "entity": "lead"}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["file"][0].startswith("The workbook holds")
    assert not ImportJob.objects.filter(status=ImportJob.Status.QUEUED).exists()


def test_a_job_whose_file_is_refused_fails_with_the_reason(rep_east):
    # given: a queued job, its stored file then turning out to be such a zip
    job = imports.start_import(
        by=rep_east, source=io.BytesIO(workbook_bytes()), file_name="ok.xlsx", entity="lead",
        enqueue=False,
    )  # fmt: skip
    imports.stored_path(job).write_bytes(many_entries())
    # when
    imports.run_import(job.pk)
    # then
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error.startswith("The workbook holds")
    assert not Lead.objects.exists()


def test_the_web_upload_refuses_it_with_the_reason(client, rep_east):
    # given
    client.force_login(rep_east)
    upload = SimpleUploadedFile("many.xlsx", many_entries(), content_type=XLSX)
    # when
    response = client.post(
        reverse("web:import_upload"),
        {"file": upload, "entity": "lead", "dedupe": "skip", "match_on": ["phone", "email"]},
    )
    # then: the form again, saying why; nothing kept
    assert response.status_code == 400
    assert "The workbook holds" in response.content.decode()
    assert not ImportJob.objects.exists()
