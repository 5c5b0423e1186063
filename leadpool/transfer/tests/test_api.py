"""GET /api/v1/{leads,customers}/export and /api/v1/leads/calls/export."""

import csv
import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from leadpool.history.models import AuditEntry


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def read_csv(response) -> list[list[str]]:
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_leads_export_as_csv_streams_the_file(rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east, name="=1+1")
    # when
    response = client_for(rep_east).get(
        "/api/v1/leads/export", {"format": "csv", "fields": "id,name"}
    )
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="leads-')
    assert "filename*=UTF-8''leads-" in disposition
    assert read_csv(response) == [["ID", "Name"], [str(lead.pk), "'=1+1"]]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).get().details["count"] == 1


def test_leads_export_as_xlsx(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, name="张三")
    # when
    response = client_for(rep_east).get(
        "/api/v1/leads/export", {"format": "xlsx", "fields": "name"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''%E7%BA%BF%E7%B4%A2-" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.cell(row=2, column=1).value == "张三"


def test_ids_out_of_scope_are_silently_left_out(rep_east, rep_west, make_lead):
    # given
    mine = make_lead(owner=rep_east)
    theirs = make_lead(owner=rep_west)
    # when
    response = client_for(rep_east).get(
        "/api/v1/leads/export", {"ids": f"{mine.pk},{theirs.pk}", "fields": "id"}
    )
    # then
    assert read_csv(response) == [["ID"], [str(mine.pk)]]


def test_list_filters_apply(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, name="Web", source="web")
    make_lead(owner=rep_east, name="Fair", source="fair")
    # when
    response = client_for(rep_east).get("/api/v1/leads/export", {"source": "web", "fields": "name"})
    # then
    assert read_csv(response) == [["Name"], ["Web"]]


def test_customers_export(rep_east, make_customer):
    # given
    make_customer(owner=rep_east, name="Acme buyer")
    # when
    response = client_for(rep_east).get("/api/v1/customers/export", {"fields": "name"})
    # then
    assert read_csv(response) == [["Name"], ["Acme buyer"]]


def test_call_records_of_chosen_leads(rep_east, make_lead, make_call):
    # given
    lead = make_lead(owner=rep_east, phone="13800138000")
    make_call(lead, rep_east, number="13800138000")
    # when
    response = client_for(rep_east).get("/api/v1/leads/calls/export", {"ids": str(lead.pk)})
    # then
    rows = read_csv(response)
    assert response.status_code == 200
    assert len(rows) == 2 and "13800138000" in rows[1]


def test_past_the_cap_is_400_saying_the_cap(rep_east, make_lead, settings):
    # given
    settings.LEADPOOL_EXPORT_CAP = 1
    make_lead(owner=rep_east)
    make_lead(owner=rep_east)
    # when
    response = client_for(rep_east).get("/api/v1/leads/export", {"format": "xlsx"})
    # then
    assert response.status_code == 400
    assert "at most 1" in response.json()["errors"]["non_field_errors"][0]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"format": "pdf"}, "format"),
        ({"fields": "name,salary"}, "fields"),
        ({"ids": "1,abc"}, "ids"),
        ({"status": "nonsense"}, "status"),
        ({"deleted": "true"}, "deleted"),
    ],
)
def test_bad_parameters_are_400_naming_them(rep_east, params, field):
    # when
    response = client_for(rep_east).get("/api/v1/leads/export", params)
    # then
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    "url", ["/api/v1/leads/export", "/api/v1/customers/export", "/api/v1/leads/calls/export"]
)
def test_anonymous_is_401(db, url):
    # when
    response = client_for(None).get(url)
    # then
    assert response.status_code == 401
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 0


def test_the_schema_describes_the_export(admin):
    # when
    response = client_for(admin).get("/api/schema/", {"format": "json"})
    # then
    operation = response.json()["paths"]["/api/v1/leads/export"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"format", "fields", "ids", "pool", "status"} <= names
    assert "text/csv" in operation["responses"]["200"]["content"]
