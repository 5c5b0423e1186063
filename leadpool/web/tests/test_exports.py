"""The export dialog on the list pages: the ticked records or the filtered list, chosen
fields, CSV or XLSX, the cap as a message; and the ticked leads' call records."""

import csv
import io

from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from leadpool.activity.models import CallRecord
from leadpool.history.models import AuditEntry

EXPORT = reverse("web:export", args=["leads"])


def download(client, response):
    """Follow the POST's redirect to the file and read it as CSV rows."""
    assert response.status_code in (204, 302), response.content.decode()[:500]
    url = response.headers.get("HX-Redirect") or response["Location"]
    file = client.get(url)
    assert file.status_code == 200
    body = b"".join(file.streaming_content)
    return file, body


def rows_of(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_list_page_offers_the_export_dialog_with_custom_fields(
    client_for, rep_east, level_field
):
    # when
    page = client_for(rep_east).get("/leads/").content.decode()
    # then
    assert 'name="export_fields" value="name" checked' in page
    assert 'name="export_fields" value="custom.level" checked' in page
    assert 'name="export_fields" value="collaborators" >' in page
    assert "Download call records of the ticked leads" in page


def test_the_recycle_bin_offers_no_export(client_for, rep_east):
    # when
    page = client_for(rep_east).get("/leads/recycle-bin/").content.decode()
    # then
    assert "export_fields" not in page


def test_export_the_ticked_records_with_chosen_fields(client_for, rep_east, make_lead):
    # given
    wanted = make_lead(name="Wanted", company="Acme", owner=rep_east)
    make_lead(name="Not ticked", owner=rep_east)
    client = client_for(rep_east)
    # when
    response = client.post(
        EXPORT,
        {
            "action": "export",
            "ids": [wanted.pk],
            "export_scope": "selected",
            "export_fields": ["name", "company"],
            "export_format": "csv",
        },
        headers={"HX-Request": "true"},
    )
    file, body = download(client, response)
    # then
    assert "attachment" in file["Content-Disposition"]
    assert rows_of(body) == [["Name", "Company"], ["Wanted", "Acme"]]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 1


def test_export_the_filtered_list_as_xlsx(client_for, rep_east, make_lead):
    # given
    make_lead(name="Shanghai lead", region="Shanghai", owner=rep_east)
    make_lead(name="Beijing lead", region="Beijing", owner=rep_east)
    client = client_for(rep_east)
    # when
    response = client.post(
        EXPORT,
        {
            "action": "export",
            "export_scope": "filtered",
            "export_fields": ["name", "region"],
            "export_format": "xlsx",
            "list_where": "mine",
            "list_query": "region=Shanghai",
        },
    )
    _file, body = download(client, response)
    # then
    sheet = load_workbook(io.BytesIO(body)).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["Name", "Region"],
        ["Shanghai lead", "Shanghai"],
    ]


def test_records_out_of_scope_are_left_out(client_for, rep_east, rep_west, make_lead):
    # given
    other = make_lead(name="Someone else's", owner=rep_west)
    client = client_for(rep_east)
    # when
    response = client.post(
        EXPORT,
        {"action": "export", "ids": [other.pk], "export_fields": ["name"]},
    )
    _file, body = download(client, response)
    # then
    assert rows_of(body) == [["Name"]]


def test_past_the_cap_the_export_is_refused_with_a_message(
    client_for, rep_east, make_lead, settings
):
    # given
    settings.LEADPOOL_EXPORT_CAP = 1
    leads = [make_lead(owner=rep_east) for _ in range(2)]
    # when
    response = client_for(rep_east).post(
        EXPORT,
        {"action": "export", "ids": [lead.pk for lead in leads], "export_fields": ["name"]},
        headers={"HX-Request": "true"},
    )
    # then
    assert response.status_code == 200
    assert "This export has more than 1 rows" in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_nothing_ticked_is_explained(client_for, rep_east):
    # given
    client = client_for(rep_east)
    # when
    response = client.post(
        EXPORT, {"action": "export", "export_fields": ["name"], "next": "/leads/"}
    )
    # then the list says why
    assert response["Location"] == "/leads/"
    assert "Tick at least one record." in client.get("/leads/").content.decode()


def test_a_download_link_works_once_and_only_for_its_session(client_for, rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east)
    client = client_for(rep_east)
    response = client.post(
        EXPORT, {"action": "export", "ids": [lead.pk], "export_fields": ["name"]}
    )
    url = response["Location"]
    # when
    other_session = client_for(rep_east).get(url)
    first = client.get(url)
    second = client.get(url)
    # then
    assert other_session.status_code == 404
    assert first.status_code == 200
    assert second.status_code == 404


def test_call_records_of_the_ticked_leads(client_for, rep_east, make_lead):
    # given
    lead = make_lead(name="Caller", owner=rep_east)
    CallRecord.objects.create(
        lead=lead, author=rep_east, number=lead.phone, started_at=timezone.now()
    )
    client = client_for(rep_east)
    # when
    response = client.post(EXPORT, {"action": "export_calls", "ids": [lead.pk]})
    _file, body = download(client, response)
    # then
    rows = rows_of(body)
    assert len(rows) == 2
    assert rows[1][1] == "Caller"
    assert rows[1][2] == lead.phone


def test_customers_have_no_call_export(client_for, rep_east, make_customer):
    # given
    customer = make_customer(owner=rep_east)
    # when
    response = client_for(rep_east).post(
        reverse("web:export", args=["customers"]),
        {"action": "export_calls", "ids": [customer.pk]},
        headers={"HX-Request": "true"},
    )
    # then
    assert "Call records export for leads." in response.content.decode()


def test_export_needs_a_login_and_a_post(client, client_for, rep_east):
    # then
    assert client.post(EXPORT, {})["Location"].startswith("/login/")
    assert client_for(rep_east).get(EXPORT).status_code == 405
