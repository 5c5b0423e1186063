"""Custom fields of type phone or e-mail are contact details: a pool that masks or hides
contacts before a claim masks or hides them too, in the API, the web page, exports and
filters (access.custom_as_seen, access.contact_custom_fields)."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from leadpool.fields.models import CustomField
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool
from leadpool.transfer import exports

PHONE, EMAIL = "+8613900139000", "li.si@example.com"


@pytest.fixture(autouse=True)
def _no_write_throttle(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}


@pytest.fixture
def contact_fields(db):
    CustomField.objects.create(entity="lead", key="wechat_phone", label="WeChat", type="phone")
    CustomField.objects.create(entity="lead", key="boss_email", label="Boss", type="email")
    CustomField.objects.create(entity="lead", key="level", label="Level", type="text")


@pytest.fixture
def pooled(contact_fields, lead_pool, make_lead):
    def make(visibility: str) -> Lead:
        lead_pool.contact_visibility = visibility
        lead_pool.save()
        custom = {"wechat_phone": PHONE, "boss_email": EMAIL, "level": "A"}
        return make_lead(pool=lead_pool, name="Pooled", custom=custom)

    return make


def _api(user, path):
    client = APIClient()
    client.force_authenticate(user)
    return client.get(path).json()


@pytest.mark.parametrize(
    ("visibility", "phone", "email"),
    [
        (Pool.ContactVisibility.MASKED, "139****9000", "l***@example.com"),
        (Pool.ContactVisibility.HIDDEN, "", ""),
        (Pool.ContactVisibility.VISIBLE, PHONE, EMAIL),
    ],
)
def test_a_member_sees_custom_contacts_as_the_pool_shows_contacts(
    member, pooled, visibility, phone, email
):
    # given
    lead = pooled(visibility)
    # when
    detail = _api(member, f"/api/v1/leads/{lead.pk}/")
    listed = _api(member, "/api/v1/leads/")["results"]
    # then
    expected = {"wechat_phone": phone, "boss_email": email, "level": "A"}
    assert detail["custom"] == expected
    assert [row["custom"] for row in listed] == [expected]


def test_the_pool_admin_sees_custom_contacts_in_full(pool_admin, pooled):
    # given
    lead = pooled(Pool.ContactVisibility.HIDDEN)
    # when
    detail = _api(pool_admin, f"/api/v1/leads/{lead.pk}/")
    # then
    assert detail["custom"] == {"wechat_phone": PHONE, "boss_email": EMAIL, "level": "A"}


def test_the_record_page_masks_custom_contacts(client, member, pooled):
    # given
    lead = pooled(Pool.ContactVisibility.MASKED)
    client.force_login(member)
    # when
    page = client.get(reverse("web:record", args=["leads", lead.pk])).content
    # then
    assert b"139****9000" in page and b"l***@example.com" in page
    assert PHONE.encode() not in page and EMAIL.encode() not in page


def _collaborator_lookups(queries) -> int:
    """Queries asking whether the reader is among a record's collaborators
    (access.is_collaborator when they were not prefetched)."""
    return sum(
        query["sql"].startswith('SELECT 1 AS "a"') and "leads_lead_collaborators" in query["sql"]
        for query in queries
    )


def test_a_record_read_asks_whether_the_reader_collaborates_only_with_the_record(
    client, member, pooled
):
    # given: a masked pool, whose contacts a member sees in full only as a collaborator
    lead = pooled(Pool.ContactVisibility.MASKED)
    client.force_login(member)
    # when: the API's record and the record page, each showing contacts and custom ones
    with CaptureQueriesContext(connection) as api:
        detail = _api(member, f"/api/v1/leads/{lead.pk}/")
    with CaptureQueriesContext(connection) as page:
        client.get(reverse("web:record", args=["leads", lead.pk]))
    # then: both read the collaborators once, with the record (a prefetch), and the
    # actions, phone, e-mail, custom contacts and calls all answer from it
    assert detail["contact_visibility"] == "masked"
    assert _collaborator_lookups(api.captured_queries) == 0
    assert _collaborator_lookups(page.captured_queries) == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_mask_custom_contacts_for_a_member(member, pooled, fmt):
    # given
    pooled(Pool.ContactVisibility.MASKED)
    fields = ["custom.wechat_phone", "custom.boss_email", "custom.level"]
    # when
    export = exports.export_records(by=member, model=Lead, fields=fields)
    if fmt == "csv":
        text = b"".join(export.csv_chunks()).decode("utf-8-sig")
        row = list(csv.reader(io.StringIO(text, newline="")))[1]
    else:
        from openpyxl import load_workbook

        handle = io.BytesIO()
        export.write_xlsx(handle)
        handle.seek(0)
        row = [cell.value for cell in next(load_workbook(handle).active.iter_rows(min_row=2))]
    # then
    assert row == ["139****9000", "l***@example.com", "A"]


def test_a_member_cannot_find_a_hidden_custom_phone_by_filtering_on_it(member, pool_admin, pooled):
    # given
    lead = pooled(Pool.ContactVisibility.HIDDEN)
    path = "/api/v1/leads/?custom.wechat_phone=13900139000"
    # when
    as_member = _api(member, path)["results"]
    as_admin = _api(pool_admin, path)["results"]
    # then: the member may see the lead, but not match it by its hidden number
    assert _api(member, f"/api/v1/leads/{lead.pk}/")["id"] == lead.pk
    assert as_member == []
    assert [row["id"] for row in as_admin] == [lead.pk]
